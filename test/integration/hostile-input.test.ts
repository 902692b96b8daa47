// Covers: hostile or careless input, refused before it can do harm (issue 16, items 5, 8 and 15):
// a database name read as a pg_dump option (core/schema-parts.ts, activities/pg-command.ts), inline
// secrets in a recovery input (client/dr.ts, core/dr-input.ts), the dev server's history file mode
// (local/temporal-dev-server.ts), and an empty or shared passphrase file
// (activities/encrypt.ts), against the real Temporal server and PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { useServices } from '../harness.js';
import { makeConfig, makeFixture, rootFailure, runBackup, runCli, runWorkflow, type TestSetup } from '../helpers.js';
import type { DrInput } from '../../core/dr-input.js';

const services = useServices();

/** A recovery input that is valid but for what a test puts in it. */
function recoveryInput(over: Record<string, unknown> = {}): DrInput {
  return {
    target: {
      appDir: join(services.dir, 'dr-app'),
      storageRoot: join(services.dir, 'dr-storage'),
      database: { transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' },
      admin: { username: 'admin', password: { file: join(services.dir, 'dr-admin-password') } },
    },
    ...over,
  } as DrInput;
}

/**
 * The dev server's history database and its SQLite companions (-wal, -shm, -journal). None on the
 * production shape, which keeps history in PostgreSQL: there `describe()` finding nothing is the check.
 */
async function historyFiles(): Promise<string[]> {
  return (await readdir(services.dir)).filter((f) => f.startsWith('temporal.sqlite')).map((f) => join(services.dir, f));
}

test('a database name that reads as a pg_dump option is refused with exit 3 before anything runs, and no dump is written', async () => {
  const fixture = await makeFixture(services, 2);
  const setup = await makeConfig(services, fixture, 'option as database name');
  const leak = join(services.dir, 'leaked-plaintext.sql');
  const hostile = structuredClone(setup.config);
  hostile.source.database.database = `--file=${leak}`;

  const run = await runCli(services, { ...setup, config: hostile }, ['run']);
  assert.equal(run.exitCode, 3, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stderr, /source\.database\.database: must not begin with "-"/);
  await assert.rejects(stat(leak), { code: 'ENOENT' }, 'pg_dump never ran with the name as an option');
});

test('a recovery input with inline passwords is refused by `dr start` with exit 3 naming the fields; nothing reaches Temporal', async () => {
  const fixture = await makeFixture(services, 2);
  const setup = await makeConfig(services, fixture, 'dr inline secrets');
  const secret = 'inline-admin-pw-4c1d9e';
  const input = recoveryInput();
  Object.assign(input.target, {
    admin: { username: 'admin', password: secret },
    environment: { DB_PASSWORD: `${secret}-db` },
  });
  const inputFile = join(services.dir, 'dr-inline-input.json');
  await writeFile(inputFile, JSON.stringify(input), { mode: 0o600 });

  const run = await runCli(services, setup, ['dr', 'start', '--input', inputFile, '--id', 'dr-inline-secrets', '--no-wait']);
  assert.equal(run.exitCode, 3, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stderr, /target\.admin\.password: must be \{"env": "NAME"\} or \{"file": "\/absolute\/path"\}/);
  assert.match(run.stderr, /target\.environment\.DB_PASSWORD: looks like a secret/);
  assert.ok(!`${run.stdout}${run.stderr}`.includes(secret), 'the refused values are not echoed');

  await assert.rejects(services.client.workflow.getHandle('dr-inline-secrets').describe(), WorkflowNotFoundError);
  for (const file of await historyFiles()) {
    assert.ok(!(await readFile(file)).includes(secret), `${file} holds the inline password`);
  }
});

test('the recovery workflow refuses a bad input (as started from the Temporal CLI or Web UI) without echoing its values', async () => {
  const fixture = await makeFixture(services, 2);
  const setup = await makeConfig(services, fixture, 'dr refused values');
  // A secret pasted into the wrong field: the input is history already, the failure must not copy it again.
  const secret = 'pasted-into-budget-91b2';
  const run = await runWorkflow(services, setup, 'drRecovery', [recoveryInput({ budgets: { verify: secret } })]);
  const cause = rootFailure(run.error);
  assert.equal(cause.type, 'ConfigInvalid');
  assert.match(cause.message, /budgets\.verify: not a duration/);
  assert.ok(!cause.message.includes(secret), cause.message);
});

/**
 * Where Temporal keeps workflow histories on this file's server, and the config that holds the
 * password of the production shape's database (local/temporal-production-server.ts lays them out).
 */
async function historyStore(): Promise<string[]> {
  if (services.shape === 'dev') return historyFiles();
  const dir = join(services.dir, 'temporal');
  return [join(dir, 'pg', 'data'), join(dir, 'config', 'production.yaml')];
}

test("Temporal's history is readable by its owner only: the dev server's SQLite files, or the production shape's database and its password", async () => {
  const paths = await historyStore();
  assert.ok(paths.some((f) => /temporal\.sqlite$|[/]data$/.test(f)), paths.join(', '));
  for (const path of paths) {
    const info = await stat(path);
    assert.equal((info.mode & 0o777).toString(8), info.isDirectory() ? '700' : '600', path);
  }
});

async function refusedPassphrase(setup: TestSetup): Promise<{ type?: string; message: string }> {
  const run = await runBackup(services, setup);
  assert.ok(run.error, 'the backup must fail');
  return rootFailure(run.error);
}

test('an empty passphrase file is a configuration error naming encryption.passphraseFile (exit 3), not a gpg failure', async () => {
  const fixture = await makeFixture(services, 2);
  const setup = await makeConfig(services, fixture, 'empty passphrase');
  await writeFile(setup.passphraseFile!, '');
  const empty = await refusedPassphrase(setup);
  assert.equal(empty.type, 'ConfigInvalid', empty.message);
  assert.match(empty.message, /^encryption\.passphraseFile: .*passphrase is empty/);

  // gpg reads the first line: a lone newline is an empty passphrase too. Through the CLI, exit 3.
  await writeFile(setup.passphraseFile!, '\n');
  const cli = await runCli(services, setup, ['run']);
  assert.equal(cli.exitCode, 3, `${cli.stdout}\n${cli.stderr}`);
  assert.match(cli.stderr, /ConfigInvalid: encryption\.passphraseFile: .*passphrase is empty/);
  await assert.rejects(stat(join(setup.config.repository.root, 'keys', 'passphrase-check.gpg')), { code: 'ENOENT' }, 'no repository was sealed with an empty passphrase');
});

test('a passphrase file that group or others can read is refused, naming the file and its mode', async () => {
  const fixture = await makeFixture(services, 2);
  const setup = await makeConfig(services, fixture, 'shared passphrase');
  await chmod(setup.passphraseFile!, 0o644);
  const shared = await refusedPassphrase(setup);
  assert.equal(shared.type, 'ConfigInvalid', shared.message);
  assert.ok(shared.message.startsWith(`encryption.passphraseFile: ${setup.passphraseFile} is mode 0644`), shared.message);
  await assert.rejects(stat(join(setup.config.repository.root, 'keys', 'passphrase-check.gpg')), { code: 'ENOENT' });

  await chmod(setup.passphraseFile!, 0o600);
  const ok = await runBackup(services, setup);
  assert.ok(!ok.error, rootFailure(ok.error).message);
});
