import { z } from 'zod';
import { redisTarget } from './redis-target';

/**
 * `--redis`: one server (`redis://`, `rediss://`), Sentinel (`redis[s]-sentinel://h:p,h:p/<master>`)
 * or Redis Cluster (`redis[s]-cluster://h:p,h:p`).
 */
export const redisUrlSchema = z.string().superRefine((url, ctx) => {
  if (!/^(rediss?|rediss?-sentinel|rediss?-cluster):\/\//.test(url)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'expected a redis://, rediss://, redis-sentinel://, rediss-sentinel://, redis-cluster:// or rediss-cluster:// URL',
    });
    return;
  }
  try {
    redisTarget(url);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});
