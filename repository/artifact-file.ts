// Where a manifest's artifact is on disk, and whether it is there as recorded. Manifests are
// data: a crafted one must not make a reader leave the repository, so a path that is absolute,
// climbs out with `..` or resolves out through a symbolic link is refused.
import { lstat, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Artifact } from '../core/manifest.js';
import { fail } from '../activities/failure.js';

/**
 * The file of an artifact, refused when it leaves the repository: a crafted manifest must not
 * make a restore read /etc/passwd or follow a symlink out of the repository.
 */
export async function artifactFile(root: string, rel: string): Promise<string> {
  const file = resolve(root, rel);
  const realRoot = await realpath(root);
  if (!file.startsWith(`${resolve(root)}/`)) throw fail('VerificationFailed', `${rel}: path leaves the repository; refused`);
  const info = await lstat(file).catch(() => undefined);
  if (info?.isSymbolicLink()) throw fail('VerificationFailed', `${rel}: is a symbolic link; refused`);
  const real = await realpath(file).catch(() => file);
  if (!real.startsWith(`${realRoot}/`)) throw fail('VerificationFailed', `${rel}: resolves outside the repository; refused`);
  return file;
}

/**
 * Why an artifact is not in place as its manifest records it, or undefined when it is: a regular
 * file inside the repository with the recorded size. Cheap enough for every reader of the
 * catalog; the sha256 is left to verification and the integrity restore test.
 */
export async function artifactProblem(root: string, artifact: Artifact): Promise<string | undefined> {
  let file: string;
  try {
    file = await artifactFile(root, artifact.path);
  } catch (err) {
    return (err as Error).message;
  }
  const info = await lstat(file).catch(() => undefined);
  if (!info) return `${artifact.path}: missing`;
  if (!info.isFile()) return `${artifact.path}: not a regular file`;
  if (info.size !== artifact.bytes) return `${artifact.path}: ${info.size} bytes, recorded ${artifact.bytes}`;
  return undefined;
}
