// DR step 4's copy of the image mirror into a storage directory, reading each file once: its bytes
// are hashed as they are written under a temporary name, and the file is renamed into place only
// when whole, so a name in the storage is always a complete file. A rerun after a lost worker skips
// what is already in place (an original whose content hashes right; any other file with the
// mirror's size and modification time, as rsync judges) and redoes the rest.
import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readlink, rename, rm, stat, symlink, utimes } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { sha256File } from './hash.js';
import { CORES, inPool } from './pool.js';

/** Half-written files, inside the storage root (one file system, so renames are atomic), removed after. */
const RESTORE_TEMP_DIR = '.promptbox-restore-partial';

// Modes as the app's own files have them: it may run as another user than the worker.
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const CHUNK = 1024 * 1024;
/**
 * Files copied at once: one more than the cores, so that while one file waits on a read or a
 * write the others keep the cores hashing (2.1 GB from a warm cache on 2 cores: 4.4-4.8 s two at
 * a time, 3.6-3.7 s three at a time).
 */
const COPY_PARALLELISM = CORES + 1;
const ZEROS = Buffer.alloc(CHUNK);

export interface MirrorCopyProgress {
  filesDone: number;
  bytesDone: number;
}

export interface MirrorCopy {
  /** sha256 of each file named in `expected` that is now in place, by its absolute path in the storage. */
  hashes: Map<string, string>;
  /** Files in the mirror, and how many of them (and bytes) had to be copied. */
  files: number;
  copied: number;
  copiedBytes: number;
}

/** Whole zero chunks are skipped, not written, so the copy keeps a sparse file's holes as rsync --sparse did. */
const isZero = (chunk: Buffer) => chunk.equals(ZEROS.subarray(0, chunk.length));

/**
 * Copies `from` to `to` through a temporary name in `partialDir`; returns the sha256 of what was
 * written when `hashed` (else an empty string). Two buffers: a chunk is written while the next is
 * read and hashed.
 */
async function copyFile(from: string, source: Stats, to: string, partialDir: string, hashed: boolean, buffers: [Buffer, Buffer], signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<string> {
  const temporary = join(partialDir, `${randomBytes(8).toString('hex')}.partial`);
  const hash = hashed ? createHash('sha256') : undefined;
  const input = await open(from, 'r');
  try {
    const output = await open(temporary, 'w', FILE_MODE);
    let writing: Promise<unknown> = Promise.resolve();
    try {
      let position = 0;
      for (let next = 0; ; next ^= 1) {
        signal?.throwIfAborted();
        const buffer = buffers[next] as Buffer;
        const { bytesRead } = await input.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        hash?.update(chunk);
        await writing; // the other buffer is free again once its chunk is written
        if (!isZero(chunk)) {
          writing = output.write(chunk, 0, bytesRead, position);
          writing.catch(() => undefined); // awaited above or below; a failure must not go unhandled meanwhile
        }
        position += bytesRead;
        onBytes(bytesRead);
      }
      await writing;
      await output.truncate(position); // a trailing hole
    } finally {
      await writing.catch(() => undefined);
      await output.close();
    }
    await chmod(temporary, FILE_MODE); // open()'s mode passed through the umask
    await utimes(temporary, source.atimeMs / 1000, source.mtimeMs / 1000);
    await mkdir(dirname(to), { recursive: true, mode: DIR_MODE });
    await rename(temporary, to);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  } finally {
    await input.close();
  }
  return hash?.digest('hex') ?? '';
}

/**
 * The file's sha256 when it is already in place and need not be copied again (an empty string
 * for a file whose hash nobody asked for), undefined when it must be copied.
 */
async function inPlace(source: Stats, to: string, expectedHash: string | undefined): Promise<string | undefined> {
  const target = await stat(to).catch(() => undefined);
  if (!target?.isFile() || target.size !== source.size) return undefined;
  if (expectedHash !== undefined) {
    const { sha256 } = await sha256File(to);
    return sha256 === expectedHash ? sha256 : undefined;
  }
  // Within a millisecond: times pass through floating-point seconds.
  return Math.abs(target.mtimeMs - source.mtimeMs) < 1 ? '' : undefined;
}

/**
 * Copies every file under `mirror` into `storageRoot` (directories 0755, files 0644, modification
 * times kept, symbolic links as links), files in parallel. `expected` maps a storage path to the
 * sha256 its content must have (the live originals): those are hashed and returned, so the check
 * after the copy need not read them again.
 */
export async function copyMirror(
  mirror: string,
  storageRoot: string,
  expected: ReadonlyMap<string, string>,
  opts: { signal?: AbortSignal; progress?: MirrorCopyProgress },
): Promise<MirrorCopy> {
  const partialDir = join(storageRoot, RESTORE_TEMP_DIR);
  await rm(partialDir, { recursive: true, force: true }); // a lost worker's half-written files
  await mkdir(partialDir, { recursive: true, mode: 0o700 });
  const entries = await readdir(mirror, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => relative(mirror, join(e.parentPath, e.name)));
  const progress = opts.progress ?? { filesDone: 0, bytesDone: 0 };
  const result: MirrorCopy = { hashes: new Map(), files: files.length, copied: 0, copiedBytes: 0 };
  const buffers: Array<[Buffer, Buffer]> = Array.from({ length: COPY_PARALLELISM }, () => [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)]);
  await inPool(files, COPY_PARALLELISM, async (rel) => {
    const from = join(mirror, rel);
    const to = resolve(storageRoot, rel);
    const source = await lstat(from);
    if (source.isSymbolicLink()) {
      await mkdir(dirname(to), { recursive: true, mode: DIR_MODE });
      await rm(to, { force: true });
      await symlink(await readlink(from), to);
    } else {
      const want = expected.get(to);
      let sha256 = await inPlace(source, to, want);
      if (sha256 === undefined) {
        const pair = buffers.pop() as [Buffer, Buffer]; // one pair per file in flight
        try {
          sha256 = await copyFile(from, source, to, partialDir, want !== undefined, pair, opts.signal, (n) => {
            progress.bytesDone += n;
            result.copiedBytes += n;
          });
        } finally {
          buffers.push(pair);
        }
        result.copied += 1;
      }
      if (want !== undefined) result.hashes.set(to, sha256);
    }
    progress.filesDone += 1;
  });
  await rm(partialDir, { recursive: true, force: true });
  return result;
}
