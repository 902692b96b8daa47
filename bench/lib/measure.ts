// Clocks and memory gauges for the benchmark. Peak memory is the kernel's own high-water mark
// (VmHWM) of the worker process, reset before each measured run through /proc/<pid>/clear_refs,
// so a figure is that run's peak and not an earlier one's; the worker's child processes (rsync,
// gpg, pg_dump, ...) are new in each run, and their high-water marks are sampled while they live.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { nextStartAllowed } from './runs.js';

/**
 * Repetitions, for both sides alike, of a row whose runs take about a second or less: one
 * scheduling hiccup on this 2-core machine is a tenth of such a run, and a best of two kept it
 * (the same integrity check measured 0.88-1.04 × sha256sum from run to run).
 */
export const shortRunReps = (reps: number) => Math.max(reps, 3);

/**
 * One repetition `i` of a comparison: both sides, the first going first on even repetitions and the
 * second on odd ones, so that both see the same machine state.
 */
export async function inTurn(i: number, first: () => Promise<void>, second: () => Promise<void>): Promise<void> {
  for (const side of i % 2 === 0 ? [first, second] : [second, first]) await side();
}

/** Times `run`, after waiting untimed until a workflow run may start (runs.ts). */
export async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  await nextStartAllowed();
  const t0 = process.hrtime.bigint();
  const value = await run();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/**
 * Times `run` after writing back, untimed, what earlier work left dirty in the page cache (the
 * other side's copy, a fixture's change): a run that ends with a flush (syncfs, fsync) then pays
 * for its own writes only, whichever side ran before it.
 */
export async function timedAfterSync<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  await execa('sync');
  return timed(run);
}

/**
 * Times `run` from the same page-cache state whichever side and run came before: what earlier
 * work left dirty written back, the page cache dropped, and `warm` (the data both sides read) read
 * back in, all untimed. Why drop: on the benchmark machine the same rsync of 4000 files into an
 * empty directory took 3.1-4.5 s with the page cache an earlier copy and its deletion left, and
 * 1.5-2.3 s after dropping it (some cached file-system state, not pinned down; it varies by run),
 * so without a common start a best-of-two compared luck. Needs root; elsewhere the cache is only
 * written back, as before.
 */
export async function timedFromSameCache<T>(warm: string[], run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  await execa('sync');
  await writeFile('/proc/sys/vm/drop_caches', '1').catch(() => undefined);
  for (const dir of warm) await warmPageCache(dir);
  return timed(run);
}

/** Reads every file under `dir` once, so a side does not pay for a cold page cache the other side did not. */
export async function warmPageCache(dir: string): Promise<void> {
  await execa('find', [dir, '-type', 'f', '-exec', 'cat', '{}', '+'], { stdout: 'ignore' });
}

async function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  if (!kb) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(kb) / 1024;
}

/** Children, grandchildren, ... of `pid`: each thread lists the children it started. */
async function descendants(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (let queue = [pid]; queue.length; ) {
    const parent = queue.shift() as number;
    for (const task of await readdir(`/proc/${parent}/task`).catch(() => [])) {
      const children = (await readFile(`/proc/${parent}/task/${task}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
      found.push(...children);
      queue.push(...children);
    }
  }
  return found;
}

/**
 * The largest high-water mark (MB) of each child process of `pid` by command name, sampled every
 * `everyMs` until `stop` resolves: a child that lives less than that may be missed (version checks).
 */
async function childPeaks(pid: number, stop: Promise<unknown>, everyMs = 50): Promise<Record<string, number>> {
  const peaks: Record<string, number> = {};
  const nameOf = (status: string) => /^Name:\s+(.+)$/m.exec(status)?.[1];
  // A child caught between fork and exec still bears the worker's name, and its high-water mark is
  // the worker's pages it shares (about 30 MB), not a tool's: such a sample is left out.
  const own = nameOf(await readFile(`/proc/${pid}/status`, 'utf8'));
  let running = true;
  void stop.finally(() => (running = false));
  while (running) {
    for (const child of await descendants(pid)) {
      const status = await readFile(`/proc/${child}/status`, 'utf8').catch(() => '');
      const name = nameOf(status);
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
      if (name && kb && name !== own) peaks[name] = Math.max(peaks[name] ?? 0, Number(kb) / 1024);
    }
    await sleep(everyMs);
  }
  return peaks;
}

/** Peak resident memory (MB) of process `pid` while `run` runs, and of its child processes by name. */
export async function peakRssDuring<T>(pid: number, run: () => Promise<T>): Promise<{ peakMb: number; childrenMb: Record<string, number>; value: T }> {
  await writeFile(`/proc/${pid}/clear_refs`, '5'); // 5: reset the peak RSS to the current RSS
  const running = run();
  const [value, childrenMb] = await Promise.all([running, childPeaks(pid, running.catch(() => undefined))]);
  return { peakMb: await statusField(pid, 'VmHWM'), childrenMb, value };
}

/** Folds one run's child peaks into the peaks of several runs. */
export function keepPeaks(into: Record<string, number>, run: Record<string, number>): void {
  for (const [name, mb] of Object.entries(run)) into[name] = Math.max(into[name] ?? 0, mb);
}
