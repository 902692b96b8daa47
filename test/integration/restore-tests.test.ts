// Covers: workflows/restore-test.ts, activities/restore-test.ts, activities/artifact-check.ts,
// against the real Temporal server, PostgreSQL 16 and the real Prompt Box's data (its images
// imported by the app itself); the full restore recovers it into a sandbox running the real app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { NAMES_IN_PAYLOAD } from '../../core/bounded-names.js';
import { execa } from 'execa';
import { useServices } from '../harness.js';
import { assertSucceeded, backupOfDaysAgo, finalAttempt, makeConfig, makeFixture, makeRealPromptBox, recordHistory, runBackup, runWorkflow, sqlRows, testWorker, type TestSetup } from '../helpers.js';
import { backupIdFor, layout } from '../../repository/layout.js';
import type { RetentionReport } from '../../workflows/retention.js';
import { makeSandbox } from '../../fixtures/dr-sandbox.js';
import type { RestoreTestResult } from '../../repository/restore-tests.js';
import type { ConfigInput } from '../../config/schema.js';
import type { PromptBoxFixture } from '../../fixtures/promptbox.js';
import type { DrInput } from '../../core/dr-input.js';

const services = useServices();

/** Restore tests restore into scratch databases on the test cluster, as its superuser. */
async function scratchAccess(raw: ConfigInput): Promise<void> {
  const pw = join(services.dir, 'superuser.pw');
  await writeFile(pw, services.postgres.superPassword, { mode: 0o600 });
  raw.restoreTests = {
    ...raw.restoreTests,
    scratchDatabase: { transport: 'direct', host: '127.0.0.1', port: services.postgres.port, user: 'postgres', database: 'postgres', password: { file: pw } },
    imageSample: 5,
  };
}

interface Options {
  /** Changes the source before the backup is taken. */
  prepare?: (f: PromptBoxFixture) => Promise<void>;
  /** Configures the full restore into a fresh sandbox under this root. */
  sandboxRoot?: string;
  /** Changes the recovery input of the full restore. */
  recovery?: (input: DrInput) => void;
}

async function backedUp(name: string, opts: Options = {}) {
  const fixture = await makeRealPromptBox(services, 8);
  await opts.prepare?.(fixture);
  const sandbox = opts.sandboxRoot ? await makeSandbox(fixture, opts.sandboxRoot, 'full') : undefined;
  if (sandbox) opts.recovery?.(sandbox.input);
  const setup = await makeConfig(services, fixture, name, {
    overrides: async (raw) => {
      await scratchAccess(raw);
      if (sandbox && opts.sandboxRoot) raw.restoreTests = { ...raw.restoreTests, full: { sandboxRoot: opts.sandboxRoot, recovery: sandbox.input as Record<string, unknown> } };
    },
  });
  assertSucceeded(await runBackup(services, setup));
  return { fixture, setup, sandbox };
}

async function restoreTest(setup: TestSetup, kind: string, partial?: string): Promise<RestoreTestResult> {
  const run = await runWorkflow<RestoreTestResult>(services, setup, 'restoreTest', [{ kind, ...(partial ? { partial } : {}) }]);
  assert.ifError(run.error);
  if (run.result?.passed) await recordHistory(services, run.handle.workflowId, `restore-test-${kind}${partial ? `-${partial}` : ''}`);
  return run.result!;
}

async function scratchDatabases(): Promise<string[]> {
  return (await sqlRows(services, 'postgres', "select datname from pg_database where datname like 'pbb_restore_test_%'")).map((r) => r[0] as string);
}

test('each kind of restore test passes on a good backup, and leaves nothing behind', async () => {
  const sandboxRoot = join(services.dir, 'sandbox-root-pass');
  await mkdir(sandboxRoot, { recursive: true });
  const { setup, sandbox } = await backedUp('restore tests pass', { sandboxRoot });
  try {
    const integrity = await restoreTest(setup, 'integrity');
    assert.equal(integrity.passed, true, JSON.stringify(integrity.failures));
    assert.ok(integrity.checked > 8);

    const database = await restoreTest(setup, 'partial', 'database');
    assert.equal(database.passed, true, JSON.stringify(database.failures));
    assert.deepEqual(database.checklist.map((c) => [c.item, c.result]), [['database restored', 'pass'], ['metadata readable', 'pass']]);

    const images = await restoreTest(setup, 'partial', 'images');
    assert.equal(images.passed, true, JSON.stringify(images.failures));
    assert.equal(images.checklist[0]!.evidence, '5 sampled originals restored, 5 decoded, 0 problems');

    const full = await restoreTest(setup, 'full');
    assert.equal(full.passed, true, JSON.stringify(full.checklist, null, 1));
    assert.equal(full.checklist.length, 8);

    assert.deepEqual(await scratchDatabases(), []);
    assert.deepEqual(await readdir(join(setup.config.repository.root, 'restore-tests', 'scratch')).catch(() => []), []);
    assert.deepEqual(await readdir(sandboxRoot), [], 'the full restore sandbox is emptied');
    const history = (await readdir(join(setup.config.repository.root, 'restore-tests'))).filter((n) => n.endsWith('.json'));
    assert.equal(history.length, 4);
  } finally {
    await sandbox?.stop();
  }
});

test('a flipped byte in a dump, in an encrypted file and in a mirrored image is each caught and named', async () => {
  const { fixture, setup } = await backedUp('restore tests corruption');
  const root = setup.config.repository.root;
  const flip = async (rel: string) => {
    const bytes = await readFile(join(root, rel));
    const i = bytes.length >> 1;
    bytes[i] = (bytes[i] as number) ^ 0x01;
    await writeFile(join(root, rel), bytes);
  };
  const dump = (await readdir(join(root, 'db')))[0]!;
  const env = (await readdir(join(root, 'config'))).find((n) => n.startsWith('.env.'))!;
  const image = `images/current/${fixture.images.find((i) => !i.deleted)!.storagePath}`;
  await flip(`db/${dump}`);
  await flip(`config/${env}`);
  await flip(image);

  const result = await restoreTest(setup, 'integrity');
  assert.equal(result.passed, false);
  const named = new Set(result.failures.map((f) => f.artifact));
  assert.deepEqual([...named].sort(), [`config/${env}`, `db/${dump}`, image].sort());
  assert.ok(result.failures.every((f) => f.detail.length > 0));
  assert.deepEqual(result.checklist.map((c) => c.result), ['fail', 'fail']);
});

test('retention while an integrity check runs keeps what the check reads, and removes it once the check has ended', async () => {
  const fixture = await makeRealPromptBox(services, 8);
  const setup = await makeConfig(services, fixture, 'integrity lease', { overrides: (raw) => void (raw.retention = { daily: 1, weekly: 1, monthly: 1 }) });
  assertSucceeded(await runBackup(services, setup));
  const root = setup.config.repository.root;
  const { backupId: old, dumpPath } = await backupOfDaysAgo(root, 400);
  // A sparse file of 2 GB in the mirror: reading it whole keeps the check busy for seconds.
  const slow = join(root, layout.imagesCurrent, 'slow-to-read.bin');
  await writeFile(slow, '');
  await truncate(slow, 2 ** 31);
  const worker = await testWorker(services, setup);
  const result = await worker.runUntil(async () => {
    const check = await services.client.workflow.start('restoreTest', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'integrity-lease', args: [{ kind: 'integrity' }] });
    for (let i = 0; !(await readdir(join(root, layout.leasesDir)).catch(() => [])).length; i += 1) {
      assert.ok(i < 300, 'the integrity check leases what it reads');
      await new Promise((r) => setTimeout(r, 50));
    }
    // On the check's worker: one task queue has one worker per process.
    const during = (await services.client.workflow.execute('applyRetention', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'integrity-lease-retention', args: [{ dryRun: false }], workflowExecutionTimeout: '2 minutes' })) as RetentionReport;
    assert.deepEqual(during.keptInUse, [{ backupId: old, by: 'integrity check integrity-lease' }]);
    assert.ok(existsSync(join(root, layout.manifest(old))) && existsSync(join(root, dumpPath)), 'the backup the check reads is still whole');
    return (await check.result()) as RestoreTestResult;
  });
  assert.equal(result.passed, true, JSON.stringify(result.failures));
  const after = await runWorkflow<RetentionReport>(services, setup, 'applyRetention', []);
  assert.ifError(after.error);
  assert.deepEqual(after.result!.remove, [old]);
  assert.ok(!existsSync(join(root, layout.manifest(old))) && !existsSync(join(root, dumpPath)), 'once the check has ended, retention removes the backup');
  assert.deepEqual(await readdir(join(root, layout.leasesDir)), [], "the ended check's lease is removed");
});

test('an integrity check that finds 30,000 damaged files completes, its result carrying a count and the first ones, every one in a file', async () => {
  const { setup } = await backedUp('restore tests 30000 damaged');
  const mirror = join(setup.config.repository.root, 'images/current');
  // Files whose content does not hash to their content-addressed name: a mirror gone bad at scale.
  for (let i = 0; i < 30_000; i += 1) {
    const name = createHash('sha256').update(`damaged ${i}`).digest('hex');
    const dir = join(mirror, name.slice(0, 2), name.slice(2, 4));
    if (i % 256 === 0 || !existsSync(dir)) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${name}.png`), `not the content named ${i}`);
  }
  const result = await restoreTest(setup, 'integrity');
  assert.equal(result.passed, false);
  assert.equal(result.failureCount, 30_000);
  assert.equal(result.failures.length, NAMES_IN_PAYLOAD);
  const listed = (await readFile(join(setup.config.repository.root, result.failuresFile!), 'utf8')).split('\n').filter(Boolean);
  assert.equal(listed.length, 30_000);
  assert.ok(listed.every((l) => (JSON.parse(l) as { detail: string }).detail.includes('does not match its name')));
});

test('the partial database restore catches a dump taken from a database missing a table', async () => {
  const { setup } = await backedUp('restore tests missing table', {
    prepare: async (f) => {
      await sqlRows(services, f.database.name, 'drop table search_presets');
    },
  });
  const result = await restoreTest(setup, 'partial', 'database');
  assert.equal(result.passed, false);
  assert.ok(result.failures.some((f) => f.detail === 'table search_presets is missing from the restored database'), JSON.stringify(result.failures));
  assert.deepEqual(await scratchDatabases(), [], 'the scratch database is dropped after a failure too');
});

test('a failing full restore still tears its sandbox down: nothing left running or on disk', async () => {
  const sandboxRoot = join(services.dir, 'sandbox-root-fail');
  await mkdir(sandboxRoot, { recursive: true });
  const { setup, sandbox } = await backedUp('restore tests full failure', {
    sandboxRoot,
    recovery: (input) => {
      input.target.admin = { username: 'nobody', password: input.target.admin.password };
      input.importWait = '2s';
    },
  });
  try {
    const result = await restoreTest(setup, 'full');
    assert.equal(result.passed, false);
    assert.ok(result.failures.some((f) => f.artifact === 'login works'), JSON.stringify(result.failures));
    assert.deepEqual(await readdir(sandboxRoot), []);
    const probe = await execa('pg_isready', ['-h', '127.0.0.1', '-p', String(sandbox!.port)], { reject: false });
    assert.notEqual(probe.exitCode, 0, 'the sandbox database is stopped');
    const app = await fetch(sandbox!.appUrl).catch(() => undefined);
    assert.equal(app, undefined, 'the sandbox app is stopped');
  } finally {
    await sandbox?.stop();
  }
});

test('two partial database restore tests running at the same time both pass, each dropping only its own scratch database', async () => {
  const fixture = await makeFixture(services, 6);
  const setup = await makeConfig(services, fixture, 'concurrent partial restores', { overrides: scratchAccess });
  assertSucceeded(await runBackup(services, setup));

  // Workflow ids as the CLI gives them, started a second apart: equal for their first 40 characters.
  const now = Date.now();
  const ids = [0, 1].map((s) => `restore-test-partial-${setup.config.source.name}-${backupIdFor(new Date(now + s * 1000))}-concurrent`);
  const worker = await testWorker(services, setup);
  const handles = await Promise.all(
    ids.map((workflowId) =>
      services.client.workflow.start('restoreTest', { taskQueue: setup.config.temporal.taskQueue, workflowId, args: [{ kind: 'partial', partial: 'database' }], workflowExecutionTimeout: '5 minutes' }),
    ),
  );
  const results = (await worker.runUntil(Promise.all(handles.map((h) => h.result())))) as RestoreTestResult[];
  services.logger.flush();
  for (const r of results) assert.equal(r.passed, true, JSON.stringify(r.failures));

  // What each run created (restored into) and dropped, from its own history.
  const histories = await Promise.all(handles.map(async (h) => (await h.fetchHistory()).events ?? []));
  const scratchOf = (events: (typeof histories)[number], activity: string): string[] =>
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)
      .map((e) => JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!).toString()).scratch as string);
  // A shared name failed the second run's `create database` ("already exists"): it passed only on
  // its retry, after the first had dropped the database.
  for (const events of histories) assert.equal(finalAttempt(events, 'partialDatabaseRestore'), 1, 'each restore passes at its first attempt');
  const restored = histories.map((events) => scratchOf(events, 'partialDatabaseRestore'));
  const dropped = histories.map((events) => scratchOf(events, 'dropScratchDatabase'));
  assert.deepEqual(dropped, restored, 'each run drops exactly the database it restored into');
  assert.notEqual(restored[0]![0], restored[1]![0], 'the two runs use different scratch databases');
  for (const [i, r] of results.entries()) assert.ok(r.checklist[0]!.evidence.endsWith(`scratch database ${restored[i]![0]}`), r.checklist[0]!.evidence);
  assert.deepEqual(await scratchDatabases(), []);
});
