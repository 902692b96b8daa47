// Covers: the direct transport's choice of PostgreSQL client per server version
// (activities/pg-binaries.ts, activities/psql.ts, core/pg-client-choice.ts, activities/postgres.ts),
// against a real PostgreSQL 16 server (Prompt Box's version, newer than the PATH's 15 client) and a
// real PostgreSQL 15 server, with the real Temporal server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServices } from '../harness.js';
import { assertSucceeded, finalAttempt, makeConfig, makeFixture, rootFailure, runBackup, runWorkflow, type TestSetup } from '../helpers.js';
import { startPostgresCluster, type PostgresCluster } from '../../local/postgres-cluster.js';
import { freePort } from '../../local/ports.js';
import { createPromptBox } from '../../fixtures/promptbox.js';
import { manifestSchema, type Manifest } from '../../core/manifest.js';
import { latestGood, readCatalog } from '../../repository/catalog.js';
import type { RestoreTestResult } from '../../repository/restore-tests.js';

const services = useServices();

// The second server version, beside the harness's PostgreSQL 16, in a directory of its own: the
// harness's is not there yet while before hooks run, and is deleted before this cluster stops.
let pg15: PostgresCluster;
let pg15Dir: string;
before(async () => {
  pg15Dir = await mkdtemp(join(tmpdir(), 'pbb-pg15-'));
  await chmod(pg15Dir, 0o711); // the cluster runs as `postgres` when we are root
  pg15 = await startPostgresCluster({ dir: join(pg15Dir, 'pg'), port: await freePort(), superPassword: 'test-superuser-pw-15', major: 15 });
}, { timeout: 180_000 });
after(async () => {
  await pg15?.stop();
  if (pg15Dir) await rm(pg15Dir, { recursive: true, force: true });
}, { timeout: 60_000 });

async function manifestOf(setup: TestSetup, manifestPath: string): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(join(setup.config.repository.root, manifestPath), 'utf8')));
}

const major = (version: string | undefined) => Number(version?.split('.')[0]);

test('a full backup of a PostgreSQL 16 source dumps with pg_dump 16 (PATH has 15), and its dump restores into a scratch database', async () => {
  assert.equal(services.postgres.major, 16);
  const fixture = await makeFixture(services, 6);
  const setup = await makeConfig(services, fixture, 'pg16 source', {
    overrides: async (raw) => {
      const pw = join(services.dir, 'superuser16.pw');
      await writeFile(pw, services.postgres.superPassword, { mode: 0o600 });
      // The partial restore test restores with pg_restore into a scratch database on the same server.
      raw.restoreTests = { scratchDatabase: { transport: 'direct', host: '127.0.0.1', port: services.postgres.port, user: 'postgres', database: 'postgres', password: { file: pw } } };
    },
  });
  const result = assertSucceeded(await runBackup(services, setup));
  const manifest = await manifestOf(setup, result.manifest!);
  assert.equal(manifest.verification.passed, true);
  assert.match(manifest.database!.serverVersion, /^16\./);
  assert.equal(major(manifest.tools.pg_dump), 16, `pg_dump ${manifest.tools.pg_dump}`);

  const restored = await runWorkflow<RestoreTestResult>(services, setup, 'restoreTest', [{ kind: 'partial', partial: 'database' }]);
  assert.ifError(restored.error);
  assert.equal(restored.result!.passed, true, JSON.stringify(restored.result!.failures));
});

test('a full backup of a PostgreSQL 15 source dumps with pg_dump 15, the client of its own version', async () => {
  const fixture = await createPromptBox({ dir: join(services.dir, 'fixture-pg15'), cluster: pg15, images: 6, seed: 15, dbName: 'promptbox15', dbUser: 'promptbox15' });
  const setup = await makeConfig(services, fixture, 'pg15 source');
  const result = assertSucceeded(await runBackup(services, setup));
  const manifest = await manifestOf(setup, result.manifest!);
  assert.equal(manifest.verification.passed, true);
  assert.match(manifest.database!.serverVersion, /^15\./);
  assert.equal(major(manifest.tools.pg_dump), 15, `pg_dump ${manifest.tools.pg_dump}`);
});

test('clientBinDir with a PostgreSQL 15 client against the 16 server fails with PgVersionMismatch, once, and records nothing as good', async () => {
  const fixture = await makeFixture(services, 4);
  const setup = await makeConfig(services, fixture, 'pg15 client for pg16', {
    overrides: (raw) => {
      if (raw.source.database.transport === 'direct') raw.source.database.clientBinDir = '/usr/lib/postgresql/15/bin';
    },
  });
  const run = await runBackup(services, setup);
  assert.ok(run.error, 'the run must fail');
  const cause = rootFailure(run.error);
  assert.equal(cause.type, 'PgVersionMismatch', cause.message);
  assert.match(cause.message, /15\.\d+/);
  assert.match(cause.message, /PostgreSQL 16\.\d+/);
  assert.match(cause.message, /\/usr\/lib\/postgresql\/15\/bin/);
  // Non-retryable: a retry cannot install a client.
  assert.equal(finalAttempt((await run.handle.fetchHistory()).events ?? [], 'dumpDatabase'), 1);

  const root = setup.config.repository.root;
  assert.equal(latestGood(await readCatalog(root)), undefined);
  assert.deepEqual(await readdir(join(root, 'db')).catch(() => []), []);
});
