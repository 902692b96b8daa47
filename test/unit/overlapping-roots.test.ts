// Covers: config/load.ts refusing a repository root and a storage root that overlap (issue 16):
// the image mirror would copy the repository, with its unencrypted staging dumps, into itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../config/load.js';

function configWith(storage: string, repository: string) {
  return {
    source: { name: 'pb', database: { transport: 'docker', container: 'promptbox-db-1', user: 'u', database: 'd' }, storage: { root: storage } },
    repository: { root: repository },
  };
}

function problemsOf(storage: string, repository: string): string[] {
  try {
    parseConfig(configWith(storage, repository), 'test', {});
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
}

test('a repository root equal to, inside or containing the storage root is refused naming both fields, also through a symlink or before it exists', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-roots-'));
  try {
    const storage = join(dir, 'storage');
    await mkdir(storage);
    await symlink(storage, join(dir, 'link'));
    const refused: Array<[string, string, RegExp]> = [
      [storage, storage, /repository\.root .* and source\.storage\.root .* are the same directory/],
      [storage, join(storage, 'backup'), /repository\.root .*\/storage\/backup.* is inside source\.storage\.root/],
      [storage, join(storage, 'not', 'yet', 'created'), /repository\.root .* is inside source\.storage\.root/],
      [storage, join(dir, 'link', 'backup'), /repository\.root .*\/link\/backup.* is inside source\.storage\.root/],
      [storage, dir, /source\.storage\.root .* is inside repository\.root/],
      [join(dir, 'link'), join(storage, 'backup'), /repository\.root .* is inside source\.storage\.root/],
    ];
    for (const [s, r, expected] of refused) {
      const problems = problemsOf(s, r);
      assert.equal(problems.length, 1, `storage ${s}, repository ${r}: ${problems.join('; ')}`);
      assert.match(problems[0]!, expected);
    }
    // Siblings that only share a name prefix, and paths that do not exist yet, are fine.
    assert.deepEqual(problemsOf(storage, join(dir, 'storage-backup')), []);
    assert.deepEqual(problemsOf('/nonexistent/storage', '/nonexistent/backup'), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
