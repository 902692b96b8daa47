// Covers: core/env-file.ts and the `target.environment` part of core/dr-input.ts: what a recovery
// onto another host writes to .env.recovery, and the secrets it refuses to carry inline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEnvFile, parseEnvFile } from '../../core/env-file.js';
import { drInputSchema } from '../../core/dr-input.js';

const target = (environment: unknown) => ({
  target: {
    appDir: '/srv/pb',
    storageRoot: '/srv/pb/storage',
    database: { transport: 'docker', container: 'promptbox-db-1', user: 'promptbox', database: 'promptbox' },
    admin: { username: 'admin', password: { file: '/etc/pb/admin' } },
    environment,
  },
});

test('an env file written for a recovery reads back to the same values, quoting what needs it', () => {
  const vars = { STORAGE_PATH: '/srv/new storage', LISTEN_ADDR: '0.0.0.0:8001', DATABASE_URL: 'postgresql://u:p#w@db:5432/pb', EMPTY: '' };
  const text = formatEnvFile(vars, 'written by a test\nsecond line');
  assert.match(text, /^# written by a test\n# second line\n/);
  assert.deepEqual(parseEnvFile(text), vars);
  assert.throws(() => formatEnvFile({ BAD: 'two\nlines' }, 'x'), /BAD: a value cannot span lines/);
  assert.throws(() => formatEnvFile({ 'not-a-name': 'x' }, 'x'), /not an environment variable name/);
});

test('a compose .env is read as compose reads it: comments, export, quotes, the last value of a name', () => {
  const text = '# Prompt Box\nexport DB_USER=promptbox\nDB_PASSWORD="s3cret pass"\nSECRET_KEY=\'abc#def\'\n\nnot a line\nDB_USER=other\n';
  assert.deepEqual(parseEnvFile(text), { DB_USER: 'other', DB_PASSWORD: 's3cret pass', SECRET_KEY: 'abc#def' });
});

test('recovery environment overrides: plain values for paths and addresses, references for secrets', () => {
  const ok = drInputSchema.parse(target({ STORAGE_PATH: '/srv/pb/storage', LISTEN_ADDR: '127.0.0.1:8001', DATABASE_URL: { file: '/etc/pb/url' }, DB_PASSWORD: { env: 'NEW_DB_PASSWORD' } }));
  assert.deepEqual(Object.keys(ok.target.environment), ['STORAGE_PATH', 'LISTEN_ADDR', 'DATABASE_URL', 'DB_PASSWORD']);
  assert.deepEqual(drInputSchema.parse(target(undefined)).target.environment, {});

  const inline = drInputSchema.safeParse(target({ DB_PASSWORD: 'hunter2', DATABASE_URL: 'postgresql://pb:hunter2@db:5432/pb', SECRET_KEY: 'k'.repeat(40) }));
  assert.equal(inline.success, false);
  const issues = inline.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.ok(issues.includes('target.environment.DB_PASSWORD: looks like a secret: give it as {"file": ...} or {"env": ...}, never inline'), issues.join('\n'));
  assert.ok(issues.some((i) => i.startsWith('target.environment.DATABASE_URL: looks like a secret')), issues.join('\n'));
  assert.ok(issues.some((i) => i.startsWith('target.environment.SECRET_KEY: looks like a secret')), issues.join('\n'));
  assert.ok(!issues.join('\n').includes('hunter2'), 'the refused value is not echoed');
  const badName = drInputSchema.safeParse(target({ 'bad-name': '/x' }));
  assert.deepEqual(badName.error?.issues.map((i) => i.path.join('.')), ['target.environment.bad-name']);
});

test('a recovery never fills the filesystem root, and restores over existing data only when told to', () => {
  const root = drInputSchema.safeParse({ target: { ...target(undefined).target, storageRoot: '/', appDir: '//' } });
  assert.deepEqual(root.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`), ['target.appDir: must not be the filesystem root', 'target.storageRoot: must not be the filesystem root']);
  assert.equal(drInputSchema.parse(target(undefined)).overwrite, false);
});
