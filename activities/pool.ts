// Bounded concurrency for per-file work. Hashing is CPU on the main thread while the reads run on
// libuv's pool, so two files in flight keep the disk and a core busy at once (bench/RESULTS.md).
import { availableParallelism } from 'node:os';

export const FILE_PARALLELISM = Math.max(2, availableParallelism());

/** Runs `work` over `items` with at most `limit` at a time. */
export async function inPool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}
