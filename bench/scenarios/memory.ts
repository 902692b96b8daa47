// The worker's peak memory during a full backup and an integrity check, at the main size and at
// the large one, whose files and dump are each many times larger (not only more of them): a worker
// that streams keeps the same peak. The child processes' peaks (rsync, gpg, pg_dump, ...) are
// given beside it, since a streaming worker can still hand a tool something that grows with the data.
import type { Source } from '../lib/environment.js';
import { mb, ratio, type Row } from '../lib/row.js';

interface Peaks {
  peakMb: number;
  childrenMb: Record<string, number>;
}

/** One source's measurements. */
export interface MemoryAt {
  source: Source;
  backup: Peaks;
  integrity: Peaks;
  /** The full backup's dump, plaintext bytes. */
  dumpBytes: number | undefined;
}

function describe(at: MemoryAt): string {
  const files = at.source.fixture.images;
  const fileMb = files.length ? at.source.originalBytes() / files.length / 1e6 : 0;
  const dump = at.dumpBytes === undefined ? 'no dump' : `a ${(at.dumpBytes / 1e6).toFixed(1)} MB dump`;
  return `${(at.source.originalBytes() / 1e9).toFixed(1)} GB in ${files.length} originals of ${fileMb.toFixed(1)} MB, ${dump}`;
}

/** The largest child processes by peak, at most five, largest first. */
function children(at: MemoryAt): string {
  const peaks: Record<string, number> = { ...at.backup.childrenMb };
  for (const [name, value] of Object.entries(at.integrity.childrenMb)) peaks[name] = Math.max(peaks[name] ?? 0, value);
  const top = Object.entries(peaks).sort((a, b) => b[1] - a[1]).slice(0, 5);
  return top.length ? top.map(([name, value]) => `${name} ${mb(value)}`).join(', ') : 'none seen';
}

export function memoryRows(small: MemoryAt, large: MemoryAt): Row[] {
  const peak = Math.max(large.backup.peakMb, large.integrity.peakMb, small.backup.peakMb, small.integrity.peakMb);
  const growth = Math.max(large.backup.peakMb / small.backup.peakMb, large.integrity.peakMb / small.integrity.peakMb);
  const sizeOf = (at: MemoryAt) => `${(at.source.originalBytes() / 1e9).toFixed(1)} GB`;
  return [
    {
      scenario: `worker peak RSS during backup and integrity check (${describe(small)}; then ${describe(large)})`,
      ours: [small, large].map((at) => `${sizeOf(at)}: ${mb(at.backup.peakMb)} / ${mb(at.integrity.peakMb)}`).join('; '),
      baseline: `child processes' peaks, ${sizeOf(small)}: ${children(small)}; ${sizeOf(large)}: ${children(large)}`,
      result: `${mb(peak)} peak, ${ratio(growth)} growth`,
      target: '≤ 250 MB and flat (growth ≤ 1.15 ×)',
      met: peak <= 250 && growth <= 1.15,
      data: {
        smallBackupMb: small.backup.peakMb,
        smallIntegrityMb: small.integrity.peakMb,
        largeBackupMb: large.backup.peakMb,
        largeIntegrityMb: large.integrity.peakMb,
        ...Object.fromEntries(Object.entries(large.backup.childrenMb).map(([name, value]) => [`largeChild_${name}_Mb`, value])),
      },
    },
  ];
}
