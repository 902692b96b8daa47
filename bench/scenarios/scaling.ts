// Time per file of the incremental image backup and of the integrity check at two file counts:
// the cost per file must not grow with the number of files (no quadratic listing or lookup).
import { replaceImages } from '../../fixtures/promptbox.js';
import type { BenchServices, Source } from '../lib/environment.js';
import { timed } from '../lib/measure.js';
import { ratio, type Row } from '../lib/row.js';
import { imageBackup, integrityCheck } from '../lib/runs.js';

export interface ScalePoint {
  files: number;
  incrementalMs: number;
  integrityMs: number;
}

/**
 * Best of `reps` for each: an increment after a new 1 % change each time, and the integrity check
 * over the same files (one run of each made the row swing from 0.91 × to 1.28 × between runs).
 */
export async function measureScale(s: BenchServices, source: Source, reps: number): Promise<ScalePoint> {
  await imageBackup(s.client, source);
  let incrementalMs = Infinity;
  let integrityMs = Infinity;
  for (let i = 0; i < reps; i += 1) {
    source.fixture = await replaceImages(source.fixture, s.cluster, Math.max(1, Math.round(source.fixture.images.length / 100)), 7 + i);
    incrementalMs = Math.min(incrementalMs, (await timed(() => imageBackup(s.client, source))).ms);
    integrityMs = Math.min(integrityMs, (await timed(() => integrityCheck(s.client, source))).ms);
  }
  return { files: source.fixture.images.length, incrementalMs, integrityMs };
}

const perFile = (ms: number, files: number) => `${((ms * 1000) / files).toFixed(0)} µs/file`;

/** Growth of the per-file time from the smaller to the larger count; 1.0 is exactly linear. */
export function scalingRows(small: ScalePoint, large: ScalePoint): Row[] {
  const rows: Row[] = [];
  for (const [what, key] of [['incremental image backup', 'incrementalMs'], ['integrity check', 'integrityMs']] as const) {
    const growth = large[key] / large.files / (small[key] / small.files);
    rows.push({
      scenario: `${what} at ${small.files} and ${large.files} files`,
      ours: `${perFile(large[key], large.files)} at ${large.files}`,
      baseline: `${perFile(small[key], small.files)} at ${small.files}`,
      result: `${ratio(growth)} per-file growth`,
      // Fixed costs (a workflow, a dump check) make small counts look dearer per file, so at or
      // under 1.0 is linear or better; 1.25 leaves room for this machine's noise.
      target: '≤ 1.25 × (linear)',
      met: growth <= 1.25,
      data: { smallFiles: small.files, largeFiles: large.files, smallMs: small[key], largeMs: large[key], growth },
    });
  }
  return rows;
}
