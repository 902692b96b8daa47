// Covers: workflows/dr-runbook.ts, activities/dr.ts, core/dr-report.ts, fixtures/standin-app.ts.
// Recovers a real backup into a fresh sandbox: a new PostgreSQL cluster on another port, a new
// storage directory, and the stand-in app started by the start-app step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { useServices } from '../harness.js';
import { assertSucceeded, finalAttempt, makeConfig, makeFixture, recordHistory, runBackup, runCli, scheduledCount, sqlRows, testWorker, type TestSetup } from '../helpers.js';
import { temporalCli } from '../../client/local/temporal-dev-server.js';
import { checklistPassed } from '../../core/checklist.js';
import type { DrInput } from '../../core/dr-input.js';
import { makeSandbox } from '../../fixtures/dr-sandbox.js';
import type { DrProgress, DrReport } from '../../core/dr-report.js';
import type { PromptBoxFixture } from '../../fixtures/promptbox.js';
import { abortSignal, progressQuery, skipStepSignal } from '../../workflows/dr-runbook.js';

const services = useServices();

async function backedUp(name: string): Promise<{ fixture: PromptBoxFixture; setup: TestSetup }> {
  const fixture = await makeFixture(services, 8);
  const setup = await makeConfig(services, fixture, name);
  assertSucceeded(await runBackup(services, setup));
  return { fixture, setup };
}

async function startDr(setup: TestSetup, input: DrInput, id: string) {
  return services.client.workflow.start('drRecovery', {
    taskQueue: setup.config.temporal.taskQueue,
    workflowId: id,
    args: [input],
    workflowExecutionTimeout: '5 minutes',
  });
}

const worker = (setup: TestSetup) => testWorker(services, setup);

async function sandboxRows(port: number, sql: string): Promise<string[][]> {
  const { stdout } = await execa('psql', ['-X', '-A', '-t', '-F', '\t', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'promptbox', '-c', sql], { env: { PGPASSWORD: 'sandbox-super' } });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

test('a full recovery into a fresh sandbox passes every checklist item and restores the source database', async () => {
  const { fixture, setup } = await backedUp('dr full');
  const sandbox = await makeSandbox(fixture, services.dir, 'full');
  try {
    // Launched with the Temporal CLI and an input file (audit-web-ui.test.ts runs the README's exact command).
    const inputFile = join(services.dir, 'dr-full-input.json');
    await writeFile(inputFile, JSON.stringify(sandbox.input));
    await execa(temporalCli(), [
      'workflow', 'start', '--address', services.temporal.address,
      '--task-queue', setup.config.temporal.taskQueue, '--type', 'drRecovery', '--workflow-id', 'dr-full', '--input-file', inputFile,
    ]);
    const handle = services.client.workflow.getHandle('dr-full');
    // Watched live as an operator would, from our CLI, for scripts.
    const [report, watched] = await (await worker(setup)).runUntil(Promise.all([handle.result() as Promise<DrReport>, runCli(services, setup, ['dr', 'status', 'dr-full', '--watch', '--json'])]));
    assert.equal(watched.exitCode, 0, watched.stderr);
    const lines = watched.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; step?: string; stepNo?: number; result?: DrReport });
    assert.deepEqual(lines.filter((l) => l.type === 'step').map((l) => `${l.stepNo} ${l.step}`), report.steps.map((s) => s.title));
    assert.deepEqual(lines.at(-1)?.result?.outcome, 'succeeded');
    const numbers = lines.filter((l) => l.type === 'progress').map((l) => l.stepNo!);
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'the running step only moves forward');
    assert.equal(report.outcome, 'succeeded', JSON.stringify(report.steps));
    assert.ok(checklistPassed(report.checklist), JSON.stringify(report.checklist, null, 1));
    assert.deepEqual(report.steps.map((s) => s.status), ['done', 'done', 'done', 'done', 'done', 'done']);
    await recordHistory(services, 'dr-full', 'dr-recovery');
    assert.match(report.rto.verdict, /^RTO met: .* of 10m; every step within its budget$/);
    assert.match(report.rpo.verdict, /^RPO met: restored data was .* old at recovery start/);

    const counts = `select (select count(*) from images where prompt <> 'imported'), (select count(*) from image_events), (select count(*) from showcase_images)`;
    assert.deepEqual(await sandboxRows(sandbox.port, counts), await sqlRows(services, fixture.database.name, counts));
    const hashes = `select file_hash from images where prompt <> 'imported' order by 1`;
    assert.deepEqual(await sandboxRows(sandbox.port, hashes), await sqlRows(services, fixture.database.name, hashes));
    const envRestored = await readFile(join(sandbox.input.target.appDir, '.env'), 'utf8');
    assert.equal(envRestored, await readFile(fixture.envFile, 'utf8'));
    const md = await readFile(join(setup.config.repository.root, 'dr-reports', 'dr-full.md'), 'utf8');
    assert.match(md, /Outcome: \*\*succeeded\*\*/);
    assert.ok((await stat(join(setup.config.repository.root, 'dr-reports', 'dr-full.json'))).isFile());
  } finally {
    await sandbox.stop();
  }
});

test('a step with a budget shorter than it needs is reported over budget, and the RTO verdict says so', async () => {
  const { fixture, setup } = await backedUp('dr over budget');
  const sandbox = await makeSandbox(fixture, services.dir, 'budget');
  const input = { ...sandbox.input, budgets: { ...sandbox.input.budgets, startDatabase: '20ms' }, timeoutFactor: 3000 };
  try {
    const handle = await startDr(setup, input, 'dr-budget');
    const report = (await (await worker(setup)).runUntil(handle.result())) as DrReport;
    const step = report.steps.find((s) => s.step === 'startDatabase')!;
    assert.equal(step.status, 'done');
    assert.equal(step.overBudget, true);
    assert.match(report.rto.verdict, /over budget: 2 start database \(.* of 20ms\)/);
  } finally {
    await sandbox.stop();
  }
});

test('an image corrupted in the backup is detected and named in the report', async () => {
  const { fixture, setup } = await backedUp('dr corrupt image');
  const victim = fixture.images.find((i) => !i.deleted)!;
  const mirrored = join(setup.config.repository.root, 'images/current', victim.storagePath);
  const bytes = await readFile(mirrored);
  const middle = bytes.length >> 1;
  bytes[middle] = (bytes[middle] as number) ^ 0xff;
  await writeFile(mirrored, bytes);
  const sandbox = await makeSandbox(fixture, services.dir, 'corrupt');
  try {
    const handle = await startDr(setup, sandbox.input, 'dr-corrupt');
    const report = (await (await worker(setup)).runUntil(handle.result())) as DrReport;
    assert.deepEqual(report.images.corrupt, [victim.storagePath]);
    const item = report.checklist.find((c) => c.item === 'images present and intact')!;
    assert.equal(item.result, 'fail');
    assert.ok(item.evidence.includes(victim.storagePath), item.evidence);
  } finally {
    await sandbox.stop();
  }
});

test('skip is recorded with its reason, and abort stops what was started and leaves no process behind', async () => {
  const { fixture, setup } = await backedUp('dr skip abort');
  const sandbox = await makeSandbox(fixture, services.dir, 'abort');
  try {
    const handle = await startDr(setup, { ...sandbox.input, approval: true }, 'dr-abort');
    const report = (await (await worker(setup)).runUntil(async () => {
      const waitFor = async (what: (p: DrProgress) => boolean) => {
        for (let i = 0; i < 200; i += 1) {
          const p = await handle.query(progressQuery);
          if (what(p)) return p;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('timed out waiting for progress');
      };
      const waiting = await waitFor((p) => p.waitingFor?.startsWith('approval before 3 restore database') ?? false);
      assert.equal(waiting.steps.find((s) => s.step === 'startDatabase')?.status, 'done');
      assert.ok(waiting.rtoLeftMs > 0 && waiting.rtoLeftMs <= 600_000);
      await handle.signal(skipStepSignal, { step: 'restoreDatabase', reason: 'restoring the database by hand' });
      await waitFor((p) => p.waitingFor?.startsWith('approval before 4 restore images') ?? false);
      await handle.signal(abortSignal, { reason: 'drill over' });
      return handle.result();
    })) as DrReport;
    assert.equal(report.outcome, 'aborted');
    const byStep = Object.fromEntries(report.steps.map((s) => [s.step, s]));
    assert.equal(byStep.restoreDatabase?.status, 'skipped');
    assert.equal(byStep.restoreDatabase?.skipReason, 'restoring the database by hand');
    assert.equal(byStep.restoreImages?.status, 'aborted');
    const probe = await execa('pg_isready', ['-h', '127.0.0.1', '-p', String(sandbox.port)], { reject: false });
    assert.notEqual(probe.exitCode, 0, 'the sandbox database was stopped by the abort');
  } finally {
    await sandbox.stop();
  }
});

test('the recovery survives a worker restart in the middle of the image restore, without repeating finished steps', async () => {
  const { fixture, setup } = await backedUp('dr worker restart');
  // A large (sparse) file in the mirror makes the image copy take long enough to interrupt.
  await execa('truncate', ['-s', '2G', join(setup.config.repository.root, 'images/current/original/large.bin')]);
  const sandbox = await makeSandbox(fixture, services.dir, 'restart');
  try {
    const handle = await startDr(setup, sandbox.input, 'dr-restart');
    await (await worker(setup)).runUntil(async () => {
      for (let i = 0; i < 600; i += 1) {
        const p = await handle.query(progressQuery);
        if (p.steps.find((s) => s.step === 'restoreImages')?.status === 'running') return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the image restore never started');
    }); // leaving runUntil shuts this worker down, cancelling the running step
    const report = (await (await worker(setup)).runUntil(handle.result())) as DrReport;
    assert.equal(report.outcome, 'succeeded', JSON.stringify(report.steps));
    assert.ok(checklistPassed(report.checklist), JSON.stringify(report.checklist));
    const events = (await handle.fetchHistory()).events ?? [];
    for (const type of ['drPrepare', 'drStartDatabase', 'drRestoreDatabase', 'drRestoreImages']) assert.equal(scheduledCount(events, type), 1, `${type} scheduled once`);
    const imageAttempt = finalAttempt(events, 'drRestoreImages');
    assert.ok(imageAttempt >= 2, `the image restore ran again on the new worker (attempt ${imageAttempt})`);
    assert.equal(report.steps.find((s) => s.step === 'restoreDatabase')?.attempts, 1);
    // The interrupted copy's half-written file is gone, not left among the restored originals.
    const restored = await readdir(sandbox.input.target.storageRoot, { recursive: true });
    assert.deepEqual(restored.filter((p) => basename(p).startsWith('.')), []);
  } finally {
    await sandbox.stop();
  }
});
