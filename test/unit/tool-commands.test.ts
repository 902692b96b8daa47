// Covers: activities/pg-command.ts (argv, bin directory), activities/rsync.ts (argv, stats and
// the copied files read from real rsync output),
// activities/offsite.ts (argv), the name rules of core/schema-parts.ts databaseSchema, error
// classification in activities/psql.ts and repository/gpg.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseConfig } from '../../config/load.js';
import { pgCommand } from '../../activities/pg-command.js';
import { parseRsyncStats, receivedFile, rsyncArgs } from '../../activities/rsync.js';
import { rcloneArgs, rsyncArgs as offsiteRsyncArgs } from '../../activities/offsite.js';
import { drInputSchema } from '../../core/dr-input.js';
import { classifyPgError } from '../../activities/psql.js';
import { classifyGpgError } from '../../repository/gpg.js';

test('docker transport is the backup doc command, with no password anywhere', () => {
  const inv = pgCommand({ transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox', dockerCommand: 'docker' }, 'pg_dump', ['-Fc']);
  assert.deepEqual([inv.file, ...inv.args], ['docker', 'exec', 'promptbox-db-1', 'pg_dump', '-U', 'promptbox', '-Fc', '--dbname=promptbox']);
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
  assert.deepEqual([inv.file, ...inv.args], ['pg_dump', '-w', '-h', '10.0.0.5', '-p', '5433', '-U', 'pb', '-Fc', '--dbname=pbdb']);
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
  assert.deepEqual([docker.file, ...docker.args], ['docker', 'exec', 'promptbox-db-1', 'pg_dump', '-U', 'promptbox', '-Fc', '--dbname=promptbox']);
});

test('every tool gets the database as a --dbname= value, never as an argument it could read as an option', () => {
  const dbs = [
    { transport: 'docker' as const, container: 'promptbox-db-1', user: 'promptbox', database: 'pb', dockerCommand: 'docker' },
    { transport: 'direct' as const, host: 'db', port: 5432, user: 'promptbox', database: 'pb' },
  ];
  for (const db of dbs) {
    for (const tool of ['pg_dump', 'pg_restore', 'psql'] as const) {
      const { args } = pgCommand(db, tool, ['--no-owner']);
      const what = `${db.transport} ${tool}: ${args.join(' ')}`;
      assert.equal(args.at(-1), '--dbname=pb', what);
      assert.ok(!args.includes('pb') && !args.includes('-d'), what);
    }
  }
});

test('database, user and container names that begin with "-" are refused by the config, naming the field', () => {
  const config = (database: Record<string, unknown>) => ({ source: { name: 'pb', database, storage: { root: '/s' } }, repository: { root: '/r' } });
  const direct = { transport: 'direct', host: 'db', user: 'pb', database: 'pbdb' };
  const docker = { transport: 'docker', container: 'promptbox-db-1', user: 'pb', database: 'pbdb' };
  for (const [database, field, why] of [
    [{ ...direct, database: '--file=/tmp/leak.sql' }, 'source.database.database', /must not begin with "-"/],
    [{ ...docker, database: '-Fp' }, 'source.database.database', /must not begin with "-"/],
    [{ ...direct, user: '--no-password' }, 'source.database.user', /must not begin with "-"/],
    [{ ...docker, user: '-x' }, 'source.database.user', /must not begin with "-"/],
    [{ ...docker, container: '--privileged' }, 'source.database.container', /docker container name/],
    // libpq reads these as connection strings: another server, another user, another password.
    [{ ...direct, database: 'dbname=pbdb host=elsewhere' }, 'source.database.database', /connection string/],
    [{ ...docker, database: 'postgresql://x@elsewhere/pbdb' }, 'source.database.database', /connection string/],
  ] as const) {
    assert.throws(() => parseConfig(config(database), 'x', {}), (err: Error) => {
      assert.match(err.message, new RegExp(`${field.replaceAll('.', '\\.')}: .*`), err.message);
      assert.match(err.message.split('\n').find((l) => l.includes(field)) ?? '', why, err.message);
      return true;
    }, JSON.stringify(database));
  }
  // The same rules for a recovery's target database.
  const dr = drInputSchema.safeParse({ target: { appDir: '/a', storageRoot: '/s', database: { ...docker, database: '--file=/tmp/x' }, admin: { username: 'a', password: { env: 'P' } } } });
  assert.deepEqual(dr.error?.issues.map((i) => i.path.join('.')), ['target.database.database']);
});

test('off-site copies pass repository paths, destinations and remotes after "--", where no tool reads options', () => {
  const ssh = { type: 'ssh' as const, name: 'nas', destination: 'backup@nas:/srv/pb', port: 22, identityFile: '/k/id', knownHostsFile: '/k/hosts' };
  const args = offsiteRsyncArgs(ssh, '/b/repo', ssh.destination, ['--delete']);
  assert.deepEqual(args.slice(-3), ['--', '/b/repo/', 'backup@nas:/srv/pb/']);
  // rsync hands the host to ssh itself, where "--" does not reach: a host or user that reads as an option is refused.
  for (const destination of ['-oProxyCommand@nas:/x', 'backup@-F.:/x']) {
    assert.throws(() => offsiteRsyncArgs({ ...ssh, destination }, '/b/repo', destination), /must not begin with "-"/, destination);
  }
  const rclone = { type: 'rclone' as const, name: 'cloud', remote: '-cloud:pb', configFile: '/k/rclone.conf', transfers: 4, verify: 'check' as const, excludes: ['-x'] };
  const sync = rcloneArgs(['sync'], rclone, '/b/repo', rclone.remote, ['--transfers', '4']);
  assert.equal(sync[0], 'sync');
  assert.deepEqual(sync.slice(-3), ['--', '/b/repo', '-cloud:pb']);
  assert.ok(sync.includes('--exclude=-x') && sync.includes('--config=/k/rclone.conf'), sync.join(' '));
});

test("an rclone off-site copy leaves out the repository's work areas, and only those: a folder of the same name among the images is copied", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-rclone-excl-'));
  try {
    const repo = join(dir, 'repo');
    const files = ['.staging/20261201_030000/db.dump', 'manifests/20261201_030000.json', 'images/current/shoot/.staging/a.png', 'images/current/restore-tests/scratch/b.png', 'images/current/wal/incoming/c.png'];
    for (const file of files) {
      await mkdir(join(repo, file, '..'), { recursive: true });
      await writeFile(join(repo, file), file);
    }
    await writeFile(join(dir, 'rclone.conf'), '');
    const target = { type: 'rclone' as const, name: 'cloud', remote: join(dir, 'copy'), configFile: join(dir, 'rclone.conf'), transfers: 2, verify: 'check' as const, excludes: [] };
    await execa('rclone', rcloneArgs(['sync'], target, repo, target.remote));
    const { stdout } = await execa('find', [target.remote, '-type', 'f', '-printf', '%P\n']);
    assert.deepEqual(stdout.split('\n').sort(), files.slice(1).sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('rsync mirrors with --delete and keeps what it replaces in the day increment', () => {
  const args = rsyncArgs('/srv/storage/', '/b/images/current', '/b/images/incremental/20261129', ['/thumbnails/'], '/b/.staging/x/rsync-tmp');
  assert.ok(args.includes('--delete') && args.includes('--backup'));
  assert.ok(args.includes('--backup-dir=/b/images/incremental/20261129'));
  assert.ok(args.includes('--exclude=/thumbnails/'));
  assert.ok(args.includes('--temp-dir=/b/.staging/x/rsync-tmp'), 'half-copied files stay out of the mirror');
  assert.deepEqual(args.slice(-2), ['/srv/storage/', '/b/images/current/']);
});

test("the files rsync copied are read from its own output, names with spaces and leading dashes whole", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-rsync-out-'));
  try {
    const source = join(dir, 'source');
    await mkdir(join(source, 'originals'), { recursive: true });
    const names = ['originals/a b.png', 'originals/-n.png', 'plain.webp'];
    for (const name of names) await writeFile(join(source, name), name);
    for (const d of ['mirror', 'moved', 'tmp']) await mkdir(join(dir, d));
    const run = () => execa('rsync', rsyncArgs(source, join(dir, 'mirror'), join(dir, 'moved'), [], join(dir, 'tmp')));
    const first = (await run()).stdout.split('\n');
    assert.deepEqual(first.flatMap((l) => receivedFile(l) ?? []).sort(), [...names].sort());
    await writeFile(join(source, 'plain.webp'), 'changed, and longer');
    const second = (await run()).stdout.split('\n');
    assert.deepEqual(second.flatMap((l) => receivedFile(l) ?? []), ['plain.webp'], 'unchanged files and directories are not counted as copied');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
