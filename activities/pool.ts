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

/**
 * A pool fed while it runs, for work that arrives as another process reports it (files a copy
 * has finished): `add` queues an item, `drained` resolves once every item added so far is done,
 * or rejects with the first failure.
 */
export function feedPool<T>(limit: number, work: (item: T) => Promise<void>): { add(item: T): void; drained(): Promise<void> } {
  const queue: T[] = [];
  let running = 0;
  let failure: { error: unknown } | undefined;
  let waiting: Array<() => void> = [];
  const pump = (): void => {
    while (running < limit && queue.length) {
      const item = queue.shift() as T;
      running += 1;
      work(item)
        .catch((error: unknown) => void (failure ??= { error }))
        .finally(() => {
          running -= 1;
          pump();
          if (!running && !queue.length) for (const resolve of waiting.splice(0)) resolve();
        });
    }
  };
  return {
    add(item) {
      queue.push(item);
      pump();
    },
    async drained() {
      if (running || queue.length) await new Promise<void>((resolve) => waiting.push(resolve));
      if (failure) throw failure.error;
    },
  };
}
