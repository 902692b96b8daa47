// A backup plan records the version of each tool its run drives. Asked once per binary for the
// worker's life, the answer must still follow the binary: an upgraded tool is recorded with its new
// version, and a tool that is missing is still reported missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cachedToolVersions } from '../../activities/tool-version.js';

/** Installs `pbb-fake-tool` in `dir`: it appends a line to `calls` each time it runs and prints `version`. */
async function install(dir: string, calls: string, version: string): Promise<void> {
  const staged = join(dir, '.pbb-fake-tool.new');
  await writeFile(staged, `#!/bin/sh\necho run >> '${calls}'\necho '${version}'\n`);
  await chmod(staged, 0o755);
  await rename(staged, join(dir, 'pbb-fake-tool')); // as a package manager replaces a binary
}

test('a tool is asked its version once, asked again once it is replaced, and a missing one is still asked (and fails)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-tool-'));
  const calls = join(dir, 'calls');
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  try {
    const version = cachedToolVersions(async (file, args) => (await execa(file, args)).stdout.trim());
    const runs = async () => (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    await install(dir, calls, 'fake 1.0');
    assert.equal(await version('pbb-fake-tool', ['--version']), 'fake 1.0');
    assert.equal(await version('pbb-fake-tool', ['--version']), 'fake 1.0');
    assert.equal(await runs(), 1, 'the second plan reuses the answer');

    await install(dir, calls, 'fake 2.0');
    assert.equal(await version('pbb-fake-tool', ['--version']), 'fake 2.0', 'the upgraded tool is asked again');
    assert.equal(await runs(), 2);
    assert.equal(await version(join(dir, 'pbb-fake-tool'), ['--version']), 'fake 2.0');
    assert.equal(await runs(), 2, 'named by its path, the same binary is known');

    await rm(join(dir, 'pbb-fake-tool'));
    await assert.rejects(version('pbb-fake-tool', ['--version']), /ENOENT|not found/);
  } finally {
    process.env.PATH = path;
    await rm(dir, { recursive: true, force: true });
  }
});
