// Covers: activities/pg-command.ts (argv, bin directory), activities/rsync.ts (argv and stats), error classification
// in activities/psql.ts and activities/gpg.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.js';
import { pgCommand } from '../../activities/pg-command.js';
import { parseRsyncStats, rsyncArgs } from '../../activities/rsync.js';
import { classifyPgError } from '../../activities/psql.js';
import { classifyGpgError } from '../../activities/gpg.js';

test('docker transport is the backup doc command, with no password anywhere', () => {
  const inv = pgCommand({ transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox', dockerCommand: 'docker' }, 'pg_dump', ['-Fc']);
  assert.deepEqual([inv.file, ...inv.args], ['docker', 'exec', 'promptbox-db-1', 'pg_dump', '-U', 'promptbox', '-Fc', 'promptbox']);
  assert.deepEqual(inv.env, {});
  const list = pgCommand({ transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox', dockerCommand: 'docker' }, 'pg_restore', ['--list'], { connect: false, stdin: true });
  assert.deepEqual([list.file, ...list.args], ['docker', 'exec', '-i', 'promptbox-db-1', 'pg_restore', '--list']);
});

test('direct transport passes the password through the environment, never argv, and never prompts', () => {
  const db = parseConfig(
    { source: { name: 'pb', database: { transport: 'direct', host: '10.0.0.5', port: 5433, user: 'pb', database: 'pbdb', password: { env: 'X' } }, storage: { root: '/s' } }, repository: { root: '/r' } },
    'x',
    {},
  ).source.database;
  const inv = pgCommand(db, 'pg_dump', ['-Fc'], {}, 'hunter2-long');
  assert.deepEqual([inv.file, ...inv.args], ['pg_dump', '-w', '-h', '10.0.0.5', '-p', '5433', '-U', 'pb', '-Fc', 'pbdb']);
  assert.equal(inv.env.PGPASSWORD, 'hunter2-long');
  assert.ok(!inv.args.join(' ').includes('hunter2'));
});

test('direct transport runs the tool from the chosen client directory, else clientBinDir, else PATH; docker ignores it', () => {
  const base = { transport: 'direct' as const, host: 'db', port: 5432, user: 'pb', database: 'pbdb' };
  const chosen = pgCommand(base, 'pg_restore', ['--list'], { connect: false, binDir: '/opt/pg16/bin' });
  assert.deepEqual([chosen.file, ...chosen.args], ['/opt/pg16/bin/pg_restore', '--list']);
  const configured = pgCommand({ ...base, clientBinDir: '/usr/lib/postgresql/17/bin' }, 'psql', ['-c', 'select 1']);
  assert.equal(configured.file, '/usr/lib/postgresql/17/bin/psql');
  assert.equal(pgCommand({ ...base, clientBinDir: '/x/bin' }, 'pg_dump', [], { binDir: '/y/bin' }).file, '/y/bin/pg_dump');
  const docker = pgCommand({ transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox', dockerCommand: 'docker' }, 'pg_dump', ['-Fc'], { binDir: '/opt/pg16/bin' });
  assert.deepEqual([docker.file, ...docker.args], ['docker', 'exec', 'promptbox-db-1', 'pg_dump', '-U', 'promptbox', '-Fc', 'promptbox']);
});

test('rsync mirrors with --delete and keeps what it replaces in the day increment', () => {
  const args = rsyncArgs('/srv/storage/', '/b/images/current', '/b/images/incremental/20261129', ['/thumbnails/'], '/b/.staging/x/rsync-tmp');
  assert.ok(args.includes('--delete') && args.includes('--backup'));
  assert.ok(args.includes('--backup-dir=/b/images/incremental/20261129'));
  assert.ok(args.includes('--exclude=/thumbnails/'));
  assert.ok(args.includes('--temp-dir=/b/.staging/x/rsync-tmp'), 'half-copied files stay out of the mirror');
  assert.deepEqual(args.slice(-2), ['/srv/storage/', '/b/images/current/']);
});

test('rsync --stats figures are read with thousands separators', () => {
  const stats = parseRsyncStats(`
Number of files: 12,345 (reg: 12,000, dir: 345)
Number of created files: 10
Number of deleted files: 2
Number of regular files transferred: 1,024
Total file size: 9,876,543,210 bytes
`);
  assert.equal(stats['Number of regular files'], 12_000);
  assert.equal(stats['Number of regular files transferred'], 1024);
  assert.equal(stats['Total file size'], 9_876_543_210);
});

test('tool failures map to typed errors a retry can or cannot fix', () => {
  assert.equal(classifyPgError('pg_dump: error: connection to server at "127.0.0.1", port 5999 failed: Connection refused'), 'DatabaseUnreachable');
  assert.equal(classifyPgError('FATAL:  password authentication failed for user "promptbox"'), 'DatabaseAuthFailed');
  assert.equal(classifyPgError('pg_dump: error: aborting because of server version mismatch'), 'PgVersionMismatch');
  assert.equal(classifyPgError('pg_restore: error: unsupported version (1.15) in file header'), 'PgVersionMismatch');
  assert.equal(classifyPgError('Error response from daemon: No such container: promptbox-db-1'), 'DatabaseUnreachable');
  assert.equal(classifyPgError('FATAL:  database "promptbx" does not exist'), 'ConfigInvalid');
  assert.equal(classifyGpgError('gpg: decryption failed: Bad session key'), 'WrongPassphrase');
  assert.equal(classifyGpgError('gpg: WARNING: encrypted message has been manipulated!'), 'VerificationFailed');
});
