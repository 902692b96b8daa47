// Covers: core/duration.ts, core/errors.ts, repository/layout.ts, core/redact.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { ERRORS, NON_RETRYABLE_ERROR_TYPES, exitCodeFor } from '../../core/errors.js';
import { backupIdFor, backupTime, contentHashOf, isBackupId, layout } from '../../repository/layout.js';
import { redactText } from '../../core/redact.js';

test('durations parse the forms config files use and reject the rest', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2d'), 172_800_000);
  for (const bad of ['', 'soon', '10', '5 minutes', '1h 30m', '-5s']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(formatDuration(3_723_000), '1h2m3s');
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(60_000), '1m');
});

test('backup ids are the UTC start second and round-trip', () => {
  const t = new Date('2026-03-29T01:30:05.900Z');
  assert.equal(backupIdFor(t), '20260329_013005');
  assert.equal(backupTime('20260329_013005').toISOString(), '2026-03-29T01:30:05.000Z');
  assert.ok(isBackupId('20261231_235959'));
  assert.ok(!isBackupId('2026-12-31'));
  assert.equal(layout.dump('promptbox', '20260329_013005', true), 'db/promptbox_20260329_013005.dump.gpg');
  assert.equal(layout.imagesIncrement('20260329_013005'), 'images/incremental/20260329');
});

test("only originals are content-addressed: a thumbnail bears its original's hash, not its own", () => {
  const sha = 'ab12'.padEnd(64, '0');
  assert.equal(contentHashOf(`ab/12/${sha}.png`), sha);
  assert.equal(contentHashOf(`ab/12/${sha}.JPG`), sha);
  assert.equal(contentHashOf(`thumbnails/ab/12/${sha}.webp`), undefined);
  assert.equal(contentHashOf(`cd/34/${sha}.png`), undefined, 'not where the app would store it');
  assert.equal(contentHashOf(`${sha}.png`), undefined);
  assert.equal(contentHashOf('large.bin'), undefined);
});

test('the error table has unique exit codes and drives retryability', () => {
  const codes = Object.values(ERRORS).map((e) => e.exitCode);
  assert.equal(new Set(codes).size, codes.length);
  assert.ok(codes.every((c) => c > 2), 'codes 0, 1 and 2 mean ok, unknown failure and usage');
  assert.ok(NON_RETRYABLE_ERROR_TYPES.includes('WrongPassphrase'));
  assert.ok(NON_RETRYABLE_ERROR_TYPES.includes('ConfigInvalid'));
  assert.ok(!NON_RETRYABLE_ERROR_TYPES.includes('DatabaseUnreachable'));
  assert.equal(exitCodeFor('WrongPassphrase'), 6);
  assert.equal(exitCodeFor('SomethingNew'), 1);
  assert.equal(exitCodeFor(undefined), 1);
});

test('secret values are scrubbed wherever they appear, short values are left alone', () => {
  assert.equal(redactText('connect with s3cr3t-pw to s3cr3t-pw', ['s3cr3t-pw']), 'connect with [REDACTED] to [REDACTED]');
  assert.equal(redactText('a b c', ['a']), 'a b c');
});

test('every search attribute the workflows set is registered by the compose file and documented', async () => {
  const { readFile } = await import('node:fs/promises');
  const { SEARCH_ATTRIBUTES, cliTypeName } = await import('../../core/search-attributes.js');
  const compose = await readFile(new URL('../../docker-compose.temporal.yml', import.meta.url), 'utf8');
  const operations = await readFile(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  for (const key of SEARCH_ATTRIBUTES) {
    assert.ok(compose.includes(`--name ${key.name} --type ${cliTypeName(key)}`), `${key.name} registered by docker-compose.temporal.yml`);
    assert.ok(operations.includes(key.name), `${key.name} in docs/operations.md`);
  }
});
