// Checks one artifact end to end: its bytes against the manifest's size and sha256; when
// encrypted, its decryption (streamed, never to disk) against the plaintext sha256 taken at backup
// time; when a dump, its table of contents read by pg_restore --list from the same stream. Used
// by backup verification, the integrity restore test and restores.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Artifact, VerificationCheck } from '../core/manifest.js';
import { artifactFile } from '../repository/artifact-file.js';
import { spawnDecrypt } from '../repository/gpg.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { sha256File } from './hash.js';
import { pgCommand } from './pg-command.js';
import { dumpReaderBinDir } from './pg-binaries.js';

export function createArtifactChecker(deps: ActivityDeps) {
  const { config, commands } = deps;

  /** The plaintext of an artifact as a stream: decrypted on the fly when needed. */
  function openPlaintext(artifact: Artifact, file: string): { stream: Readable; done: () => Promise<unknown> } {
    if (!artifact.encrypted) return { stream: createReadStream(file), done: async () => undefined };
    if (!config.encryption.enabled) throw fail('ConfigInvalid', `${artifact.path} is encrypted but encryption is not configured`);
    const { child, finish } = spawnDecrypt(commands, config.encryption.passphraseFile, file);
    return { stream: child.stdout!, done: finish };
  }

  /**
   * pg_restore --list reading a dump from stdin. It may stop reading once it has the table of
   * contents; writes after that are dropped, so the caller can keep hashing the whole stream.
   */
  async function startTocReader() {
    const binDir = await dumpReaderBinDir(commands, config.source.database);
    const inv = pgCommand(config.source.database, 'pg_restore', ['--list'], { connect: false, stdin: true, binDir });
    const restore = commands.spawn(inv.file, inv.args, { env: inv.env, stdin: 'pipe' });
    const stdin = restore.child.stdin!;
    let open = true;
    stdin.on('error', () => (open = false)); // EPIPE once pg_restore has what it needs
    stdin.on('close', () => (open = false));
    const listing: Buffer[] = [];
    restore.child.stdout!.on('data', (c: Buffer) => listing.push(c));
    return {
      async write(chunk: Buffer): Promise<void> {
        if (open && !stdin.write(chunk)) {
          await new Promise<void>((resolve) => {
            const settle = () => {
              stdin.off('drain', settle).off('close', settle).off('error', settle);
              resolve();
            };
            stdin.on('drain', settle).on('close', settle).on('error', settle);
          });
        }
      },
      /** The listing, or the error that pg_restore ended with. */
      async finish(): Promise<{ toc?: string; error?: string }> {
        if (open) stdin.end();
        try {
          await restore.finish();
          return { toc: Buffer.concat(listing).toString('utf8') };
        } catch (err) {
          return { error: (err as Error).message };
        }
      },
    };
  }

  /** Hashes the plaintext and, for dumps, feeds the same bytes to pg_restore --list. */
  async function checkPlaintext(artifact: Artifact, file: string, checks: VerificationCheck[]): Promise<void> {
    const hash = createHash('sha256');
    let bytes = 0;
    const tocReader = artifact.kind === 'dump' ? await startTocReader() : undefined;
    const { stream, done } = openPlaintext(artifact, file);
    let listing: { toc?: string; error?: string } | undefined;
    try {
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
        await tocReader?.write(chunk as Buffer);
      }
      listing = await tocReader?.finish();
      await done();
    } catch (err) {
      listing ??= await tocReader?.finish();
      checks.push({ artifact: artifact.path, check: artifact.encrypted ? 'decrypt' : 'sha256', ok: false, detail: (err as Error).message });
      return;
    }
    const toc = listing?.toc;
    const tocError = listing?.error;
    const sha = hash.digest('hex');
    if (artifact.encrypted) {
      const ok = sha === artifact.plaintextSha256;
      checks.push({
        artifact: artifact.path,
        check: 'decrypt',
        ok,
        detail: ok ? `decrypted ${bytes} bytes, sha256 matches` : `decrypted content sha256 ${sha} != recorded ${artifact.plaintextSha256}`,
      });
    }
    if (artifact.kind === 'dump') {
      const entries = toc?.split('\n').filter((l) => l && !l.startsWith(';')).length ?? 0;
      const ok = toc !== undefined && entries > 0;
      checks.push({
        artifact: artifact.path,
        check: 'pg_restore --list',
        ok,
        detail: ok ? `${entries} table-of-contents entries` : `pg_restore --list failed: ${tocError ?? 'empty table of contents'}`,
      });
    }
  }


  return {
    openPlaintext,
    /** Every check of one artifact, in order; stops after a failed sha256 (nothing else can be trusted). */
    async checkArtifact(artifact: Artifact, file: string): Promise<VerificationCheck[]> {
      const checks: VerificationCheck[] = [];
      try {
        await artifactFile(config.repository.root, artifact.path);
      } catch (err) {
        return [{ artifact: artifact.path, check: 'sha256', ok: false, detail: (err as Error).message }];
      }
      const { sha256, bytes } = await sha256File(file).catch(() => ({ sha256: 'unreadable', bytes: -1 }));
      const ok = sha256 === artifact.sha256 && bytes === artifact.bytes;
      checks.push({
        artifact: artifact.path,
        check: 'sha256',
        ok,
        detail: ok ? `${bytes} bytes, sha256 ${sha256}` : `read ${bytes} bytes with sha256 ${sha256}, recorded ${artifact.bytes} bytes ${artifact.sha256}`,
      });
      // Plain config copies are fully covered by the sha256 check above.
      if (ok && (artifact.encrypted || artifact.kind === 'dump')) await checkPlaintext(artifact, file, checks);
      return checks;
    },
  };
}
