// Encrypts staged artifacts with GnuPG (AES256) before they leave the staging area, and checks
// the passphrase against the repository's passphrase-check token first: encrypting with a wrong
// passphrase "works", and would silently make every later backup unreadable.
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { passphraseFileProblem } from '../core/passphrase-file.js';
import { layout } from '../repository/layout.js';
import type { PlainStaged, StagedArtifact } from '../core/staged.js';
import type { ActivityDeps } from './deps.js';
import { commitFile, exists, temporaryNameFor, writeFileDurable } from '../repository/fs-durable.js';
import { fail } from './failure.js';
import { decryptToString, encryptFile } from '../repository/gpg.js';
import { sha256File } from './hash.js';
import { withHeartbeat } from './heartbeat.js';
import type { HeartbeatProgress } from '../core/progress.js';

const PASSPHRASE_TOKEN = 'promptbox-backup passphrase check v1';

export function createEncryptActivities(deps: ActivityDeps) {
  const { config, commands, logger } = deps;
  const root = config.repository.root;

  function passphraseFile(): string {
    if (!config.encryption.enabled) throw fail('ConfigInvalid', 'encryption is disabled in the configuration');
    return config.encryption.passphraseFile;
  }

  /** The passphrase file, refused when missing, empty or open to group or others (core/passphrase-file.ts). */
  async function usablePassphraseFile(): Promise<string> {
    const file = passphraseFile();
    let mode: number;
    let content: string;
    try {
      [{ mode }, content] = await Promise.all([stat(file), readFile(file, 'utf8')]);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw fail('ConfigInvalid', code === 'ENOENT' ? `encryption.passphraseFile: ${file} does not exist` : `encryption.passphraseFile: cannot read ${file} (${code ?? err})`);
    }
    const problem = passphraseFileProblem('encryption.passphraseFile', file, mode, content);
    if (problem) throw fail('ConfigInvalid', problem);
    return file;
  }

  return {
    /**
     * Fails with WrongPassphrase unless the passphrase file decrypts the repository's token, and
     * with ConfigInvalid for a file that cannot serve. The first encrypted backup of a repository
     * creates the token.
     */
    async checkPassphrase(): Promise<void> {
      const file = await usablePassphraseFile();
      const token = join(root, layout.passphraseCheck);
      if (!(await exists(token))) {
        const plain = temporaryNameFor(token);
        await writeFileDurable(plain, PASSPHRASE_TOKEN);
        const sealed = temporaryNameFor(token);
        try {
          await encryptFile(commands, file, plain, sealed);
          await commitFile(sealed, token);
        } finally {
          await rm(plain, { force: true });
          await rm(sealed, { force: true });
        }
        logger.info({ token: layout.passphraseCheck }, 'repository passphrase check created');
        return;
      }
      let text: string;
      try {
        text = await decryptToString(commands, file, token);
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type === 'VerificationFailed' || type === 'WrongPassphrase') {
          throw fail('WrongPassphrase', `encryption.passphraseFile ${file} does not open this repository (${layout.passphraseCheck})`);
        }
        throw err;
      }
      if (text !== PASSPHRASE_TOKEN) {
        throw fail('WrongPassphrase', `encryption.passphraseFile ${file} does not open this repository (${layout.passphraseCheck})`);
      }
    },

    /** Turns staged plaintext into the artifacts to verify; idempotent across retries. */
    async encryptArtifacts(input: { backupId: string; items: PlainStaged[] }): Promise<StagedArtifact[]> {
      const out: StagedArtifact[] = [];
      let done = 0;
      await withHeartbeat(
        (): HeartbeatProgress => ({ step: 'encrypt', filesDone: done, filesTotal: input.items.length }),
        async () => {
          for (const item of input.items) {
            const plain = join(root, item.staged);
            const base = {
              kind: item.kind,
              path: item.finalPath,
              plaintextSha256: item.plaintextSha256,
              plaintextBytes: item.plaintextBytes,
            };
            if (!config.encryption.enabled) {
              out.push({ staged: item.staged, artifact: { ...base, encrypted: false, sha256: item.plaintextSha256, bytes: item.plaintextBytes } });
            } else {
              const staged = layout.stagedEncrypted(item.staged);
              const sealed = join(root, staged);
              // A retry after the previous attempt finished this item finds only the sealed file.
              if (await exists(plain)) {
                const tmp = temporaryNameFor(sealed);
                try {
                  await encryptFile(commands, passphraseFile(), plain, tmp);
                  await commitFile(tmp, sealed);
                } finally {
                  await rm(tmp, { force: true });
                }
                await rm(plain, { force: true });
              }
              const { sha256, bytes } = await sha256File(sealed);
              out.push({ staged, artifact: { ...base, encrypted: true, sha256, bytes } });
            }
            done += 1;
          }
        },
      );
      return out;
    },
  };
}
