import { z } from 'zod';
import { redisTarget } from '../registry/redis-url';

/** `--redis`: one server (`redis://`, `rediss://`) or Sentinel (`redis-sentinel://h:p,h:p/<master>`). */
export const redisUrlSchema = z.string().superRefine((url, ctx) => {
  if (!/^(rediss?|redis-sentinel):\/\//.test(url)) {
    ctx.addIssue({ code: 'custom', message: 'expected a redis://, rediss:// or redis-sentinel:// URL' });
    return;
  }
  try {
    redisTarget(url);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});
