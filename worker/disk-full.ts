// Every activity's "no space left on device", whether from a Node file write (ENOSPC) or from a
// tool's stderr, becomes one clear non-retryable RepositoryFull failure: retrying into a full
// disk only burns time, and the operator must free space or grow the volume.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { fail } from '../activities/failure.js';

function isDiskFull(err: unknown): boolean {
  for (let cur = err as { code?: string; message?: string; cause?: unknown } | undefined; cur; cur = cur.cause as typeof cur) {
    if (cur.code === 'ENOSPC' || /no space left on device/i.test(cur.message ?? '')) return true;
  }
  return false;
}

export const diskFullInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        if (!isDiskFull(err)) throw err;
        throw fail('RepositoryFull', `${ctx.info.activityType}: the backup volume is full (${(err as Error).message}); free space or grow the volume, nothing earlier was deleted`);
      }
    },
  },
});
