// Covers: config/schema.ts, config/load.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scratchDir } from '../scratch.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfigFile, parseConfig } from '../../config/load.js';

const minimal = {
  source: {
    name: 'promptbox',
    database: { transport: 'direct', host: 'db.internal', user: 'promptbox', database: 'promptbox', password: { env: 'PROMPTBOX_DB_PASSWORD' } },
    storage: { root: '/srv/promptbox/storage' },
  },
  repository: { root: '/backup/promptbox' },
};

test('a minimal config gets the documented defaults', () => {
  const config = parseConfig(minimal, 'minimal', {});
  assert.equal(config.source.database.transport, 'direct');
  assert.equal(config.source.database.transport === 'direct' && config.source.database.port, 5432);
  assert.deepEqual(config.source.storage.excludes, ['*.tmp'], 'thumbnails are backed up: the app cannot regenerate them');
  assert.equal(config.schedules.timezone, 'UTC');
  assert.equal(config.schedules.database?.cron, '0 3 * * *');
  assert.deepEqual([config.retention.daily, config.retention.weekly, config.retention.monthly], [7, 4, 12]);
  assert.equal(config.temporal.taskQueue, 'promptbox-backup');
  assert.equal(config.steps.dump.timeout, 3_600_000);
  assert.equal(config.steps.dump.heartbeat, 60_000);
  assert.equal(config.encryption.enabled, false);
});

test('step budgets accept human durations', () => {
  const config = parseConfig({ ...minimal, steps: { images: { timeout: '3h', retry: { initialInterval: '1m30s' } } } }, 'x', {});
  assert.equal(config.steps.images.timeout, 3 * 3_600_000);
  assert.equal(config.steps.images.retry.initialInterval, 90_000);
  assert.equal(config.steps.images.retry.maximumAttempts, 5, "setting the interval keeps the step's own number of attempts");
  assert.equal(config.steps.dump.retry.maximumAttempts, 5);
  assert.equal(config.steps.prepare.retry.maximumAttempts, 3);
});

test('an invalid config names every bad field at once', () => {
  const bad = {
    source: {
      name: 'Prompt Box!',
      database: { transport: 'docker', container: 'promptbox db', user: 'promptbox' },
      storage: { root: 'relative/path' },
      configFiles: ['.env'],
    },
    repository: { root: '/backup' },
    encryption: { enabled: true },
    steps: { dump: { timeout: 'soon' } },
    colour: 'blue',
  };
  let error: unknown;
  try {
    parseConfig(bad, '/etc/promptbox-backup.json', {});
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  const fields = error.problems.map((p) => p.split(':')[0]);
  for (const field of [
    'source.name',
    'source.database.container',
    'source.database.database',
    'source.storage.root',
    'source.configFiles.0',
    'encryption.passphraseFile',
    'steps.dump.timeout',
    '(top level)',
  ]) {
    assert.ok(fields.includes(field), `${field} missing from ${JSON.stringify(error.problems)}`);
  }
  assert.match(error.message, /^invalid configuration in \/etc\/promptbox-backup\.json/);
});

test('secrets can only be references, never values', () => {
  const withValue = structuredClone(minimal) as any;
  withValue.source.database.password = 'hunter2';
  assert.throws(() => parseConfig(withValue, 'x', {}), (err: ConfigError) => err.problems.some((p) => p.startsWith('source.database.password')));
});

test('environment variables override the file', () => {
  const config = parseConfig(minimal, 'x', { TEMPORAL_ADDRESS: 'temporal.internal:7233', PROMPTBOX_BACKUP_TASK_QUEUE: 'nightly' });
  assert.equal(config.temporal.address, 'temporal.internal:7233');
  assert.equal(config.temporal.taskQueue, 'nightly');
});

test('an unreadable or malformed file is named in the error', () => {
  const dir = scratchDir();
  assert.throws(() => loadConfigFile(join(dir, 'missing.json'), {}), /missing\.json[\s\S]*ENOENT/);
  writeFileSync(join(dir, 'broken.json'), '{ "source": ');
  assert.throws(() => loadConfigFile(join(dir, 'broken.json'), {}), /broken\.json[\s\S]*not valid JSON/);
});

test('the example config the configuration reference points operators to is valid', () => {
  const reference = new URL('../../docs/configuration.md', import.meta.url);
  const link = /\]\((\.\.\/config\/[\w.-]+\.json)\)/.exec(readFileSync(reference, 'utf8'))?.[1];
  assert.ok(link, 'docs/configuration.md links an example config');
  const config = loadConfigFile(fileURLToPath(new URL(link, reference)));
  assert.equal(config.retention.daily, 7);
  assert.equal(config.repository.root, '/backup/promptbox');
});
