// Covers: `run --keep-running` (client/cli.ts, client/demo.ts) when its Temporal dev server dies:
// the command says so, stops the demo PostgreSQL and exits non-zero, instead of exiting 0 in
// silence with the database left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const cli = fileURLToPath(new URL('../../promptbox-backup', import.meta.url));

async function processesMatching(marker: string): Promise<string[]> {
  const { stdout } = await execa('pgrep', ['-a', '-f', marker], { reject: false });
  return stdout.split('\n').filter(Boolean);
}

test('run --keep-running whose dev server dies: it says so, stops the demo PostgreSQL and exits non-zero', async () => {
  const home = await mkdtemp(join(tmpdir(), 'pbb-keep-'));
  await chmod(home, 0o711);
  const run = execa(cli, ['run', '--keep-running'], { env: { PROMPTBOX_BACKUP_HOME: home }, reject: false, all: true, timeout: 300_000 });
  try {
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      run.all.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('Ctrl-C to stop')) resolve();
      });
      void run.then(() => reject(new Error(`run ended before keeping running: ${seen}`)));
    });
    const postgres = join(home, 'demo-postgres');
    assert.notDeepEqual(await processesMatching(postgres), [], 'the demo PostgreSQL runs');
    const server = await processesMatching(`start-dev --db-filename ${join(home, 'temporal.sqlite')}`);
    assert.equal(server.length, 1, server.join('\n'));
    process.kill(Number(server[0]!.split(' ')[0]), 'SIGKILL');

    const done = await run;
    assert.notEqual(done.exitCode, 0, String(done.all));
    assert.match(String(done.all), /the Temporal dev server (exited|was killed).*; the demo PostgreSQL has been stopped/);
    assert.deepEqual(await processesMatching(postgres), [], 'the demo PostgreSQL was stopped');
  } finally {
    run.kill('SIGINT');
    await run;
    // A PostgreSQL the command failed to stop must not outlive the test (its postmaster names the directory).
    for (const line of await processesMatching(join(home, 'demo-postgres'))) process.kill(Number(line.split(' ')[0]), 'SIGQUIT');
    await rm(home, { recursive: true, force: true });
  }
});
