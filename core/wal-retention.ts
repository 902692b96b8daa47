// Which base backups and WAL the archive keeps, as pgBackRest does: the newest `continuous` base
// backups with every WAL segment from the first one the oldest of them needs (any time from its
// end on is reachable), and, by grandfather-father-son over the older ones (the newest of each ISO
// week, then of each month, in the schedules' time zone), base backups kept with only their own
// WAL, from their first segment to the one holding their end: enough to make each consistent, so
// each is a restore point at its end. Nothing a kept base backup needs is ever removed, and
// nothing else is kept; timeline history files are tiny and always kept.
//
// Pure module.
import { isoWeekOf, monthOf, newestPerPeriod, type Period } from './periods.js';
import { parseSegmentName, partialSegmentOf } from './wal-segments.js';

export interface BaseBackupRef {
  id: string;
  firstSegment: string;
  /** The segment holding the backup's end: the last one it needs to be consistent. */
  lastSegment: string;
  endedAt: string;
}

export interface BaseBackupPolicy {
  /** The newest base backups kept with every WAL segment after them (`pitr.keepBaseBackups`). */
  continuous: number;
  weekly: number;
  monthly: number;
  timeZone: string;
}

export interface WalRetention {
  deleteBaseBackups: string[];
  /** WAL from this segment on is kept whole; none: keep all. */
  keepFrom?: string;
  /** Before `keepFrom`, the WAL of each older kept base backup, first to last segment. */
  keepRanges: Array<{ from: string; to: string }>;
  /** Why each kept base backup is kept. */
  kept: Array<{ id: string; reasons: string[] }>;
}

const position = (segment: string) => parseSegmentName(segment)?.number ?? 0n;

/**
 * `inUse`: base backups a running recovery replays from (repository/leases.ts). Each is kept as a
 * continuous one is, with every WAL segment after it: the recovery may be replaying to any time.
 */
export function walRetention(baseBackups: readonly BaseBackupRef[], policy: BaseBackupPolicy, inUse: ReadonlySet<string> = new Set()): WalRetention {
  const newestFirst = [...baseBackups].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const reasons = new Map<string, string[]>(newestFirst.map((b) => [b.id, []]));
  const continuous = newestFirst.slice(0, policy.continuous);
  for (const b of continuous) reasons.get(b.id)!.push('continuous WAL');
  const leased = newestFirst.filter((b) => inUse.has(b.id));
  for (const b of leased) reasons.get(b.id)!.push('read by a running recovery');
  const rules: Array<[string, number, (t: Date) => Period]> = [
    ['weekly', policy.weekly, (t) => isoWeekOf(t, policy.timeZone)],
    ['monthly', policy.monthly, (t) => monthOf(t, policy.timeZone)],
  ];
  for (const [rule, count, periodOf] of rules) {
    for (const { item, label } of newestPerPeriod(newestFirst, count, (b) => periodOf(new Date(b.endedAt)))) reasons.get(item.id)!.push(`${rule} (${label})`);
  }
  // The oldest continuous backup by the WAL it needs, not by its id: clocks can be set back.
  const oldest = [...continuous, ...leased].reduce<BaseBackupRef | undefined>((min, b) => (!min || position(b.firstSegment) < position(min.firstSegment) ? b : min), undefined);
  const kept = newestFirst.filter((b) => reasons.get(b.id)!.length > 0);
  return {
    deleteBaseBackups: newestFirst.filter((b) => reasons.get(b.id)!.length === 0).map((b) => b.id).reverse(),
    ...(oldest ? { keepFrom: oldest.firstSegment } : {}),
    keepRanges: kept
      .filter((b) => oldest && position(b.firstSegment) < position(oldest.firstSegment))
      .map((b) => ({ from: b.firstSegment, to: b.lastSegment }))
      .reverse(),
    kept: kept.map((b) => ({ id: b.id, reasons: reasons.get(b.id)! })),
  };
}

/** Whether an archived WAL file (segment, or a `.partial` set aside at a gap) is needed by no kept base backup. */
export function walExpired(name: string, retention: Pick<WalRetention, 'keepFrom' | 'keepRanges'>): boolean {
  const id = parseSegmentName(partialSegmentOf(name) ?? name);
  const from = retention.keepFrom ? parseSegmentName(retention.keepFrom) : undefined;
  if (id === undefined || from === undefined || id.number >= from.number) return false;
  return !retention.keepRanges.some((r) => id.number >= position(r.from) && id.number <= position(r.to));
}
