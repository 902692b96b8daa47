// Calendar periods for retention, as distinct types: a day, an ISO week and a month can never be
// confused, even where their printed forms look alike (ISO week 2027-W01 against month 2027-01,
// the bug a peer tool had). Periods are taken in the operator's time zone, so a dump at 00:30
// local time belongs to that local day, across DST changes too.

export interface CalendarDay {
  readonly period: 'day';
  readonly year: number;
  readonly month: number;
  readonly day: number;
}
export interface IsoWeek {
  readonly period: 'isoWeek';
  readonly isoYear: number;
  readonly week: number;
}
export interface CalendarMonth {
  readonly period: 'month';
  readonly year: number;
  readonly month: number;
}
export type Period = CalendarDay | IsoWeek | CalendarMonth;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date of an instant in a time zone. */
export function dayOf(instant: Date, timeZone: string): CalendarDay {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    formatters.set(timeZone, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(instant).map((p) => [p.type, p.value]));
  return { period: 'day', year: Number(parts.year), month: Number(parts.month), day: Number(parts.day) };
}

/** ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeekOf(instant: Date, timeZone: string): IsoWeek {
  const { year, month, day } = dayOf(instant, timeZone);
  const date = Date.UTC(year, month - 1, day);
  const weekday = (new Date(date).getUTCDay() + 6) % 7; // Monday 0 .. Sunday 6
  const thursday = new Date(date + (3 - weekday) * 86_400_000);
  const isoYear = thursday.getUTCFullYear();
  const ordinal = Math.round((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / 86_400_000) + 1;
  return { period: 'isoWeek', isoYear, week: Math.floor((ordinal - 1) / 7) + 1 };
}

export function monthOf(instant: Date, timeZone: string): CalendarMonth {
  const { year, month } = dayOf(instant, timeZone);
  return { period: 'month', year, month };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A printable, collision-free key: the period type is part of it. */
export function periodLabel(p: Period): string {
  switch (p.period) {
    case 'day':
      return `day ${p.year}-${pad(p.month)}-${pad(p.day)}`;
    case 'isoWeek':
      return `week ${p.isoYear}-W${pad(p.week)}`;
    case 'month':
      return `month ${p.year}-${pad(p.month)}`;
  }
}

/**
 * The grandfather-father-son walk: from a list sorted newest first, the first (newest) item of
 * each period until `count` periods are kept, with that period's label. Periods without an item do
 * not count (a gap stretches the window back).
 */
export function newestPerPeriod<T>(newestFirst: readonly T[], count: number, periodOf: (item: T) => Period): Array<{ item: T; label: string }> {
  const kept: Array<{ item: T; label: string }> = [];
  let last: string | undefined;
  for (const item of newestFirst) {
    if (kept.length >= count) break;
    const label = periodLabel(periodOf(item));
    if (label === last) continue;
    last = label;
    kept.push({ item, label });
  }
  return kept;
}
