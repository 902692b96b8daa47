// Covers: deploy/systemd/promptbox-backup-worker.service against the CLI it starts: systemd
// accepts the unit as written, its ExecStart is the CLI's `worker` command reading the documented
// config path, it does not restart on the exit codes that a restart cannot fix, and the example
// config's repository is writable under its sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ERRORS, EXIT_USAGE } from '../../core/errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const unitPath = join(root, 'deploy/systemd/promptbox-backup-worker.service');
const INSTALLED_AT = '/opt/promptbox-backup'; // where the unit expects the clone
const CONFIG = '/etc/promptbox-backup/config.json';

/** Directive -> values, comments and section headers dropped (a directive may repeat). */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

const here = (path: string) => path.replaceAll(INSTALLED_AT, root);

// scripts/setup.sh test installs it: in CI a missing tool fails the test rather than skipping it unseen.
const ANALYZE = '/usr/bin/systemd-analyze';
const analyzeMissing = !existsSync(ANALYZE);

test('systemd-analyze verify accepts the unit without a warning', { skip: analyzeMissing && process.env.CI !== 'true' && 'systemd-analyze is not installed (scripts/setup.sh test installs it)' }, async () => {
  assert.ok(!analyzeMissing, `${ANALYZE} is missing: scripts/setup.sh test installs it (Debian package systemd)`);
  const dir = await mkdtemp(join(tmpdir(), 'pbb-unit-'));
  try {
    const copy = join(dir, 'promptbox-backup-worker.service');
    await writeFile(copy, here(await readFile(unitPath, 'utf8')));
    const run = await execa(ANALYZE, ['verify', '--man=no', copy], { reject: false });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.stderr, '', 'unknown keys and bad values are only warnings: there must be none');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("ExecStart is the CLI's worker command on the documented config, and exits that a restart cannot fix stop it", async () => {
  const unit = directives(await readFile(unitPath, 'utf8'));
  const [node, ...args] = unit.get('ExecStart')![0]!.split(/\s+/);
  assert.equal(node, '/usr/bin/node');
  const loader = args[args.indexOf('--import') + 1]!;
  const cli = args.find((a) => a.endsWith('/client/cli.ts'))!;
  assert.ok(existsSync(here(loader)), `${loader} is in the clone`);
  assert.ok(existsSync(here(cli)), `${cli} is in the clone`);
  const cliArgs = args.slice(args.indexOf(cli) + 1);
  assert.deepEqual(cliArgs, ['worker', '--config', CONFIG]);
  // The same node flags as the ./promptbox-backup wrapper, so the service runs the benchmarked worker.
  const wrapper = await readFile(here('/opt/promptbox-backup/promptbox-backup'), 'utf8');
  assert.equal(args.slice(0, args.indexOf('--import')).join(' '), wrapper.match(/^exec node (.*?) --import/m)?.[1]);
  for (const [, setting] of wrapper.matchAll(/^export (\S+=\S+)$/gm)) assert.ok(unit.get('Environment')!.join(' ').split(/\s+/).includes(setting!), `Environment has ${setting}`);

  // The CLI accepts exactly these arguments (an unknown option would exit 2 with the usage) ...
  const help = await execa(process.execPath, ['--import', here(loader), here(cli), ...cliArgs, '--help'], { reject: false });
  assert.equal(help.exitCode, 0, help.stderr);
  assert.match(help.stdout, /^ {2}worker +run a worker until interrupted/m);
  // ... and reads the config from that path: missing here, so it fails as a config error naming it.
  const missing = await execa(process.execPath, ['--import', here(loader), here(cli), ...cliArgs], { reject: false, timeout: 60_000 });
  assert.equal(missing.exitCode, ERRORS.ConfigInvalid.exitCode, missing.stderr);
  assert.match(missing.stderr, new RegExp(`invalid configuration in ${CONFIG}`));
  assert.deepEqual(unit.get('RestartPreventExitStatus')?.[0]?.split(/\s+/).map(Number).sort(), [EXIT_USAGE, ERRORS.ConfigInvalid.exitCode].sort());
  assert.deepEqual(unit.get('Restart'), ['on-failure']);
});

test("the example config's repository is writable under the unit's read-only system, and nothing else is", async () => {
  const unit = directives(await readFile(unitPath, 'utf8'));
  const example = JSON.parse(await readFile(join(root, 'config/example.json'), 'utf8')) as { repository: { root: string } };
  assert.deepEqual(unit.get('ProtectSystem'), ['strict']);
  assert.deepEqual(unit.get('ReadWritePaths'), [example.repository.root]);
  assert.deepEqual(unit.get('UMask'), ['0077']);
  assert.deepEqual(unit.get('User'), ['promptbox-backup']);
});
