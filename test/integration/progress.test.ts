// Covers: client/progress.ts, workflows/run-progress.ts and the CLI's live progress for `backup`
// and `restore-test run`: a real backup and integrity test through the CLI (as a client of a
// worker on the real server), with encrypted payloads, so heartbeat details go through the codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useServices } from '../harness.js';
import { makeConfig, makeFixture, runCli, testWorker, type TestSetup } from '../helpers.js';
import type { BackupResult } from '../../core/backup-result.js';
import type { ProgressEvent } from '../../core/progress.js';

const services = useServices();

/** Runs the CLI while a worker serves the config's queue. */
async function cliWithWorker(setup: TestSetup, args: string[], opts: { terminal?: boolean } = {}) {
  return (await testWorker(services, setup)).runUntil(runCli(services, setup, args, opts));
}

async function codecSetup(name: string): Promise<TestSetup> {
  const fixture = await makeFixture(services, 6);
  const keyFile = join(services.dir, `${name}.key`);
  await writeFile(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  return makeConfig(services, fixture, name, { overrides: (raw) => void (raw.temporal = { ...raw.temporal, payloadKeyFile: keyFile }) });
}

const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/; // anything but a newline

test('backup --json streams progress and each finished step in order, then the result as the last line', async () => {
  const setup = await codecSetup('progress json');
  const run = await cliWithWorker(setup, ['backup', '--json']);
  assert.equal(run.exitCode, 0, run.stderr);
  const lines = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
  assert.equal(lines[0]?.type, 'started');
  const last = lines.at(-1) as { type: string; result: BackupResult };
  assert.equal(last.type, 'result');
  assert.equal(last.result.outcome, 'succeeded');

  // Every step the result timed, announced once each, in the same order.
  const steps = lines.filter((l) => l.type === 'step') as unknown as Array<{ step: string; stepNo: number; steps: number }>;
  assert.deepEqual(steps.map((s) => s.step), last.result.timings.map((t) => t.step));
  assert.deepEqual(steps.map((s) => s.stepNo), steps.map((_, i) => i + 1));
  assert.ok(steps.every((s) => s.steps === 7), 'a full backup has 7 steps');

  const progress = lines.filter((l) => l.type === 'progress') as unknown as ProgressEvent[];
  assert.ok(progress.length > 0, 'at least the first poll reports');
  for (const [i, p] of progress.entries()) {
    assert.equal(p.workflowId, lines[0]!.workflowId);
    assert.ok(p.stepNo >= 0 && p.stepNo <= 7, `step number ${p.stepNo}`);
    const before = progress[i - 1];
    if (!before) continue;
    assert.ok(p.stepNo >= before.stepNo, `steps go forward: ${before.stepNo} then ${p.stepNo}`);
    assert.ok(p.elapsedMs >= before.elapsedMs);
    if (p.stepNo === before.stepNo && p.step === before.step) {
      for (const count of ['bytesDone', 'filesDone'] as const) {
        if (p[count] !== undefined && before[count] !== undefined) assert.ok(p[count]! >= before[count]!, `${count} never goes back`);
      }
    }
  }
});

test('restore-test run without --json writes plain lines, no control characters, when output is not a terminal', async () => {
  const setup = await codecSetup('progress plain');
  const backup = await cliWithWorker(setup, ['backup']);
  assert.equal(backup.exitCode, 0, backup.stderr);
  assert.match(backup.stdout, /verified and recorded as good/);
  assert.match(backup.stderr, /done \[7\/7\] retention in /);

  const integrity = await cliWithWorker(setup, ['restore-test', 'run', 'integrity']);
  assert.equal(integrity.exitCode, 0, integrity.stderr);
  assert.match(integrity.stdout, /^integrity restore test PASSED/);
  assert.match(integrity.stderr, /^\d\d:\d\d:\d\d done \[1\/1\] integrity check in /m);
  for (const [name, text] of [['backup stdout', backup.stdout], ['backup stderr', backup.stderr], ['restore-test stdout', integrity.stdout], ['restore-test stderr', integrity.stderr]]) {
    assert.doesNotMatch(text!, CONTROL, `${name} has control characters: ${JSON.stringify(text)}`);
  }
});

test('on a terminal, backup redraws one progress line in place and prints each finished step above it', async () => {
  const setup = await codecSetup('progress terminal');
  const run = await cliWithWorker(setup, ['backup'], { terminal: true });
  assert.equal(run.exitCode, 0, run.stdout);
  const redraws = run.stdout.split('\r\x1b[2K').slice(1);
  assert.ok(redraws.some((r) => /^\[\d\/7\] /.test(r)), `a redrawn step line in ${JSON.stringify(run.stdout)}`);
  // A finished step replaces the progress line when one is shown (fast steps may finish between
  // two polls, with none shown), and ends with a newline; the last step is always reported.
  assert.match(run.stdout, /(^|\n|\r\x1b\[2K)done \[7\/7\] retention in \S+\r\n/m);
  for (const m of run.stdout.matchAll(/done \[\d\/7\]/g)) {
    const before = run.stdout.slice(Math.max(0, m.index - 5), m.index);
    assert.ok(before.endsWith('\n') || before.endsWith('\r\x1b[2K'), `"${m[0]}" starts a line or replaces the progress line: ${JSON.stringify(before)}`);
  }
  assert.match(run.stdout, /verified and recorded as good/);
  assert.ok(redraws.every((r) => !/^\[/.test(r) || !r.split('\r')[0]!.includes('\n')), 'progress lines are never followed by a newline of their own');
});
