// Covers: worker/logger.ts, activities/secrets.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scratchDir } from '../scratch.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretStore } from '../../activities/secrets.js';
import { parseEnvFile, secretValues } from '../../core/env-file.js';
import { createLogger } from '../../worker/logger.js';

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
