// Covers: core/passphrase-file.ts, the key-file check of worker/payload-codec.ts (the real files and gpg: test/integration/hostile-input.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passphraseFileProblem } from '../../core/passphrase-file.js';
import { readPayloadKey } from '../../worker/payload-codec.js';

const problem = (mode: number, content: string) => passphraseFileProblem('encryption.passphraseFile', '/etc/pb/passphrase', mode, content);

test('a private passphrase file with a first line serves', () => {
  assert.equal(problem(0o100600, 'correct horse\n'), undefined);
  assert.equal(problem(0o100400, 'no newline'), undefined);
});

test('an empty first line is an empty passphrase, refused naming the field', () => {
  for (const content of ['', '\n', '\nsecond line\n']) {
    assert.equal(problem(0o100600, content), "encryption.passphraseFile: /etc/pb/passphrase: the passphrase is empty (gpg reads the file's first line)");
  }
});

test('any permission for group or others is refused, naming the file and its mode', () => {
  assert.equal(problem(0o100644, 'x\n'), 'encryption.passphraseFile: /etc/pb/passphrase is mode 0644: group or others can read or change the passphrase (chmod 600 it)');
  for (const mode of [0o100640, 0o100604, 0o100620, 0o100602, 0o100601]) assert.match(problem(mode, 'x\n') ?? '', / is mode 06\d\d: /, mode.toString(8));
  // The mode is reported before emptiness: fixing only the content would leave it shared.
  assert.match(problem(0o100666, '') ?? '', /is mode 0666/);
});

test('a payload key file that others can read is refused when a worker or client loads it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-key-'));
  const file = join(dir, 'payload.key');
  await writeFile(file, randomBytes(32).toString('hex'), { mode: 0o644 });
  await chmod(file, 0o644);
  assert.throws(() => readPayloadKey(file), (err: Error & { type?: string }) => {
    assert.equal(err.type, 'ConfigInvalid');
    assert.match(err.message, /temporal\.payloadKeyFile: .*payload\.key is mode 0644: group or others can read or change the payload key/);
    return true;
  });
  await chmod(file, 0o600);
  assert.equal(readPayloadKey(file).length, 32);
  await rm(dir, { recursive: true, force: true });
});
