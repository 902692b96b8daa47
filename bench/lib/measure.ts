// Clocks and memory gauges for the benchmark. Peak memory is the kernel's own high-water mark
// (VmHWM) of the worker process, reset before each measured run through /proc/<pid>/clear_refs,
// so a figure is that run's peak and not an earlier one's.
import { readFile, writeFile } from 'node:fs/promises';

export async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await run();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** The best of `n` runs: the least disturbed by the rest of the machine. */
export async function bestOf(n: number, run: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i += 1) best = Math.min(best, (await timed(run)).ms);
  return best;
}

async function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  if (!kb) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(kb) / 1024;
}

/** Peak resident memory (MB) of process `pid` while `run` runs. */
export async function peakRssDuring<T>(pid: number, run: () => Promise<T>): Promise<{ peakMb: number; value: T }> {
  await writeFile(`/proc/${pid}/clear_refs`, '5'); // 5: reset the peak RSS to the current RSS
  const value = await run();
  return { peakMb: await statusField(pid, 'VmHWM'), value };
}
