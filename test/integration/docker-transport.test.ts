// Covers: activities/pg-command.ts docker transport end to end. A stand-in `docker` first on
// PATH records its argv and runs the inner command against the real test cluster, as
// `docker exec` would inside the database container.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, rootFailure, runBackup } from '../helpers.js';
import { writeStandInDocker, type StandInDocker } from '../standin-docker.js';

const services = useServices();
let docker: StandInDocker | undefined;
const originalPath = process.env.PATH;

async function installStandInDocker(): Promise<StandInDocker> {
  docker ??= await writeStandInDocker(join(services.dir, 'docker'), services.postgres);
  process.env.PATH = `${docker.binDir}:${originalPath}`;
  return docker;
}
after(() => {
  process.env.PATH = originalPath;
});

test('the docker transport runs pg_dump through docker exec exactly as the backup doc does, and the backup verifies', async () => {
  const { passwordFile, recordFile } = await installStandInDocker();
  const fixture = await makeFixture(services, 3);
  assert.equal(fixture.database.name, 'promptbox');
  await writeFile(passwordFile, fixture.database.password);
  const setup = await makeConfig(services, fixture, 'docker transport', {
    overrides: (raw) => {
      raw.source.database = { transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' };
    },
  });
  const result = assertSucceeded(await runBackup(services, setup));
  const calls = (await readFile(recordFile, 'utf8')).split('\n').filter(Boolean);
  // The backup doc: docker exec promptbox-db-1 pg_dump -U promptbox -Fc promptbox > file (the database as a --dbname= value)
  assert.ok(calls.includes('exec promptbox-db-1 pg_dump -U promptbox -Fc --dbname=promptbox'), calls.join('\n'));
  // pg_restore --list reads the dump from stdin inside the container (its version matches the server's).
  assert.ok(calls.includes('exec -i promptbox-db-1 pg_restore --list'), calls.join('\n'));
  assert.ok(calls.every((c) => !c.includes(fixture.database.password)), 'no password on the docker command line');
  assert.ok(result.verification.some((c) => c.check === 'pg_restore --list' && c.ok));
});

test('a missing container fails with DatabaseUnreachable naming the container', async () => {
  await installStandInDocker();
  const fixture = await makeFixture(services, 2);
  const setup = await makeConfig(services, fixture, 'docker missing container', {
    overrides: (raw) => {
      raw.source.database = { transport: 'docker', container: 'promptbox-db-9', user: fixture.database.user, database: fixture.database.name };
      raw.steps = { ...raw.steps, dump: { timeout: '1m', retry: { maximumAttempts: 1 } } };
    },
  });
  const run = await runBackup(services, setup);
  assert.ok(run.error);
  const cause = rootFailure(run.error);
  assert.equal(cause.type, 'DatabaseUnreachable');
  assert.match(cause.message ?? '', /No such container: promptbox-db-9/);
});
