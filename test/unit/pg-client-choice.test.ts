// Covers: core/pg-client-choice.ts (which client installation a server gets, and the refusal)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePgClient, newestPgClient, parseClientVersion, parseServerVersionNum, type PgClientInstall } from '../../core/pg-client-choice.js';

const install = (dir: string, text: string): PgClientInstall => ({ dir, version: { text, major: Number(text.split('.')[0]) } });
const tools16 = install('/opt/pbb/.tools/postgresql-16/bin', '16.15');
const debian15 = install('/usr/lib/postgresql/15/bin', '15.18');
const debian17 = install('/usr/lib/postgresql/17/bin', '17.6');
const debian18 = install('/usr/lib/postgresql/18/bin', '18.1');
const path15 = install('/usr/bin', '15.18');
const searched = ['/opt/pbb/.tools/postgresql-*/bin', '/usr/lib/postgresql/*/bin', 'PATH'];
const server = (text: string) => ({ text, major: Number(text.split('.')[0]) });

const chosenDir = (clients: PgClientInstall[], serverText: string) => {
  const choice = choosePgClient(clients, server(serverText), { searched });
  assert.ok(choice.ok, choice.ok ? '' : choice.message);
  return choice.client.dir;
};

test('the client of the server\'s major version wins, whatever else is installed', () => {
  assert.equal(chosenDir([tools16, debian15, debian17, path15], '16.15'), tools16.dir);
  assert.equal(chosenDir([tools16, debian15, debian17, path15], '15.14'), debian15.dir);
  assert.equal(chosenDir([tools16, debian15, debian17], '17.2'), debian17.dir);
});

test('among installations of the same major version, the first in search order wins', () => {
  assert.equal(chosenDir([debian15, path15], '15.3'), debian15.dir);
  assert.equal(chosenDir([path15, debian15], '15.3'), path15.dir);
});

test('without the server\'s version, the newest newer client (pg_dump handles older servers)', () => {
  assert.equal(chosenDir([debian15, debian17, debian18, path15], '16.4'), debian18.dir);
  assert.equal(chosenDir([debian17, tools16], '14.11'), debian17.dir);
});

test('only older clients: refused, naming both versions, the places searched and what to do', () => {
  const choice = choosePgClient([debian15, path15], server('16.15'), { searched });
  assert.equal(choice.ok, false);
  const { message } = choice as { message: string };
  assert.match(message, /^pg_dump 15\.18 on the worker \(\/usr\/lib\/postgresql\/15\/bin\) is older than the server \(PostgreSQL 16\.15\)/);
  assert.match(message, /no PostgreSQL client >= 16 found in \/opt\/pbb\/\.tools\/postgresql-\*\/bin, \/usr\/lib\/postgresql\/\*\/bin, PATH/);
  assert.match(message, /install postgresql-client-16 or set clientBinDir .*source\.database\.clientBinDir.*, or use the docker transport$/);
});

test('a configured clientBinDir older than the server is refused, with advice about that setting', () => {
  const choice = choosePgClient([debian15], server('16.15'), { searched: [debian15.dir], configuredDir: debian15.dir });
  assert.equal(choice.ok, false);
  const { message } = choice as { message: string };
  assert.match(message, /pg_dump 15\.18 .* older than the server \(PostgreSQL 16\.15\); no PostgreSQL client >= 16 found in \/usr\/lib\/postgresql\/15\/bin;/);
  assert.match(message, /point clientBinDir at a PostgreSQL 16 client/);
});

test('no client at all is refused too', () => {
  const choice = choosePgClient([], server('16.1'), { searched });
  assert.equal(choice.ok, false);
  assert.match((choice as { message: string }).message, /^no PostgreSQL client found in .* for the server \(PostgreSQL 16\.1\)/);
});

test('dumps are read by the newest installation, the first of equals', () => {
  assert.equal(newestPgClient([debian15, tools16, path15]), tools16);
  assert.equal(newestPgClient([debian17, tools16, install('/opt/17/bin', '17.9')]), debian17);
  assert.equal(newestPgClient([]), undefined);
});

test('server_version_num and --version lines are read as versions', () => {
  assert.deepEqual(parseServerVersionNum('160015'), { text: '16.15', major: 16 });
  assert.deepEqual(parseServerVersionNum('150004\n'), { text: '15.4', major: 15 });
  assert.deepEqual(parseServerVersionNum('180000'), { text: '18.0', major: 18 });
  assert.equal(parseServerVersionNum(''), undefined);
  assert.equal(parseServerVersionNum(undefined), undefined);
  assert.equal(parseServerVersionNum('ERROR'), undefined);
  assert.deepEqual(parseClientVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), { text: '15.18', major: 15 });
  assert.deepEqual(parseClientVersion('pg_dump (PostgreSQL) 16.15\n'), { text: '16.15', major: 16 });
  assert.deepEqual(parseClientVersion('psql (PostgreSQL) 17beta1'), { text: '17', major: 17 });
  assert.equal(parseClientVersion('command not found'), undefined);
});
