// Bounded concurrency for per-file work.
import { availableParallelism } from 'node:os';

export const CORES = Math.max(2, availableParallelism());

/**
 * Files hashed at once. Hashing runs on the main thread and each read of a file waits its turn on
 * libuv's pool, so the main thread idles unless several reads are ahead of it: 1.1 GB in 4000 files
 * from a warm cache on 2 cores hashed in 1.28-1.30 s two at a time, 0.75-0.80 s eight at a time,
 * 0.72 s sixteen (one 512 KB buffer each, activities/hash.ts).
 */
export const FILE_PARALLELISM = Math.min(16, 4 * CORES);

/**
 * Runs `work` over `items` on the main thread, yielding to the event loop between slices: for
 * metadata calls (stat, rename, mkdir) answered from the kernel's caches, where a synchronous call
 * takes microseconds and a trip through libuv's pool took ten times that on a busy 2-core machine.
 * A slice holds the loop for a few milliseconds at most on a local disk; heartbeats and other
 * steps' callbacks run between slices. `work` may return a promise (a rare slow path): awaited.
 */
export async function inSlices<T>(items: readonly T[], work: (item: T, index: number) => void | Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 1) {
    if (i && i % SLICE === 0) await new Promise(setImmediate);
    const pending = work(items[i] as T, i);
    if (pending) await pending;
  }
}

const SLICE = 256;

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
