// Covers: core/dr-report.ts, core/dr-input.ts, core/checklist.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drInputSchema } from '../../core/dr-input.js';
import { progressOf, reportMarkdown, rpoVerdict, rtoVerdict, STEP_TITLES, type StepState } from '../../core/dr-report.js';
import { CHECKLIST_ITEMS, checklistPassed } from '../../core/checklist.js';

const at = (min: number) => new Date(Date.UTC(2026, 10, 29, 3, min)).toISOString();

function steps(): StepState[] {
  return [
    { step: 'prepare', title: STEP_TITLES.prepare, budgetMs: 30 * 60_000, status: 'done', attempts: 1, startedAt: at(0), endedAt: at(10) },
    { step: 'startDatabase', title: STEP_TITLES.startDatabase, budgetMs: 10 * 60_000, status: 'done', attempts: 2, startedAt: at(10), endedAt: at(25) },
    { step: 'restoreDatabase', title: STEP_TITLES.restoreDatabase, budgetMs: 30 * 60_000, status: 'running', attempts: 1, startedAt: at(25) },
    { step: 'restoreImages', title: STEP_TITLES.restoreImages, budgetMs: 3 * 3_600_000, status: 'pending', attempts: 0 },
  ];
}

test('progress shows each step against its budget and the RTO left', () => {
  const p = progressOf({ startedAt: at(0), outcome: 'running', rtoTargetMs: 4 * 3_600_000, steps: steps() }, new Date(at(40)));
  assert.equal(p.elapsedMs, 40 * 60_000);
  assert.equal(p.rtoLeftMs, 200 * 60_000);
  assert.deepEqual(p.steps.map((s) => [s.step, s.elapsedMs, s.overBudget]), [
    ['prepare', 10 * 60_000, false],
    ['startDatabase', 15 * 60_000, true],
    ['restoreDatabase', 15 * 60_000, false],
    ['restoreImages', undefined, false],
  ]);
});

test('the RTO verdict names over-budget steps; RPO is the age of the restored data at the start', () => {
  const p = progressOf({ startedAt: at(0), outcome: 'succeeded', rtoTargetMs: 4 * 3_600_000, steps: steps() }, new Date(at(50)));
  assert.equal(rtoVerdict(p).verdict, 'RTO met: 50m of 4h; over budget: 2 start database (15m of 10m)');
  const late = progressOf({ startedAt: at(0), outcome: 'succeeded', rtoTargetMs: 30 * 60_000, steps: steps().slice(0, 1) }, new Date(at(45)));
  assert.deepEqual([rtoVerdict(late).met, rtoVerdict(late).verdict], [false, 'RTO MISSED: 45m of 30m; every step within its budget']);
  const rpo = rpoVerdict('2026-11-28T03:00:00.000Z', at(0), 24 * 3_600_000);
  assert.deepEqual([rpo.met, rpo.verdict], [true, 'RPO met: restored data was 24h old at recovery start (target 24h)']);
  assert.equal(rpoVerdict('2026-11-27T03:00:00.000Z', at(0), 24 * 3_600_000).met, false);
});

test('the report renders as Markdown with every step and checklist item', () => {
  const p = progressOf({ startedAt: at(0), outcome: 'succeeded', rtoTargetMs: 4 * 3_600_000, steps: steps().slice(0, 2) }, new Date(at(30)));
  const md = reportMarkdown(
    { ...p, rto: rtoVerdict(p), rpo: rpoVerdict(at(0), at(0), 1), checklist: [{ item: 'login works', result: 'pass', evidence: '200' }], images: { checked: 3, missing: ['a.png'], corrupt: [] } },
    'dr-1',
  );
  assert.match(md, /\| 2 start database \| done \| 15m \| 10m \| OVER \|/);
  assert.match(md, /- \*\*pass\*\* login works: 200/);
  assert.match(md, /- missing: a\.png/);
});

test('the checklist passes only when every item passed', () => {
  const all = CHECKLIST_ITEMS.map((item) => ({ item, result: 'pass' as const, evidence: '' }));
  assert.ok(checklistPassed(all));
  assert.ok(!checklistPassed(all.slice(1)));
  assert.ok(!checklistPassed([...all.slice(1), { item: 'database restored', result: 'skip', evidence: '' }]));
});

test('recovery input defaults to the backup doc budgets and names bad fields', () => {
  const ok = drInputSchema.parse({
    target: { appDir: '/srv/pb', storageRoot: '/srv/pb/storage', database: { transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' }, admin: { username: 'admin', password: { file: '/etc/pb/admin' } } },
  });
  assert.deepEqual(Object.values(ok.budgets), [1_800_000, 600_000, 1_800_000, 10_800_000, 600_000, 1_800_000, 14_400_000, 86_400_000]);
  assert.deepEqual(ok.target.startDatabase, ['docker', 'compose', 'up', '-d', 'db']);
  const bad = drInputSchema.safeParse({ target: { appDir: 'relative', database: { transport: 'ftp' } }, budgets: { verify: 'soon' } });
  const fields = bad.error?.issues.map((i) => i.path.join('.')) ?? [];
  for (const f of ['target.appDir', 'target.storageRoot', 'target.database.transport', 'target.admin', 'budgets.verify']) assert.ok(fields.includes(f), `${f} in ${fields}`);
});
