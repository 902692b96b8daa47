// The backup doc's storage estimate, computed from sizes actually measured in the repository:
// what the configured retention will need once it is full. Pure.
export interface CapacityFacts {
  /** Sizes of recent dumps, oldest first. */
  dumpBytes: number[];
  mirrorBytes: number;
  /** Bytes of each existing daily increment folder. */
  incrementBytes: number[];
  configBytes: number;
}

export interface CapacityRow {
  item: string;
  basis: string;
  bytes: number;
}

export function estimateCapacity(
  f: CapacityFacts,
  r: { daily: number; weekly: number; monthly: number; imageIncrementDays: number },
): CapacityRow[] {
  const recent = f.dumpBytes.slice(-7);
  const avgDump = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 0;
  const dumps = r.daily + r.weekly + r.monthly; // upper bound: one dump may serve several rules
  const avgIncrement = f.incrementBytes.length ? f.incrementBytes.reduce((a, b) => a + b, 0) / f.incrementBytes.length : 0;
  const rows: CapacityRow[] = [
    { item: 'database dumps', basis: `${dumps} dumps x ${Math.round(avgDump)} B (mean of the last ${recent.length})`, bytes: Math.round(avgDump * dumps) },
    { item: 'image mirror', basis: 'measured images/current', bytes: f.mirrorBytes },
    {
      item: 'image increments',
      basis: `${r.imageIncrementDays} days x ${Math.round(avgIncrement)} B (mean of ${f.incrementBytes.length} day folders)`,
      bytes: Math.round(avgIncrement * r.imageIncrementDays),
    },
    { item: 'config snapshots', basis: 'measured config/', bytes: f.configBytes },
  ];
  rows.push({ item: 'total', basis: 'sum', bytes: rows.reduce((n, row) => n + row.bytes, 0) });
  return rows;
}
