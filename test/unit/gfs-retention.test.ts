// Covers: core/gfs-retention.ts, core/periods.ts. Expected sets are written out by hand from a
// calendar, not computed with the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectExpiredIncrements, selectRetention, type RetentionCandidate, type RetentionPolicy } from '../../core/gfs-retention.js';
import { dayOf, isoWeekOf, monthOf, periodLabel } from '../../core/periods.js';
import { backupIdFor } from '../../repository/layout.js';

const BERLIN = 'Europe/Berlin';
const policy: RetentionPolicy = { daily: 7, weekly: 4, monthly: 12, imageIncrementDays: 30, configSnapshotDays: 30, timeZone: BERLIN };

/** A full backup at the given instant. */
function dump(iso: string, extra: Partial<RetentionCandidate> = {}): RetentionCandidate {
  const time = new Date(iso);
  return { backupId: backupIdFor(time), time, hasDump: true, hasImages: true, hasConfigSnapshot: false, ...extra };
}

/** One dump a day at 03:00 Berlin time (01:00 or 02:00 UTC), for `days` days ending on `last`. */
function dailyHistory(last: string, days: number): RetentionCandidate[] {
  const out: RetentionCandidate[] = [];
  const end = Date.parse(`${last}T12:00:00Z`);
  for (let i = 0; i < days; i += 1) {
    const noon = new Date(end - i * 86_400_000);
    const ymd = noon.toISOString().slice(0, 10);
    // 03:00 local: 01:00Z in summer time, 02:00Z in winter time.
    const summer = new Date(`${ymd}T01:00:00Z`);
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: BERLIN, hour: '2-digit', hourCycle: 'h23' }).format(summer);
    out.push(dump(local === '03' ? `${ymd}T01:00:00Z` : `${ymd}T02:00:00Z`));
  }
  return out;
}

const localDay = (c: { time: Date }) => periodLabel(dayOf(c.time, BERLIN)).slice(4);
const keptDays = (d: ReturnType<typeof selectRetention>, all: RetentionCandidate[]) =>
  d.keep.map((k) => localDay(all.find((c) => c.backupId === k.backupId)!)).sort();

test('a 400-day daily history keeps exactly 7 daily, 4 weekly and 12 monthly dumps', () => {
  const history = dailyHistory('2026-11-29', 400); // 2026-11-29 is a Sunday
  const decision = selectRetention(history, policy, { now: new Date('2026-11-29T05:00:00Z'), latestRunFailed: false });
  assert.deepEqual(keptDays(decision, history), [
    '2025-12-31', // monthly Dec 2025
    '2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30', '2026-07-31', '2026-08-31', '2026-09-30', '2026-10-31', // monthly
    '2026-11-08', '2026-11-15', '2026-11-22', // weekly W45, W46, W47 (W48 is Nov 29)
    '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29', // daily
  ]);
  assert.equal(decision.remove.length, 400 - 21);
  const newest = decision.keep.find((k) => k.reasons.includes('newest good dump'));
  assert.deepEqual(newest?.reasons, ['daily (day 2026-11-29)', 'weekly (week 2026-W48)', 'monthly (month 2026-11)', 'newest good dump']);
});

test('several dumps a day: the newest of each day is the one kept', () => {
  const history = [dump('2026-11-29T01:00:00Z'), dump('2026-11-29T13:00:00Z'), dump('2026-11-28T01:00:00Z'), dump('2026-11-28T20:00:00Z')];
  const d = selectRetention(history, { ...policy, weekly: 0, monthly: 0 }, { now: new Date('2026-11-29T22:00:00Z'), latestRunFailed: false });
  assert.deepEqual(d.keep.map((k) => k.backupId).sort(), ['20261128_200000', '20261129_130000']);
});

test('gaps of days: the daily rule counts days that have a dump, stretching back over the gap', () => {
  const history = ['2026-11-29', '2026-11-20', '2026-11-19', '2026-11-01'].map((d) => dump(`${d}T02:00:00Z`));
  const d = selectRetention(history, { ...policy, daily: 3, weekly: 0, monthly: 0 }, { now: new Date('2026-11-29T12:00:00Z'), latestRunFailed: false });
  assert.deepEqual(keptDays(d, history), ['2026-11-19', '2026-11-20', '2026-11-29']);
});

test('DST change: days are local days, so 23:30 and 00:30 around midnight are two days', () => {
  // Berlin leaves summer time on 2026-10-25. 21:30Z is 23:30 local on the 24th; 22:30Z is 00:30 local on the 25th.
  const history = [dump('2026-10-24T21:30:00Z'), dump('2026-10-24T22:30:00Z')];
  const d = selectRetention(history, { ...policy, daily: 2, weekly: 0, monthly: 0 }, { now: new Date('2026-10-26T00:00:00Z'), latestRunFailed: false });
  assert.equal(d.keep.length, 2, 'in UTC both are on the 24th; in Berlin they are two days');
  assert.equal(periodLabel(dayOf(new Date('2026-10-25T23:30:00Z'), BERLIN)), 'day 2026-10-26'); // after the change: UTC+1
  assert.equal(periodLabel(dayOf(new Date('2026-03-29T00:30:00Z'), BERLIN)), 'day 2026-03-29'); // spring forward day
});

test('new-year boundary: ISO week 2027-W01 and month 2027-01 are different periods', () => {
  // Daily dumps from 2026-12-20 to 2027-01-10. 2026 has 53 ISO weeks: Dec 28 - Jan 3 is 2026-W53.
  const history: RetentionCandidate[] = [];
  for (let t = Date.parse('2026-12-20T02:00:00Z'); t <= Date.parse('2027-01-10T02:00:00Z'); t += 86_400_000) history.push(dump(new Date(t).toISOString()));
  assert.equal(periodLabel(isoWeekOf(new Date('2027-01-03T02:00:00Z'), BERLIN)), 'week 2026-W53');
  assert.equal(periodLabel(isoWeekOf(new Date('2027-01-04T02:00:00Z'), BERLIN)), 'week 2027-W01');
  assert.equal(periodLabel(isoWeekOf(new Date('2024-12-30T02:00:00Z'), BERLIN)), 'week 2025-W01'); // ISO year ahead of the calendar year
  assert.equal(periodLabel(monthOf(new Date('2027-01-04T02:00:00Z'), BERLIN)), 'month 2027-01');
  const d = selectRetention(history, { ...policy, daily: 0, weekly: 3, monthly: 2 }, { now: new Date('2027-01-10T12:00:00Z'), latestRunFailed: false });
  assert.deepEqual(
    d.keep.map((k) => [localDay(history.find((c) => c.backupId === k.backupId)!), k.reasons]),
    [
      ['2027-01-10', ['weekly (week 2027-W01)', 'monthly (month 2027-01)', 'newest good dump']],
      ['2027-01-03', ['weekly (week 2026-W53)']],
      ['2026-12-31', ['monthly (month 2026-12)']],
      ['2026-12-27', ['weekly (week 2026-W52)']],
    ],
  );
});

test('leap years: the monthly dump of February 2028 is the one of the 29th', () => {
  const history = ['2028-02-27', '2028-02-28', '2028-02-29', '2028-03-01'].map((d) => dump(`${d}T02:00:00Z`));
  const d = selectRetention(history, { ...policy, daily: 0, weekly: 0, monthly: 2 }, { now: new Date('2028-03-02T00:00:00Z'), latestRunFailed: false });
  assert.deepEqual(keptDays(d, history), ['2028-02-29', '2028-03-01']);
});

test('nothing is deleted while the latest backup run failed; a dry run still says what would go', () => {
  const history = dailyHistory('2026-11-29', 30);
  const d = selectRetention(history, policy, { now: new Date('2026-11-30T00:00:00Z'), latestRunFailed: true });
  assert.deepEqual(d.remove, []);
  assert.match(d.blocked ?? '', /latest backup run failed/);
  // Oct 31 - Nov 29: 7 daily, weekly Nov 22, 15, 8, monthly Oct 31 stay; the other 19 would go.
  assert.deepEqual(keptDays(d, history), ['2026-10-31', '2026-11-08', '2026-11-15', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']);
  assert.equal(d.wouldRemove.length, 19);
});

test('the newest good dump always survives, even when every rule keeps nothing', () => {
  const history = [dump('2020-01-01T02:00:00Z'), dump('2019-06-01T02:00:00Z')];
  const d = selectRetention(history, { ...policy, daily: 0, weekly: 0, monthly: 0 }, { now: new Date('2026-11-29T00:00:00Z'), latestRunFailed: false });
  assert.deepEqual(d.keep, [{ backupId: '20200101_020000', reasons: ['newest good dump'] }]);
  assert.deepEqual(d.remove, ['20190601_020000']);
});

test('image-only and config-only runs age out after their windows; the newest config snapshot stays', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const history = [
    dump('2026-11-29T02:00:00Z'),
    dump('2026-11-20T14:00:00Z', { hasDump: false, hasImages: true }),
    dump('2026-10-01T14:00:00Z', { hasDump: false, hasImages: true }),
    dump('2026-09-01T10:00:00Z', { hasDump: false, hasImages: false, hasConfigSnapshot: true }),
    dump('2026-08-01T10:00:00Z', { hasDump: false, hasImages: false, hasConfigSnapshot: true }),
  ];
  const d = selectRetention(history, policy, { now, latestRunFailed: false });
  assert.deepEqual(Object.fromEntries(d.keep.map((k) => [k.backupId, k.reasons])), {
    '20261129_020000': ['daily (day 2026-11-29)', 'weekly (week 2026-W48)', 'monthly (month 2026-11)', 'newest good dump'],
    '20261120_140000': ['images younger than 30 days'],
    '20260901_100000': ['newest config snapshot'],
  });
  assert.deepEqual(d.remove.sort(), ['20260801_100000', '20261001_140000']);
});

test('increment folders older than the window are selected by date', () => {
  assert.deepEqual(selectExpiredIncrements(['20261029', '20261030', '20261031', 'junk', '20261129'], new Date('2026-11-29T12:00:00Z'), 30), ['20261029']);
});

test('a backup that took a config snapshot stays for the config window, even when the daily rule passes it over', () => {
  const now = new Date('2026-11-29T22:00:00Z');
  const history = [dump('2026-11-29T20:00:00Z'), dump('2026-11-29T09:00:00Z', { hasConfigSnapshot: true }), dump('2026-11-29T02:00:00Z')];
  const d = selectRetention(history, { ...policy, weekly: 0, monthly: 0 }, { now, latestRunFailed: false });
  assert.deepEqual(Object.fromEntries(d.keep.map((k) => [k.backupId, k.reasons])), {
    '20261129_200000': ['daily (day 2026-11-29)', 'newest good dump'],
    '20261129_090000': ['config snapshot younger than 30 days', 'newest config snapshot'],
  });
  assert.deepEqual(d.remove, ['20261129_020000']);
});

test('a backup dated in the future or whose artifacts are not as recorded takes no slot, is never deleted and is reported', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const history = [
    dump('2026-11-29T20:00:00Z'), // later today: a manifest from the future (clock skew, tampering)
    dump('2026-11-29T10:00:00Z'),
    dump('2026-11-29T09:00:00Z'),
    dump('2026-11-28T10:00:00Z', { problem: 'db/promptbox_20261128_100000.dump: missing' }),
    dump('2026-11-27T10:00:00Z'),
  ];
  const d = selectRetention(history, { ...policy, daily: 2, weekly: 0, monthly: 0 }, { now, latestRunFailed: false });
  // The two newest days with a real dump stay, whatever the other manifests claim.
  assert.deepEqual(Object.fromEntries(d.keep.map((k) => [k.backupId, k.reasons])), {
    '20261129_100000': ['daily (day 2026-11-29)', 'newest good dump'],
    '20261127_100000': ['daily (day 2026-11-27)'],
  });
  assert.deepEqual(d.remove, ['20261129_090000']);
  assert.deepEqual(d.wouldRemove, ['20261129_090000']);
  assert.deepEqual(d.ignored.map((i) => i.backupId), ['20261129_200000', '20261128_100000']);
  assert.match(d.ignored[0]!.reason, /dated in the future/);
  assert.match(d.ignored[1]!.reason, /db\/promptbox_20261128_100000\.dump: missing/);
});
