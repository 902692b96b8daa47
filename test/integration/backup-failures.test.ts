// Covers: failure paths of workflows/full-backup.ts (activities/encrypt.ts passphrase check,
// activities/postgres.ts error classification, staging cleanup) and secret hygiene of the
// worker log and the workflow history, against the real Temporal server and PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useServices } from '../harness.js';
import { assertSucceeded, historyText, makeConfig, makeFixture, rootFailure, runBackup, runWorkflow, type TestSetup } from '../helpers.js';
import { connectClient } from '../../client/connect.js';
import { startCodecServer } from '../../client/codec-server.js';
import type { BackupResult } from '../../core/backup-result.js';
import { freePort } from '../../local/ports.js';
import { parseConfig } from '../../config/load.js';
import { collectStatus, formatStatus } from '../../client/status.js';
import { BACKUP_OUTCOME } from '../../core/search-attributes.js';

const services = useServices();

/** Every backup file under the repository (not the staging area or the run journal), with its sha256. */
async function snapshotRepository(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string, rel: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (childRel === '.staging' || childRel === 'runs') continue;
      if (entry.isDirectory()) await walk(join(dir, entry.name), childRel);
      else out[childRel] = createHash('sha256').update(await readFile(join(dir, entry.name))).digest('hex');
    }
  }
  await walk(root, '');
  return out;
}

function withConfig(setup: TestSetup, change: (raw: Record<string, any>) => void): TestSetup {
  const raw = structuredClone(setup.config) as Record<string, any>;
  change(raw);
  return { ...setup, config: parseConfig(raw, 'test', {}) };
}

test('a wrong GPG passphrase file fails with WrongPassphrase and leaves the earlier backup untouched and latest', async () => {
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'wrong passphrase');
  const good = assertSucceeded(await runBackup(services, setup));
  const root = setup.config.repository.root;
  const before = await snapshotRepository(root);

  await writeFile(setup.passphraseFile!, 'not-the-repository-passphrase\n');
  await new Promise((r) => setTimeout(r, 1100));
  const bad = await runBackup(services, setup);
  assert.ok(bad.error, 'the run must fail');
  const cause = rootFailure(bad.error);
  assert.equal(cause.type, 'WrongPassphrase');
  assert.match(cause.message, /encryption\.passphraseFile .* does not open this repository/);

  assert.deepEqual(await snapshotRepository(root), before, 'nothing earlier changed');
  const journal = JSON.parse(await readFile(join(root, 'runs', 'full.json'), 'utf8'));
  assert.equal(journal.outcome, 'failed');
  assert.equal(journal.error.type, 'WrongPassphrase');
  assert.deepEqual(await readdir(join(root, 'manifests')), [`${good.backupId}.json`]);
  assert.deepEqual(await readdir(join(root, '.staging')), []);
  const described = await bad.handle.describe();
  assert.equal(described.typedSearchAttributes.get(BACKUP_OUTCOME), 'failed');

  // `status` reads the same picture back: the failed run from Temporal, the good backup from disk.
  let report = await collectStatus(services.client, setup.config, 50);
  for (let i = 0; i < 40 && !report.runs.some((r) => r.workflowId === bad.handle.workflowId && r.outcome === 'failed'); i += 1) {
    await new Promise((r) => setTimeout(r, 250)); // visibility is eventually consistent
    report = await collectStatus(services.client, setup.config, 50);
  }
  const failedRun = report.runs.find((r) => r.workflowId === bad.handle.workflowId);
  assert.equal(failedRun?.status, 'FAILED');
  assert.equal(failedRun?.outcome, 'failed');
  assert.equal(report.latestGood?.backupId, good.backupId);
  assert.match(formatStatus(report), new RegExp(`Latest good backup: ${good.backupId}`));
  // Capacity: 23 retained dumps (7 + 4 + 12) of the one measured size, plus the measured mirror.
  const dumps = report.capacity.find((c) => c.item === 'database dumps');
  assert.equal(dumps?.bytes, 23 * good.bytesWritten - 23 * good.artifacts.filter((a) => a.kind === 'config').reduce((n, a) => n + a.bytes, 0));
  assert.ok((report.capacity.find((c) => c.item === 'image mirror')?.bytes ?? 0) > 0);
});

test('an unreachable database fails with DatabaseUnreachable after retries and leaves the earlier backup latest', async () => {
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'unreachable database');
  const good = assertSucceeded(await runBackup(services, setup));
  const root = setup.config.repository.root;
  const before = await snapshotRepository(root);

  const closedPort = await freePort();
  const unreachable = withConfig(setup, (raw) => {
    raw.source.database.port = closedPort;
  });
  await new Promise((r) => setTimeout(r, 1100));
  const bad = await runBackup(services, unreachable);
  const cause = rootFailure(bad.error);
  assert.equal(cause.type, 'DatabaseUnreachable');
  assert.match(cause.message, new RegExp(`127\\.0\\.0\\.1.*${closedPort}|${closedPort}.*refused|Connection refused`, 's'));
  const history = await bad.handle.fetchHistory();
  const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
  assert.ok(attempts.includes(2), `the dump was retried (attempts seen: ${attempts})`);

  assert.deepEqual(await snapshotRepository(root), before);
  assert.deepEqual(await readdir(join(root, 'manifests')), [`${good.backupId}.json`]);
  assert.deepEqual(await readdir(join(root, '.staging')), []);
});

test('no secret appears in the worker log or in the workflow history', async () => {
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'secret hygiene');
  const run = await runBackup(services, setup);
  assertSucceeded(run);
  services.logger.flush();
  await new Promise((r) => setTimeout(r, 200));
  const log = await readFile(services.logFile, 'utf8');
  const history = historyText(await run.handle.fetchHistory());
  assert.ok(log.includes('database dumped'), 'the log has the activity lines');
  assert.ok(history.includes('pg_dump -Fc') && history.includes(fixture.envFile), 'the decoded history has step summaries and results');
  const secrets = {
    'database password': fixture.secrets.dbPassword,
    'GPG passphrase': setup.passphrase!,
    SECRET_KEY: fixture.secrets.secretKey,
    MINIO_ROOT_PASSWORD: fixture.secrets.minioPassword,
    S3_SECRET_KEY: fixture.secrets.s3SecretKey,
  };
  for (const [what, value] of Object.entries(secrets)) {
    assert.ok(!log.includes(value), `${what} leaked into the worker log`);
    assert.ok(!history.includes(value), `${what} leaked into the workflow history`);
  }
});

test('with the payload codec on, workflow inputs and results are ciphertext in history, and the Web UI codec endpoint decodes them', async () => {
  const fixture = await makeFixture(services, 3);
  const keyFile = join(services.dir, 'payload.key');
  await writeFile(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const setup = await makeConfig(services, fixture, 'payload codec', {
    overrides: (raw) => {
      raw.temporal = { ...raw.temporal, payloadKeyFile: keyFile };
    },
  });
  const { client, close } = await connectClient(setup.config);
  try {
    const reason = `codec-check-${randomBytes(6).toString('hex')}`;
    const run = await runWorkflow<BackupResult>(services, setup, 'fullBackup', [{ reason }], client);
    assert.ifError(run.error);
    assert.equal(run.result?.repository, setup.config.repository.root, 'the codec client reads the result');
    const raw = JSON.stringify(await services.client.workflow.getHandle(run.handle.workflowId).fetchHistory());
    const decodedView = historyText(await services.client.workflow.getHandle(run.handle.workflowId).fetchHistory());
    for (const plain of [reason, setup.config.repository.root, fixture.envFile, 'plaintextSha256']) {
      assert.ok(!decodedView.includes(plain), `${plain} is readable in history`);
    }
    assert.ok(raw.includes(Buffer.from('binary/encrypted').toString('base64')), 'payloads carry the encrypted encoding');

    const port = await freePort();
    const server = startCodecServer({ keyFile, port, allowOrigin: 'http://localhost:8233' });
    try {
      const started = (await services.client.workflow.getHandle(run.handle.workflowId).fetchHistory()).events![0]!;
      const payload = started.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      const body = { payloads: [{ metadata: Object.fromEntries(Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])), data: Buffer.from(payload.data!).toString('base64') }] };
      const res = await fetch(`http://127.0.0.1:${port}/decode`, { method: 'POST', body: JSON.stringify(body) });
      const decoded = (await res.json()) as { payloads: Array<{ data: string }> };
      assert.deepEqual(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()), { reason });
    } finally {
      server.close();
    }
  } finally {
    await close();
  }
});
