import { z } from 'zod';
import { redisTarget } from './redis-target';

/** `--redis`: one server (`redis://`, `rediss://`) or Sentinel (`redis[s]-sentinel://h:p,h:p/<master>`). */
export const redisUrlSchema = z.string().superRefine((url, ctx) => {
  if (!/^(rediss?|rediss?-sentinel):\/\//.test(url)) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a redis://, rediss://, redis-sentinel:// or rediss-sentinel:// URL',
    });
    return;
  }
  try {
    redisTarget(url);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});
