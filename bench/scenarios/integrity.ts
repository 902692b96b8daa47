// The integrity check's throughput over the image mirror against sha256sum over the same files
// with two processes (xargs -P2), and the worker's peak memory while it runs.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { layout } from '../../repository/layout.js';
import type { BenchServices, Source } from '../lib/environment.js';
import { inTurn, keepPeaks, peakRssDuring, shortRunReps, timedAfterSync } from '../lib/measure.js';
import { ratio, seconds, type Row } from '../lib/row.js';
import { integrityCheck } from '../lib/runs.js';

export async function mirrorFiles(source: Source): Promise<{ files: string[]; bytes: number }> {
  const mirror = join(source.config.repository.root, layout.imagesCurrent);
  const files = (await readdir(mirror, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  return { files, bytes };
}

export async function sha256sumTwoProcesses(files: string[]): Promise<void> {
  const perProcess = Math.max(1, Math.ceil(files.length / 2));
  await execa('xargs', ['-0', '-P', '2', '-n', String(perProcess), 'sha256sum'], { input: files.join('\0'), stdout: 'ignore' });
}

export interface IntegrityFigures {
  ms: number;
  peakRssMb: number;
  childrenMb: Record<string, number>;
  rows: Row[];
}

export async function integrityThroughput(s: BenchServices, source: Source, workerPid: number, reps: number): Promise<IntegrityFigures> {
  const { files, bytes } = await mirrorFiles(source);
  let rawMs = Infinity;
  let oursMs = Infinity;
  let peakRssMb = 0;
  const childrenMb: Record<string, number> = {};
  const raw = async () => void (rawMs = Math.min(rawMs, (await timedAfterSync(() => sha256sumTwoProcesses(files))).ms));
  const ours = async () => {
    const run = await peakRssDuring(workerPid, () => timedAfterSync(() => integrityCheck(s.client, source)));
    oursMs = Math.min(oursMs, run.value.ms);
    peakRssMb = Math.max(peakRssMb, run.peakMb);
    keepPeaks(childrenMb, run.childrenMb);
  };
  for (let i = 0; i < shortRunReps(reps); i += 1) await inTurn(i, raw, ours);
  const mbps = (ms: number) => bytes / 2 ** 20 / (ms / 1000);
  return {
    ms: oursMs,
    peakRssMb,
    childrenMb,
    rows: [
      {
        scenario: `integrity check throughput (${files.length} originals and thumbnails, ${(bytes / 2 ** 20).toFixed(0)} MB, plus every dump decrypted and listed)`,
        ours: `${mbps(oursMs).toFixed(0)} MB/s (${seconds(oursMs)})`,
        baseline: `${mbps(rawMs).toFixed(0)} MB/s sha256sum ×2 processes`,
        result: ratio(rawMs / oursMs),
        target: '≥ 0.9 ×',
        met: rawMs / oursMs >= 0.9,
        data: { oursMs, rawMs, bytes, files: files.length },
      },
    ],
  };
}
