// The benchmark (bench/README.md): builds Prompt Box fixtures of the requested size, runs
// each scenario against its yardstick in the same run, prints a table, and writes results.json
// and RESULTS.md. Missed targets are printed as MISSED; the exit code says only whether it ran.
//
//   npm run bench -- [--images 2000] [--mb 1000] [--rows 50000] [--large-mb 5000] [--large-factor 10]
//                    [--scale 10000,50000] [--reps 2] [--steps 200] [--wal-rate 100] [--wal-seconds 300]
//                    [--out bench] [--dir /var/tmp] [--smoke]
import { access, constants, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { measuredCode } from './lib/commit.js';
import { makeSource, startServices, startWorkerProcess, type BenchServices, type Source, type SourceSize } from './lib/environment.js';
import { describeMachine } from './lib/machine.js';
import { peakRssDuring } from './lib/measure.js';
import { formatTable, writeResults } from './lib/output.js';
import type { Row } from './lib/row.js';
import { fullBackup, integrityCheck } from './lib/runs.js';
import { backupScenarios, dumpBytesOf } from './scenarios/backup.js';
import { drEndToEnd } from './scenarios/dr.js';
import { integrityThroughput } from './scenarios/integrity.js';
import { memoryRows, type MemoryAt } from './scenarios/memory.js';
import { activityOverhead, oneActivityRunMs } from './scenarios/overhead.js';
import { resticComparison } from './scenarios/restic.js';
import { s3ImageScenarios } from './scenarios/s3-images.js';
import { measureScale, scalingRows, type ScalePoint } from './scenarios/scaling.js';
import { walLagRow } from './scenarios/wal-lag.js';

// A tiny run that exercises every scenario in a few minutes; the test suite runs it.
const SMOKE = { images: '20', mb: '2', rows: '500', 'large-mb': '4', 'large-factor': '2', scale: '100,300', reps: '1', steps: '20', 'wal-rate': '20', 'wal-seconds': '15' };

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '2000' },
    mb: { type: 'string', default: '1000' },
    rows: { type: 'string', default: '50000' },
    'large-mb': { type: 'string', default: '5000' },
    'large-factor': { type: 'string', default: '10' },
    scale: { type: 'string', default: '10000,50000' },
    reps: { type: 'string', default: '2' },
    steps: { type: 'string', default: '200' },
    'wal-rate': { type: 'string', default: '100' },
    'wal-seconds': { type: 'string', default: '300' },
    out: { type: 'string', default: fileURLToPath(new URL('.', import.meta.url)) },
    dir: { type: 'string', default: '/var/tmp' },
    smoke: { type: 'boolean', default: false },
  },
});
const opts = { ...values, ...(values.smoke ? SMOKE : {}) };
const num = (name: keyof typeof opts) => {
  const n = Number(opts[name]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${opts[name]}`);
  return n;
};
const size: SourceSize = { images: num('images'), bytes: num('mb') * 1e6, rows: num('rows'), thumbnails: true };
// The large source: files `--large-factor` times the size of the main source's and a database of
// that many times the rows (so a dump as many times larger), `--large-mb` of originals in all.
const largeFactor = num('large-factor');
const largeBytes = num('large-mb') * 1e6;
const large: SourceSize = {
  images: Math.max(1, Math.round(largeBytes / ((size.bytes / size.images) * largeFactor))),
  bytes: largeBytes,
  rows: size.rows * largeFactor,
  thumbnails: true,
};
const scale = String(opts.scale).split(',').map(Number);
if (scale.length !== 2 || scale.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--scale: expected two file counts like 10000,50000, got ${opts.scale}`);
const reps = num('reps');

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** A source with its own worker process for the duration of `use`. */
async function withSource<T>(s: BenchServices, name: string, sz: SourceSize, use: (src: Source, pid: number) => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const source = await makeSource(s, name, sz);
  progress(`${name}: ${source.fixture.images.length} originals, ${(source.originalBytes() / 1e6).toFixed(0)} MB, built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const worker = await startWorkerProcess(source);
  try {
    return await use(source, worker.pid);
  } finally {
    await worker.stop();
    await rm(join(s.dir, name), { recursive: true, force: true });
  }
}

// The in-process worker of the overhead probe logs its lifecycle at INFO; only problems matter here.
Runtime.install({ logger: new DefaultLogger('WARN') });
// Where the results go is made (and found writable) before twenty minutes of measuring, not after.
try {
  await mkdir(String(opts.out), { recursive: true });
  await access(String(opts.out), constants.W_OK);
} catch (err) {
  throw new Error(`--out ${opts.out}: the results cannot be written there (${(err as Error).message}); nothing was measured`);
}
const [code, machine] = await Promise.all([measuredCode(), describeMachine()]);
const s = await startServices(await mkdtemp(join(String(opts.dir), 'pbb-bench-')));
const rows: Row[] = [];
const gb = (source: Source) => `${(source.originalBytes() / 1e9).toFixed(1)} GB`;
try {
  progress('the least a workflow adds: one no-op activity, started and awaited');
  const oneActivityMs = await oneActivityRunMs(s, 5);
  const memory: MemoryAt[] = [];
  await withSource(s, 'main', size, async (source, pid) => {
    progress('backups: image increment, full vs bash script');
    const backup = await backupScenarios(s, source, pid, reps, oneActivityMs);
    rows.push(...backup.rows);
    progress('integrity check vs sha256sum');
    const integrity = await integrityThroughput(s, source, pid, reps);
    rows.push(...integrity.rows);
    memory.push({ source, backup: { peakMb: backup.peakRssMb, childrenMb: backup.childrenMb }, integrity: { peakMb: integrity.peakRssMb, childrenMb: integrity.childrenMb }, dumpBytes: backup.dumpBytes });
    progress('DR runbook vs pg_restore + cp');
    rows.push(...(await drEndToEnd(s, source, gb(source), false)));
    progress('restic');
    rows.push(...(await resticComparison(s, source, { imagesMs: backup.firstImagesMs, checkMs: integrity.ms }, reps)));
    // Last: it changes the source's images again, through the bucket it fills with them.
    progress('image backup from a bucket vs rclone sync');
    rows.push(...(await s3ImageScenarios(s, source, reps, oneActivityMs)));
  });
  await withSource(s, 'large', large, async (source, pid) => {
    progress('memory at the large size');
    const backup = await peakRssDuring(pid, () => fullBackup(s.client, source));
    const integrity = await peakRssDuring(pid, () => integrityCheck(s.client, source));
    memory.push({ source, backup, integrity, dumpBytes: dumpBytesOf(backup.value) });
    progress('DR runbook at the large size');
    rows.push(...(await drEndToEnd(s, source, gb(source), true)));
  });
  rows.push(...memoryRows(memory[0]!, memory[1]!));
  // The scaling sources skip thumbnails: half the files to build, and time per file does not
  // depend on which kind of file it is.
  const points: ScalePoint[] = [];
  for (const files of scale) {
    await withSource(s, `files${files}`, { images: files, bytes: files * 2_000, rows: files, thumbnails: false }, async (source) => {
      progress(`scaling at ${files} files`);
      points.push(await measureScale(s, source, reps));
    });
  }
  rows.push(...scalingRows(points[0] as ScalePoint, points[1] as ScalePoint));
  progress('WAL archive lag under a steady write load vs pg_receivewal alone');
  rows.push(await walLagRow(s, { rate: num('wal-rate'), seconds: num('wal-seconds') }));
  progress('activity overhead: dev server, production-shaped server, the Go SDK');
  rows.push(...(await activityOverhead(s, num('steps'))));
} finally {
  await s.stop();
  await rm(s.dir, { recursive: true, force: true });
}

const options = Object.fromEntries(['images', 'mb', 'rows', 'large-mb', 'large-factor', 'scale', 'reps', 'steps', 'wal-rate', 'wal-seconds'].map((k) => [k, opts[k as keyof typeof opts]]));
await writeResults(String(opts.out), { date: new Date().toISOString(), code, options, machine, rows });
process.stdout.write(`${formatTable(rows)}\n`);
const missed = rows.filter((r) => r.met === false).length;
progress(`${rows.length} figures, ${missed} target(s) missed; results in ${join(String(opts.out), 'RESULTS.md')}`);
