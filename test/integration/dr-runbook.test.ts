// Covers: workflows/dr-runbook.ts, activities/dr.ts, activities/dr-verify.ts,
// activities/promptbox-api.ts, core/dr-report.ts, fixtures/dr-sandbox.ts.
// Recovers a backup of the real Prompt Box (its images imported by the app itself) into a fresh
// sandbox: a new PostgreSQL 16 cluster on another port, new storage and import directories, and
// the real binary started by the start-app step with the target's environment overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import sharp from 'sharp';
import { useServices } from '../harness.js';
import { assertSucceeded, backupOfDaysAgo, finalAttempt, makeConfig, makeRealPromptBox, recordHistory, rootFailure, runBackup, runCli, runWorkflow, scheduledCount, sqlRows, testWorker, type TestSetup } from '../helpers.js';
import { layout } from '../../repository/layout.js';
import type { RetentionReport } from '../../workflows/retention.js';
import { startPostgresCluster } from '../../local/postgres-cluster.js';
import { temporalCli } from '../../local/temporal-dev-server.js';
import { checklistPassed } from '../../core/checklist.js';
import type { DrInput } from '../../core/dr-input.js';
import { makeSandbox } from '../../fixtures/dr-sandbox.js';
import type { DrProgress, DrReport } from '../../core/dr-report.js';
import { clusterRows, type RealPromptBox } from '../../fixtures/real-promptbox.js';
import { parseEnvFile } from '../../core/env-file.js';
import { abortSignal, approveSignal, progressQuery, retryStepSignal, skipStepSignal } from '../../workflows/dr-runbook.js';
import { NAMES_IN_PAYLOAD } from '../../core/bounded-names.js';

const services = useServices();

async function backedUp(name: string): Promise<{ fixture: RealPromptBox; setup: TestSetup }> {
  const fixture = await makeRealPromptBox(services, 8);
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
    // Launched with the Temporal CLI and an input file (audit-web-ui.test.ts runs the exact command of docs/disaster-recovery.md).
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

    // The recovered database is the source's, and verify's probe image left no trace in it.
    const counts = `select (select count(*) from images), (select count(*) from images where deleted_at is null), (select count(*) from image_events)`;
    assert.deepEqual(await sandboxRows(sandbox.port, counts), await sqlRows(services, fixture.database.name, counts));
    const hashes = 'select file_hash, storage_path, thumbnail_path from images order by 1';
    assert.deepEqual(await sandboxRows(sandbox.port, hashes), await sqlRows(services, fixture.database.name, hashes));
    assert.deepEqual((await readdir(sandbox.input.target.importDir!)).filter((f) => f.endsWith('.png')), [], 'the probe left the import folder');
    // Every original and thumbnail the app made is back, byte for byte, and served by the app.
    for (const image of fixture.images) {
      for (const key of [image.storagePath, image.thumbnailPath]) {
        assert.deepEqual(await readFile(join(sandbox.storageRoot, key)), await readFile(join(fixture.storageRoot, key)), key);
        const served = await fetch(new URL(`/storage/${key}`, sandbox.appUrl));
        assert.equal(served.status, 200, key);
      }
    }
    assert.equal((await readdir(sandbox.storageRoot, { recursive: true })).filter((p) => p.endsWith('.png') || p.endsWith('.webp')).length, 2 * fixture.images.length, 'no probe files left in storage');
    // The .env is the backup's, untouched; what differs on this host is in .env.recovery.
    const envRestored = await readFile(join(sandbox.input.target.appDir, '.env'), 'utf8');
    assert.equal(envRestored, await readFile(fixture.envFile, 'utf8'));
    const recoveryEnv = parseEnvFile(await readFile(join(sandbox.input.target.appDir, '.env.recovery'), 'utf8'));
    assert.equal(recoveryEnv.STORAGE_PATH, sandbox.storageRoot);
    assert.match(recoveryEnv.DATABASE_URL ?? '', new RegExp(`@127\\.0\\.0\\.1:${sandbox.port}/promptbox$`));
    const md = await readFile(join(setup.config.repository.root, 'dr-reports', 'dr-full.md'), 'utf8');
    assert.match(md, /Outcome: \*\*succeeded\*\*/);
    assert.ok((await stat(join(setup.config.repository.root, 'dr-reports', 'dr-full.json'))).isFile());
  } finally {
    await sandbox.stop();
  }
});

test('a recovery refuses a target holding data or overlapping the source, and writes nothing there', async () => {
  const { fixture, setup } = await backedUp('dr refuses targets');
  const refused = async (name: string, change: (input: DrInput) => Promise<void> | void) => {
    const sandbox = await makeSandbox(fixture, services.dir, name);
    try {
      const input = structuredClone(sandbox.input);
      await change(input);
      const handle = await startDr(setup, input, `dr-refused-${name}`);
      const error = await (await worker(setup)).runUntil(handle.result().then(() => undefined, (err: Error) => err));
      return { sandbox, cause: rootFailure(error) };
    } finally {
      await sandbox.stop();
    }
  };

  // An app directory that already holds a .env: refused before step 1, the file untouched.
  const keep = 'KEEP=the operator wrote this\n';
  const existing = await refused('existing-env', async (input) => {
    await mkdir(input.target.appDir, { recursive: true });
    await writeFile(join(input.target.appDir, '.env'), keep);
  });
  assert.equal(existing.cause.type, 'ConfigInvalid');
  assert.match(existing.cause.message ?? '', /target\.appDir .* is not empty \(\.env\)/);
  assert.equal(await readFile(join(existing.sandbox.input.target.appDir, '.env'), 'utf8'), keep);

  // The source's own storage and database.
  const source = await refused('source-storage', (input) => {
    input.target.storageRoot = join(fixture.storageRoot, 'restored');
    input.target.database = { transport: 'direct', host: fixture.database.host, port: fixture.database.port, user: fixture.database.user, database: fixture.database.name, password: setup.config.source.database.transport === 'direct' ? setup.config.source.database.password : undefined };
  });
  assert.equal(source.cause.type, 'ConfigInvalid');
  assert.match(source.cause.message ?? '', /target\.storageRoot .* overlaps the source storage root/);
  assert.match(source.cause.message ?? '', /target\.database is the source database/);
  assert.deepEqual(await readdir(fixture.storageRoot).then((d) => d.includes('restored')), false, 'nothing written into the source');

  // A database holding other tables: step 2 refuses it and waits for the operator; nothing restored.
  const sandbox = await makeSandbox(fixture, services.dir, 'busy-database');
  try {
    const cluster = await startPostgresCluster({ dir: join(services.dir, 'sandbox-busy-database', 'pg'), port: sandbox.port, superPassword: 'sandbox-super' });
    await clusterRows(cluster, 'promptbox', 'create table accounting (id int); insert into accounting values (1)');
    await cluster.stop();
    const handle = await startDr(setup, sandbox.input, 'dr-refused-busy-database');
    const parked = await (await worker(setup)).runUntil(async () => {
      for (let i = 0; i < 300; i += 1) {
        const p = await handle.query(progressQuery);
        if (p.waitingFor) {
          await handle.signal(abortSignal, { reason: 'wrong target' });
          await handle.result();
          return p;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the recovery never waited for the operator');
    });
    const start = parked.steps.find((s) => s.step === 'startDatabase')!;
    assert.equal(start.status, 'waiting for operator');
    assert.match(start.error ?? '', /target database promptbox is not empty \(1 tables: public\.accounting\)/);
    assert.equal(parked.steps.find((s) => s.step === 'restoreDatabase')?.status, 'pending');
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

test('a thumbnail missing from the backup is rebuilt as the app makes it, and reported so', async () => {
  const { fixture, setup } = await backedUp('dr thumbnail rebuilt');
  const victim = fixture.images.find((i) => !i.deleted)!;
  await rm(join(setup.config.repository.root, 'images/current', victim.thumbnailPath));
  const sandbox = await makeSandbox(fixture, services.dir, 'thumbnail');
  try {
    const handle = await startDr(setup, sandbox.input, 'dr-thumbnail');
    const report = (await (await worker(setup)).runUntil(handle.result())) as DrReport;
    assert.deepEqual(report.images.thumbnailsRebuilt, [victim.thumbnailPath]);
    assert.ok(checklistPassed(report.checklist), JSON.stringify(report.checklist, null, 1));
    assert.match(report.checklist.find((c) => c.item === 'images present and intact')!.evidence, new RegExp(`1 \\(${victim.thumbnailPath}\\) thumbnails rebuilt`));
    // Rebuilt as the app builds them: a WebP of the same size as the one the app made at import.
    const rebuilt = await sharp(join(sandbox.storageRoot, victim.thumbnailPath)).metadata();
    const original = await sharp(join(fixture.storageRoot, victim.thumbnailPath)).metadata();
    assert.deepEqual([rebuilt.format, rebuilt.width, rebuilt.height], ['webp', original.width, original.height]);
  } finally {
    await sandbox.stop();
  }
});

test('a recovered app that refuses the admin login fails the login and listing items with what it answered, and the step does not crash', async () => {
  const { fixture, setup } = await backedUp('dr wrong password');
  const sandbox = await makeSandbox(fixture, services.dir, 'wrong-password');
  const admin = sandbox.input.target.admin.password as { file: string };
  await writeFile(admin.file, 'not-the-admin-password', { mode: 0o600 });
  try {
    const handle = await startDr(setup, sandbox.input, 'dr-wrong-password');
    const report = (await (await worker(setup)).runUntil(handle.result())) as DrReport;
    assert.equal(report.steps.find((s) => s.step === 'verify')?.status, 'done');
    assert.equal(report.steps.find((s) => s.step === 'verify')?.attempts, 1, 'verify did not crash and retry');
    const byItem = Object.fromEntries(report.checklist.map((c) => [c.item, c]));
    assert.equal(byItem['login works']?.result, 'fail');
    assert.match(byItem['login works']!.evidence, /POST \/api\/auth\/login answered HTTP 401/);
    assert.equal(byItem['images listed']?.result, 'fail');
    assert.match(byItem['images listed']!.evidence, /GET \/api\/images\?page=1&per_page=120 answered HTTP 401/);
    assert.equal(byItem['metadata readable']?.result, 'fail');
    // What needs no login still passes: the files are there and the importer works.
    for (const item of ['image served byte-identical', 'thumbnails served', 'new image imported', 'database restored'] as const) {
      assert.equal(byItem[item]?.result, 'pass', `${item}: ${byItem[item]?.evidence}`);
    }
    assert.equal(checklistPassed(report.checklist), false);
    assert.equal(report.rto.met, false);
    // The probe was removed without a session too.
    const left = await sandboxRows(sandbox.port, 'select count(*) from images');
    assert.deepEqual(left, [[String(fixture.images.length)]]);
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

test('a recovery with 30,000 images missing from storage completes, with counts and the first names in its payloads and every name in a file', async () => {
  const { fixture, setup } = await backedUp('dr storage lost');
  const sandbox = await makeSandbox(fixture, services.dir, 'storage-lost');
  try {
    const handle = await startDr(setup, { ...sandbox.input, approval: true }, 'dr-storage-lost');
    const report = (await (await worker(setup)).runUntil(async () => {
      const waitFor = async (prefix: string) => {
        for (let i = 0; i < 600 && !(await handle.query(progressQuery)).waitingFor?.startsWith(prefix); i += 1) await new Promise((r) => setTimeout(r, 100));
      };
      // The operator restores the database by hand: one naming 30,000 images that storage lost.
      await waitFor('approval before 3');
      await handle.signal(skipStepSignal, { step: 'restoreDatabase', reason: 'restored by hand' });
      await waitFor('approval before 4');
      await sandboxRows(sandbox.port, `set role promptbox; create table images (storage_path text, file_hash text, thumbnail_path text, deleted_at timestamptz);
        insert into images select h || '.png', h, 'thumbnails/' || h || '.webp', null from (select md5(g::text) || md5(g::text) as h from generate_series(1, 30000) g) t`);
      for (const step of ['startApp', 'verify'] as const) await handle.signal(skipStepSignal, { step, reason: 'images are lost: judged by counts' });
      await handle.signal(approveSignal);
      return handle.result();
    })) as DrReport;
    assert.equal(report.steps.find((s) => s.step === 'restoreImages')?.status, 'done');
    assert.deepEqual([report.images.checked, report.images.missingCount, report.images.corruptCount], [30_000, 60_000, 0]);
    assert.equal(report.images.missing.length, NAMES_IN_PAYLOAD);
    const listed = (await readFile(join(setup.config.repository.root, report.images.listFile!), 'utf8')).split('\n').filter(Boolean);
    assert.equal(listed.length, 60_000);
    assert.ok(listed.every((l) => l.startsWith('missing\t')));
    const item = report.checklist.find((c) => c.item === 'images present and intact')!;
    assert.equal(item.result, 'fail');
    assert.match(item.evidence, /60000 \(.*, \.\.\. and 59990 more\) missing/);
    assert.ok(item.evidence.length < 2_000, 'the evidence stays short');
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
      // A retry is no approval: the destructive step still waits.
      await handle.signal(retryStepSignal, { step: 'restoreDatabase' });
      await new Promise((r) => setTimeout(r, 1500));
      const still = await handle.query(progressQuery);
      assert.match(still.waitingFor ?? '', /^approval before 3 restore database/);
      assert.equal(still.steps.find((s) => s.step === 'restoreDatabase')?.status, 'waiting for approval');
      await handle.signal(skipStepSignal, { step: 'restoreDatabase', reason: 'restoring the database by hand' });
      await waitFor((p) => p.waitingFor?.startsWith('approval before 4 restore images') ?? false);
      await handle.signal(abortSignal, { reason: 'drill over' });
      return handle.result();
    })) as DrReport;
    assert.equal(report.outcome, 'aborted');
    assert.equal(report.rto.met, false);
    assert.match(report.rto.verdict, /^RTO NOT MET \(recovery aborted\)/);
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

test('retention keeps a backup a running recovery reads, and removes it once the recovery has ended', async () => {
  const fixture = await makeRealPromptBox(services, 8);
  const setup = await makeConfig(services, fixture, 'dr lease', { overrides: (raw) => void (raw.retention = { daily: 1, weekly: 1, monthly: 1 }) });
  assertSucceeded(await runBackup(services, setup));
  const root = setup.config.repository.root;
  // A backup of 400 days ago, past every retention rule (a copy of the real one, as the GFS test makes them).
  const { backupId: old, dumpPath } = await backupOfDaysAgo(root, 400);
  const sandbox = await makeSandbox(fixture, services.dir, 'lease');
  try {
    const handle = await startDr(setup, { ...sandbox.input, approval: true, backup: { backupId: old } }, 'dr-lease');
    await (await worker(setup)).runUntil(async () => {
      for (let i = 0; !(await handle.query(progressQuery)).waitingFor?.startsWith('approval before 3 restore database'); i += 1) {
        assert.ok(i < 300, 'the recovery reaches its approval before restoring the database');
        await new Promise((r) => setTimeout(r, 100));
      }
      // On the recovery's worker: one task queue has one worker per process.
      const retention = async (dryRun: boolean) =>
        (await services.client.workflow.execute('applyRetention', { taskQueue: setup.config.temporal.taskQueue, workflowId: `dr-lease-retention-${dryRun}`, args: [{ dryRun }], workflowExecutionTimeout: '2 minutes' })) as RetentionReport;
      const dry = await retention(true);
      assert.ok(!dry.wouldRemove.includes(old), 'a dry run says it stays too');
      assert.deepEqual(dry.keep.find((k) => k.backupId === old)?.reasons, ['read by recovery dr-lease, which is still running']);
      const during = await retention(false);
      assert.deepEqual(during.keptInUse, [{ backupId: old, by: 'recovery dr-lease' }]);
      assert.ok(!during.remove.includes(old), 'the report does not count it as removed');
      assert.ok(existsSync(join(root, layout.manifest(old))) && existsSync(join(root, dumpPath)), 'the backup the recovery reads is still whole');
      await handle.signal(abortSignal, { reason: 'drill over' });
      return handle.result();
    });
    const after = await runWorkflow<RetentionReport>(services, setup, 'applyRetention', []);
    assert.ifError(after.error);
    assert.deepEqual(after.result!.remove, [old]);
    assert.deepEqual(after.result!.keptInUse, []);
    assert.ok(!existsSync(join(root, layout.manifest(old))) && !existsSync(join(root, dumpPath)), 'once the recovery has ended, retention removes the backup');
    assert.deepEqual(await readdir(join(root, layout.leasesDir)), [], "the ended recovery's lease is removed");
  } finally {
    await sandbox.stop();
  }
});

test('the recovery survives a worker restart in the middle of the image restore, without repeating finished steps', async () => {
  const { fixture, setup } = await backedUp('dr worker restart');
  // A large (sparse) file in the mirror makes the image copy take long enough to interrupt.
  await execa('truncate', ['-s', '2G', join(setup.config.repository.root, 'images/current/large.bin')]);
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
    const restored = await readdir(sandbox.storageRoot, { recursive: true });
    assert.deepEqual(restored.filter((p) => basename(p).startsWith('.')), []);
  } finally {
    await sandbox.stop();
  }
});
