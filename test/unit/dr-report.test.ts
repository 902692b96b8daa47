// Covers: core/dr-report.ts, core/dr-input.ts, core/checklist.ts, core/audit-summary.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeInputIssues, drInputSchema } from '../../core/dr-input.js';
import { pointInTimeRpoVerdict, progressOf, reportMarkdown, rpoVerdict, rtoVerdict, STEP_TITLES, type StepState } from '../../core/dr-report.js';
import { CHECKLIST_ITEMS, checklistPassed } from '../../core/checklist.js';
import { backupSummary, drOverBudget, drSummary } from '../../core/audit-summary.js';
import type { DrReport } from '../../core/dr-report.js';

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
  assert.equal(rtoVerdict(p, true).verdict, 'RTO met: 50m of 4h; over budget: 2 start database (15m of 10m)');
  const late = progressOf({ startedAt: at(0), outcome: 'succeeded', rtoTargetMs: 30 * 60_000, steps: steps().slice(0, 1) }, new Date(at(45)));
  assert.deepEqual([rtoVerdict(late, true).met, rtoVerdict(late, true).verdict], [false, 'RTO MISSED: 45m of 30m; every step within its budget']);
  const rpo = rpoVerdict('2026-11-28T03:00:00.000Z', at(0), 24 * 3_600_000);
  assert.deepEqual([rpo.met, rpo.verdict], [true, 'RPO met: restored data was 24h old at recovery start (target 24h)']);
  assert.equal(rpoVerdict('2026-11-27T03:00:00.000Z', at(0), 24 * 3_600_000).met, false);
});

test('the report renders as Markdown with every step and checklist item', () => {
  const p = progressOf({ startedAt: at(0), outcome: 'succeeded', rtoTargetMs: 4 * 3_600_000, steps: steps().slice(0, 2) }, new Date(at(30)));
  const md = reportMarkdown(
    { ...p, rto: rtoVerdict(p, true), rpo: rpoVerdict(at(0), at(0), 1), checklist: [{ item: 'login works', result: 'pass', evidence: '200' }], images: { checked: 3, missing: ['a.png'], corrupt: [] } },
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

test('a refused recovery input is described field by field without echoing a value: it may be a secret typed inline', () => {
  const secret = 'hunter2-inline-7f3a';
  const bad = drInputSchema.safeParse({
    target: {
      appDir: secret,
      storageRoot: '/srv/pb/storage',
      appUrl: secret,
      database: { transport: 'direct', host: 'db', port: secret, user: 'pb', database: 'pb', password: secret },
      admin: { username: 'admin', password: secret },
      environment: { DB_PASSWORD: secret, LISTEN_ADDR: `x\n${secret}` },
      startApp: [secret, ''],
    },
    backup: { backupId: secret, pointInTime: secret, walTo: secret, scratchDir: secret },
    budgets: { verify: secret, rto: -1 },
    timeoutFactor: secret,
    approval: secret,
    password: secret,
  });
  assert.ok(bad.error);
  const lines = describeInputIssues(bad.error);
  const text = lines.join('\n');
  assert.ok(!text.includes('hunter2'), text);
  for (const field of [
    'target.appDir', 'target.appUrl', 'target.database.port', 'target.database.password', 'target.admin.password',
    'target.environment.DB_PASSWORD', 'target.environment.LISTEN_ADDR', 'target.startApp.1', 'backup.backupId',
    'backup.pointInTime', 'backup.walTo', 'backup.scratchDir', 'budgets.verify', 'budgets.rto', 'timeoutFactor', 'approval',
  ]) {
    assert.ok(lines.some((l) => l.startsWith(`${field}: `)), `${field} in\n${text}`);
  }
  assert.ok(lines.includes('(top level): Unrecognized key: "password"'), text);
  assert.ok(lines.includes('target.admin.password: must be {"env": "NAME"} or {"file": "/absolute/path"}, never the secret itself'), text);
  assert.ok(lines.some((l) => /^budgets\.verify: not a duration/.test(l)), text);
});

test('an aborted or failed recovery, or one whose checklist failed, never has its RTO met, however quickly it ended', () => {
  for (const outcome of ['aborted', 'failed'] as const) {
    const p = progressOf({ startedAt: at(0), outcome, rtoTargetMs: 4 * 3_600_000, steps: steps().slice(0, 1) }, new Date(at(5)));
    assert.deepEqual([rtoVerdict(p, true).met, rtoVerdict(p, true).verdict], [false, `RTO NOT MET (recovery ${outcome}): 5m of 4h; every step within its budget`]);
  }
  const unverified = progressOf({ startedAt: at(0), outcome: 'succeeded', rtoTargetMs: 4 * 3_600_000, steps: steps().slice(0, 1) }, new Date(at(5)));
  assert.equal(rtoVerdict(unverified, false).met, false);
  assert.match(rtoVerdict(unverified, false).verdict, /^RTO NOT MET \(the checklist failed: the app is not verified working\)/);
});

test('a recovery is over budget when the RTO is missed or any one step overran, and its summary says so in one line', () => {
  const report = (all: StepState[], rtoTargetMs: number, end: number): DrReport => {
    const p = progressOf({ startedAt: at(0), backupId: '20261128_030000', outcome: 'succeeded', rtoTargetMs, steps: all }, new Date(at(end)));
    const checklist = [{ item: 'database restored' as const, result: 'pass' as const, evidence: 'rows match' }, { item: 'login works' as const, result: 'fail' as const, evidence: '401' }];
    return { ...p, rto: rtoVerdict(p, true), rpo: rpoVerdict('2026-11-28T03:00:00.000Z', at(0), 24 * 3_600_000), checklist, images: { checked: 0, missing: [], corrupt: [] } };
  };
  const withinBudget = steps().slice(0, 1);
  assert.equal(drOverBudget(report(withinBudget, 4 * 3_600_000, 50)), false);
  assert.equal(drOverBudget(report(steps(), 4 * 3_600_000, 50)), true, 'a step over its budget');
  assert.equal(drOverBudget(report(withinBudget, 30 * 60_000, 45)), true, 'the RTO missed');
  assert.equal(
    drSummary(report(steps(), 4 * 3_600_000, 50)),
    'recovery succeeded from backup 20261128_030000: RTO met: 50m of 4h; over budget: 2 start database (15m of 10m); RPO met: restored data was 24h old at recovery start (target 24h); checklist 1/2 passed',
  );
});

test('a backup summary names kind, id, source, size and warnings; an unchanged config snapshot says nothing was written', () => {
  const result = {
    backupId: '20261129_030000', kind: 'full', parts: ['database', 'images', 'config'], outcome: 'succeeded', source: 'promptbox', repository: '/r',
    artifacts: [{ bytes: 1000 }, { bytes: 234 }], configChanged: [], verification: [], warnings: ['off-site copy to s3 failed: timeout'],
    retention: { deletedBackups: [] }, offsite: [], bytesWritten: 1234, timings: [], totalMs: 65_000,
  } as unknown as Parameters<typeof backupSummary>[0];
  assert.equal(backupSummary(result), 'full backup 20261129_030000 of promptbox: succeeded, 1234 bytes in 2 artifact(s), verified, 1m5s; 1 warning(s)');
  assert.equal(backupSummary({ ...result, kind: 'config', outcome: 'unchanged' }), 'config backup 20261129_030000 of promptbox: unchanged, nothing written');
});

const target = { appDir: '/srv/pb', storageRoot: '/srv/pb/storage', database: { transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' }, admin: { username: 'admin', password: { file: '/etc/pb/admin' } } };

test('a recovery from the WAL archive takes walTo "latest" or a time with its offset, and refuses a dump choice beside it naming both fields', () => {
  for (const walTo of ['latest', '2026-11-30T08:15:00Z', '2026-11-30T09:15:00.250+01:00']) {
    assert.deepEqual(drInputSchema.parse({ target, backup: { walTo, scratchDir: '/var/tmp' } }).backup, { walTo, scratchDir: '/var/tmp' });
  }
  const issues = (backup: unknown) => {
    const parsed = drInputSchema.safeParse({ target, backup });
    return parsed.success ? [] : describeInputIssues(parsed.error);
  };
  for (const walTo of ['yesterday', '2026-11-30T08:15:00', 'LATEST', '']) {
    assert.deepEqual(issues({ walTo }), ['backup.walTo: must be "latest" or an ISO 8601 time with its offset, e.g. 2026-11-30T08:15:00Z'], walTo);
  }
  assert.deepEqual(issues({ walTo: 'latest', pointInTime: '2026-11-30T08:15:00Z', backupId: '20261130_030000' }), [
    'backup.walTo: give either "backupId" (a dump) or "walTo" (the WAL archive up to a moment), not both',
    'backup.walTo: give either "pointInTime" (a dump) or "walTo" (the WAL archive up to a moment), not both',
  ]);
  assert.deepEqual(issues({ pointInTime: '2026-11-30T08:15:00Z', scratchDir: '/var/tmp' }), ['backup.scratchDir: only a "walTo" recovery uses a scratch cluster: give "walTo" too, or drop "scratchDir"']);
  assert.deepEqual(issues({ pointInTime: '2026-11-30T08:15:00Z' }), [], 'pointInTime alone still picks a dump');
});

test('the RPO of a recovery to a moment: the database and the images each against the moment asked for, or the recovery start for "latest"', () => {
  const t = '2026-11-30T12:00:00.000Z';
  const exact = pointInTimeRpoVerdict({ target: t, databaseReachedAt: '2026-11-30T11:59:59.500Z', imagesAsOf: '2026-11-30T12:05:00.000Z', recoveryStartedAt: '2026-11-30T13:00:00Z' }, 60_000);
  assert.deepEqual(exact.pointInTime, { target: t, databaseReachedAt: '2026-11-30T11:59:59.500Z', databaseRpoMs: 500, imagesAsOf: '2026-11-30T12:05:00.000Z', imagesRpoMs: 0 });
  assert.equal(exact.met, true);
  assert.equal(exact.dataAgeMs, 500);
  assert.equal(exact.verdict, `RPO met: database recovered to 2026-11-30T11:59:59.500Z, 500ms before the target ${t}; images as of the image backup started 2026-11-30T12:05:00.000Z, after it: none lost (target 1m)`);

  const staleImages = pointInTimeRpoVerdict({ target: t, databaseReachedAt: '2026-11-30T11:59:59.500Z', imagesAsOf: '2026-11-30T11:50:00.000Z', recoveryStartedAt: '2026-11-30T13:00:00Z' }, 60_000);
  assert.equal(staleImages.met, false, 'images 10 minutes behind miss a 1-minute target');
  assert.equal(staleImages.dataAgeMs, 600_000);
  assert.match(staleImages.verdict, /^RPO MISSED: .*images as of the image backup started 2026-11-30T11:50:00.000Z, 10m before it/);

  const latest = pointInTimeRpoVerdict({ target: 'latest', databaseReachedAt: '2026-11-30T12:59:30.000Z', imagesAsOf: '2026-11-30T12:50:00.000Z', recoveryStartedAt: '2026-11-30T13:00:00.000Z' }, 3_600_000);
  assert.deepEqual([latest.pointInTime?.databaseRpoMs, latest.pointInTime?.imagesRpoMs, latest.met], [30_000, 600_000, true]);
  assert.match(latest.verdict, /before the recovery start \(target "latest"\)/);

  const noImages = pointInTimeRpoVerdict({ target: t, databaseReachedAt: t, recoveryStartedAt: t }, 60_000);
  assert.equal(noImages.met, false, 'without an image backup the images are unknown');
  assert.match(noImages.verdict, /no image backup: images unknown/);
  const notRecovered = pointInTimeRpoVerdict({ target: t, imagesAsOf: t, recoveryStartedAt: t }, 60_000);
  assert.deepEqual([notRecovered.met, notRecovered.dataAgeMs], [false, undefined]);
  assert.match(notRecovered.verdict, /^RPO unknown: the database was not recovered from the WAL archive/);
});
