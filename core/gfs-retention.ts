// Grandfather-father-son retention of the repository's backups. Pure: decides what goes and,
// for every survivor, which rules keep it; the retention workflow carries the decision out.
//
// The rule, as docs/operations.md states it: sort good backups that contain a dump newest first; for
// each of the rules daily (N=7), weekly (ISO weeks, N=4) and monthly (N=12), walk that list and
// keep the first (newest) backup of each period until N periods are kept. Periods without a
// backup do not count (a gap of days stretches the daily window back), and one backup may be
// kept by several rules, as in restic. The newest good dump is always kept. A backup that took a
// config snapshot is kept for `configSnapshotDays` (with its dump, if it has one: snapshots are
// taken only when config changed, so this keeps few extra dumps), and the newest config snapshot
// always stays. Image-only runs are kept for `imageIncrementDays`. While the latest backup run
// failed, nothing is deleted.
//
// Only backups that can be restored count: one whose artifacts are not in place as its manifest
// records them, or that is dated after `now` (clock skew, a restored repository, tampering), would
// otherwise take a period's slot, or pass for the newest dump, and push real dumps out. Such a
// backup is ignored: neither counted nor deleted, and reported for an operator to look at.
import { incrementDay, isIncrementDay } from '../repository/layout.js';
import { dayOf, isoWeekOf, monthOf, newestPerPeriod, type Period } from './periods.js';

export interface RetentionCandidate {
  backupId: string;
  time: Date;
  hasDump: boolean;
  hasImages: boolean;
  /** True when this backup took a new config snapshot. */
  hasConfigSnapshot: boolean;
  /** Why its artifacts are not as its manifest records them (missing, another size); absent when they are. */
  problem?: string;
}

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
  imageIncrementDays: number;
  configSnapshotDays: number;
  timeZone: string;
}

export interface RetentionDecision {
  keep: Array<{ backupId: string; reasons: string[] }>;
  remove: string[];
  /** Set when deletion is suspended; `remove` is then empty and `wouldRemove` says what would go. */
  blocked?: string;
  wouldRemove: string[];
  /** Backups neither counted nor deleted, and why. */
  ignored: Array<{ backupId: string; reason: string }>;
}

const DAY_MS = 86_400_000;

export function selectRetention(
  candidates: RetentionCandidate[],
  policy: RetentionPolicy,
  context: { now: Date; latestRunFailed: boolean },
): RetentionDecision {
  const ignored: RetentionDecision['ignored'] = [];
  const newestFirst = [...candidates]
    .sort((a, b) => b.time.getTime() - a.time.getTime() || (a.backupId < b.backupId ? 1 : -1))
    .filter((c) => {
      const future = c.time.getTime() > context.now.getTime() ? `dated in the future (${c.time.toISOString()}, now ${context.now.toISOString()})` : undefined;
      const reasons = [c.problem, future].filter((r): r is string => Boolean(r));
      if (reasons.length) ignored.push({ backupId: c.backupId, reason: reasons.join('; ') });
      return reasons.length === 0;
    });
  const reasons = new Map<string, string[]>(newestFirst.map((c) => [c.backupId, []]));
  const keep = (c: RetentionCandidate, why: string) => reasons.get(c.backupId)!.push(why);

  const dumps = newestFirst.filter((c) => c.hasDump);
  const rules: Array<[string, number, (t: Date) => Period]> = [
    ['daily', policy.daily, (t) => dayOf(t, policy.timeZone)],
    ['weekly', policy.weekly, (t) => isoWeekOf(t, policy.timeZone)],
    ['monthly', policy.monthly, (t) => monthOf(t, policy.timeZone)],
  ];
  for (const [rule, count, periodOf] of rules) {
    for (const { item, label } of newestPerPeriod(dumps, count, (c) => periodOf(c.time))) keep(item, `${rule} (${label})`);
  }
  if (dumps[0]) keep(dumps[0], 'newest good dump');

  const ageDays = (c: RetentionCandidate) => (context.now.getTime() - c.time.getTime()) / DAY_MS;
  for (const c of newestFirst) {
    // Image increments live in dated folders with their own expiry; an image-only record is kept as long.
    if (!c.hasDump && c.hasImages && ageDays(c) < policy.imageIncrementDays) keep(c, `images younger than ${policy.imageIncrementDays} days`);
    // Config snapshots are rare (taken only on change) and kept whole, with the backup that took them.
    if (c.hasConfigSnapshot && ageDays(c) < policy.configSnapshotDays) keep(c, `config snapshot younger than ${policy.configSnapshotDays} days`);
  }
  const newestConfig = newestFirst.find((c) => c.hasConfigSnapshot);
  if (newestConfig) keep(newestConfig, 'newest config snapshot');

  const survivors = newestFirst.filter((c) => reasons.get(c.backupId)!.length > 0);
  const wouldRemove = newestFirst.filter((c) => reasons.get(c.backupId)!.length === 0).map((c) => c.backupId);
  const blocked = context.latestRunFailed ? 'the latest backup run failed: nothing is deleted until a run succeeds' : undefined;
  return {
    keep: survivors.map((c) => ({ backupId: c.backupId, reasons: reasons.get(c.backupId)! })),
    remove: blocked ? [] : wouldRemove,
    wouldRemove,
    ...(blocked ? { blocked } : {}),
    ignored,
  };
}

/** Increment folders (`yyyymmdd`, UTC dates, and that day's run version folders) older than the limit. */
export function selectExpiredIncrements(days: string[], now: Date, maxAgeDays: number): string[] {
  const cutoff = new Date(now.getTime() - maxAgeDays * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
  return days.filter((d) => isIncrementDay(d) && incrementDay(d) < cutoff).sort();
}
