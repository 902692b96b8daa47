// The repository's codec: GnuPG symmetric encryption (AES256) with the passphrase read by gpg
// itself from a file: the passphrase never appears in argv, environment, logs or workflow
// payloads. Workers use a private GNUPGHOME (one per user, so one gpg-agent, not one per process)
// and disable the symmetric key cache, so a wrong passphrase file is always noticed rather than
// masked by an agent's cached key.
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorType } from '../core/errors.js';
import type { CommandRunner } from '../activities/command.js';

export const GPG_CIPHER = 'AES256';
let gnupgHome: string | undefined;

function homedir(): string {
  if (gnupgHome) return gnupgHome;
  const dir = join(tmpdir(), `promptbox-backup-gnupg-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = lstatSync(dir);
  // Refuse a directory someone else planted: it could hold their keys or agent socket.
  if (!info.isDirectory() || info.uid !== process.getuid?.() || (info.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private directory of this user; remove it`);
  }
  gnupgHome = dir;
  return gnupgHome;
}

export function classifyGpgError(stderr: string): ErrorType | undefined {
  if (/bad session key|bad passphrase|no passphrase given/i.test(stderr)) return 'WrongPassphrase';
  if (/manipulated|invalid packet|crc error|decryption failed|no valid openpgp data|unexpected eof/i.test(stderr)) {
    return 'VerificationFailed';
  }
  return undefined;
}

export function gpgBaseArgs(passphraseFile: string): string[] {
  return [
    '--homedir', homedir(),
    '--batch', '--yes', '--no-tty', '--quiet',
    '--pinentry-mode', 'loopback',
    '--no-symkey-cache',
    '--passphrase-file', passphraseFile,
  ];
}

/**
 * No compression: custom-format dumps are zlib-compressed already, and gpg's own pass over them
 * made encryption five times slower for nothing (bench/RESULTS.md). Decryption reads either form.
 */
export async function encryptFile(commands: CommandRunner, passphraseFile: string, src: string, dst: string): Promise<void> {
  await commands.run('gpg', [...gpgBaseArgs(passphraseFile), '--symmetric', '--cipher-algo', GPG_CIPHER, '--compress-algo', 'none', '--output', dst, src], {
    classify: classifyGpgError,
  });
}

/** Starts `gpg --decrypt` of a file to stdout, for the caller to stream (never to disk). */
export function spawnDecrypt(commands: CommandRunner, passphraseFile: string, src: string) {
  return commands.spawn('gpg', [...gpgBaseArgs(passphraseFile), '--decrypt', src], { classify: classifyGpgError });
}

export async function decryptToString(commands: CommandRunner, passphraseFile: string, src: string): Promise<string> {
  const { stdout } = await commands.run('gpg', [...gpgBaseArgs(passphraseFile), '--decrypt', src], { classify: classifyGpgError });
  return stdout;
}
