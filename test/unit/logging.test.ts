// Covers: worker/logger.ts, activities/secrets.ts, core/redact.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scratchDir } from '../scratch.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretStore } from '../../activities/secrets.js';
import { parseEnvFile, secretValues } from '../../core/env-file.js';
import { createLogger } from '../../worker/logger.js';
import { REDACTED, redactJsonLine } from '../../core/redact.js';

test('log lines never carry a resolved secret, in any field or message', async () => {
  const dir = scratchDir();
  const secrets = new SecretStore({ DB_PW: 'correct-horse-battery' });
  const pwFile = join(dir, 'pass');
  writeFileSync(pwFile, 'gpg-passphrase-value\n');
  await secrets.resolve({ env: 'DB_PW' }, 'db');
  await secrets.resolve({ file: pwFile }, 'gpg');
  const file = join(dir, 'log.json');
  const logger = createLogger({ level: 'info', file, secrets });
  logger.info({ password: 'plain-field', nested: { stderr: 'auth with correct-horse-battery failed' } }, 'msg gpg-passphrase-value');
  logger.flush();
  await new Promise((r) => setTimeout(r, 100));
  const text = readFileSync(file, 'utf8');
  const line = JSON.parse(text.trim());
  assert.equal(line.password, '[REDACTED]');
  assert.equal(line.nested.stderr, 'auth with [REDACTED] failed');
  assert.equal(line.msg, 'msg [REDACTED]');
  assert.ok(!text.includes('correct-horse-battery') && !text.includes('gpg-passphrase-value'));
});

test('every scrubbed log line stays JSON: secrets are replaced inside string values, wherever JSON escapes them', async () => {
  const dir = scratchDir();
  // A .env's secret-named settings can hold words and numbers (PASSWORD_RESET_ENABLED=false,
  // TOKEN_TTL_SECONDS=3600), and real secrets hold quotes and backslashes.
  const secrets = new SecretStore({});
  for (const value of ['false', '3600', 'pa"ss\\word-1', 'line\nbreak-secret']) secrets.remember(value);
  const file = join(dir, 'log.json');
  const logger = createLogger({ level: 'info', file, secrets });
  logger.info({ isLocal: false, durationMs: 36001, stderr: 'login with pa"ss\\word-1 refused', tail: 'x line\nbreak-secret y' }, 'took 3600 ms');
  logger.flush();
  await new Promise((r) => setTimeout(r, 100));
  const text = readFileSync(file, 'utf8');
  const line = JSON.parse(text.trim()) as Record<string, unknown>;
  assert.equal(line.isLocal, false, 'a boolean is data, never a secret');
  assert.equal(line.durationMs, 36001);
  assert.equal(line.stderr, `login with ${REDACTED} refused`);
  assert.equal(line.tail, `x ${REDACTED} y`);
  assert.equal(line.msg, `took ${REDACTED} ms`);
  assert.ok(!JSON.stringify(Object.values(line)).includes('word-1') && !text.includes('break-secret'), text);

  // The pure part: anything that is not a JSON line is scrubbed as text.
  assert.equal(redactJsonLine('{"a":"x hunter2 y","hunter2":1,"n":[true,"hunter2"]}\n', ['hunter2']), `{"a":"x ${REDACTED} y","${REDACTED}":1,"n":[true,"${REDACTED}"]}\n`);
  assert.equal(redactJsonLine('not json hunter2\n', ['hunter2']), `not json ${REDACTED}\n`);
});

test('missing secrets fail as configuration errors naming the reference', async () => {
  const secrets = new SecretStore({});
  await assert.rejects(secrets.resolve({ env: 'NOPE' }, 'source.database.password'), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'ConfigInvalid');
    assert.match(err.message, /source\.database\.password: environment variable NOPE is not set/);
    return true;
  });
  await assert.rejects(secrets.resolve({ file: '/nonexistent/pw' }, 'encryption'), /cannot read \/nonexistent\/pw/);
});

test('.env secrets are recognised so they can be scrubbed, and plain settings are left readable', () => {
  const env = parseEnvFile(
    '# c\nDB_PASSWORD=abc123\nexport SECRET_KEY="q w e"\nEMPTY=\nnot a line\nDB_USER=promptbox\nSTORAGE_BACKEND=fs\n' +
      'ADMIN_PASSWORD_HASH=$2b$06$abcdefghijklmnopqrstuv\nS3_ACCESS_KEY=AKIA123\nDATABASE_URL=postgresql://pb:url-pw@db:5432/pb\n',
  );
  assert.deepEqual(secretValues(env), ['abc123', 'q w e', '$2b$06$abcdefghijklmnopqrstuv', 'AKIA123', 'url-pw', 'postgresql://pb:url-pw@db:5432/pb']);
});
