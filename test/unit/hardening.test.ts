// Covers: repository/artifact-file.ts (path refusal), activities/artifact-check.ts, manifest path rules, repository modes
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { scratchDir } from '../scratch.js';
import { createArtifactChecker } from '../../activities/artifact-check.js';
import { artifactFile } from '../../repository/artifact-file.js';
import { createActivityDeps } from '../../activities/deps.js';
import { parseConfig } from '../../config/load.js';

function repo(): string {
  const root = scratchDir('pbb-harden-');
  mkdirSync(join(root, 'db'));
  writeFileSync(join(root, 'db', 'real.dump'), 'x');
  symlinkSync('/etc/passwd', join(root, 'db', 'link.dump'));
  return root;
}

test('artifact paths that leave the repository, or are symlinks, are refused', async () => {
  const root = repo();
  assert.equal(await artifactFile(root, 'db/real.dump'), join(root, 'db/real.dump'));
  for (const [rel, why] of [
    ['../../etc/passwd', /leaves the repository/],
    ['/etc/passwd', /leaves the repository/],
    ['db/../../x', /leaves the repository/],
    ['db/link.dump', /symbolic link/],
  ] as const) {
    await assert.rejects(artifactFile(root, rel), why, rel);
  }
});

test('a crafted manifest artifact pointing at /etc/passwd fails its check instead of being read', async () => {
  const root = repo();
  const config = parseConfig(
    { source: { name: 'pb', database: { transport: 'docker', container: 'c', user: 'u', database: 'd' }, storage: { root: '/s' } }, repository: { root } },
    'x',
    {},
  );
  const checker = createArtifactChecker(createActivityDeps(config, pino({ level: 'silent' })));
  const sha = 'a'.repeat(64);
  const checks = await checker.checkArtifact(
    { kind: 'dump', path: 'db/link.dump', bytes: 1, sha256: sha, encrypted: false, plaintextSha256: sha, plaintextBytes: 1 },
    join(root, 'db/link.dump'),
  );
  assert.deepEqual(checks.map((c) => [c.ok, c.detail]), [[false, 'db/link.dump: is a symbolic link; refused']]);
});
