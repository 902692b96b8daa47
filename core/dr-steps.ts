// The runbook's six steps, apart from the input's zod schema (core/dr-input.ts, which re-exports
// them): the workflow needs them at once, the schema only when it validates its input.

export const DR_STEPS = ['prepare', 'startDatabase', 'restoreDatabase', 'restoreImages', 'startApp', 'verify'] as const;
export type DrStep = (typeof DR_STEPS)[number];
