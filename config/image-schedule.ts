// The images schedule's default depends on another section: with pitr.enabled the database loses
// at most a minute, so image increments run every ten minutes (an unchanged one is a cheap no-op),
// keeping the images' RPO under 15 minutes; without it they run nightly after the dump. A cron the
// user gives (or null, no image schedule) is kept as given. Resolved on the whole parsed config,
// since a field's own default cannot see another section.

export const IMAGE_SCHEDULE = {
  daily: '30 3 * * *',
  // Minutes 5, 15, ..., 55: off the full hour, where the hourly config snapshot, the nightly dump
  // and retention start, so no two runs meet on the repository lock in the same second.
  withPitr: '5-55/10 * * * *',
} as const;

type GivenEntry = { cron?: string | undefined } | null | undefined;
type Unresolved = { pitr: { enabled: boolean }; schedules: { images?: GivenEntry } };
/** The config with `schedules.images` resolved: a cron, or null for no image schedule. */
export type WithImageSchedule<C extends Unresolved> = Omit<C, 'schedules'> & { schedules: Omit<C['schedules'], 'images'> & { images: { cron: string } | null } };

export function resolveImageSchedule<C extends Unresolved>(config: C): WithImageSchedule<C> {
  const given = config.schedules.images;
  const images = given === null ? null : { cron: given?.cron ?? (config.pitr.enabled ? IMAGE_SCHEDULE.withPitr : IMAGE_SCHEDULE.daily) };
  // The spread keeps every other field as it is; TypeScript cannot follow a spread over a generic.
  return { ...config, schedules: { ...config.schedules, images } } as unknown as WithImageSchedule<C>;
}
