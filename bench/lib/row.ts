// One line of the benchmark's table: our figure, the yardstick measured in the same run, the
// ratio between them and whether it meets the target (undefined: reported, no target).
export interface Row {
  scenario: string;
  ours: string;
  baseline: string;
  result: string;
  target: string;
  met: boolean | undefined;
  /** The raw numbers behind the row, for results.json. */
  data: Record<string, number>;
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const ratio = (x: number) => `${x.toFixed(2)} ×`;
export const mb = (x: number) => `${x.toFixed(0)} MB`;

/** Where a backup run's time went: its timed steps, and the rest (plan, lock, bookkeeping, the server's dispatch). */
export function stepBreakdown(result: { timings: Array<{ step: string; ms: number }> }, totalMs: number): string {
  const stepsMs = result.timings.reduce((n, t) => n + t.ms, 0);
  return [...result.timings.map((t) => `${t.step} ${seconds(t.ms)}`), `the rest ${seconds(Math.max(0, totalMs - stepsMs))}`].join(', ');
}

/**
 * The floor of a run that does `rawMs` of work as one activity of a workflow: the raw tools' own
 * time plus the least a workflow adds (`oneActivityMs`), as a share of `firstMs`. Where the floor
 * itself is over a target, no workflow can meet it on this machine.
 */
export function floorOf(rawMs: number, oneActivityMs: number, firstMs: number): { text: string; floorText: string; result(ours: number, target: number): string } {
  const floor = (rawMs + oneActivityMs) / firstMs;
  const floorText = `${seconds(rawMs + oneActivityMs)} = ${ratio(floor)}`;
  return {
    text: `the raw tools plus the least a workflow adds (one no-op activity, started and awaited: ${seconds(oneActivityMs)}) ${floorText}`,
    /** The floor's figures alone, for a second floor that adds to the raw tools' work. */
    floorText,
    /** The row's result: our ratio, saying so when the floor itself is over the target. */
    result: (ours, target) => (floor > target ? `${ratio(ours)} (the floor is over the target here)` : ratio(ours)),
  };
}
