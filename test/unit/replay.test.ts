// Covers: workflows/ determinism. Every recorded history (test/histories, refreshed with
// RECORD_HISTORIES=1 on the integration tests) must replay on the current workflow code; a
// change that alters the order of steps must be caught, not shipped (use patched() instead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../worker/workflow-bundle.js';

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const bundle = bundleWorkflows(quiet);

async function recorded(): Promise<any> {
  return JSON.parse(await readFile(new URL('../histories/full-backup.json', import.meta.url), 'utf8'));
}

const recordings = readdirSync(new URL('../histories/', import.meta.url)).filter((n) => n.endsWith('.json'));

for (const name of recordings) {
  test(`the recorded ${name.replace('.json', '')} history replays on the current workflow code`, { timeout: 120_000 }, async () => {
    const history = JSON.parse(await readFile(new URL(`../histories/${name}`, import.meta.url), 'utf8'));
    // The id matters: child workflow ids are derived from it.
    const workflowId = history.events[0].workflowExecutionStartedEventAttributes.workflowId;
    await Worker.runReplayHistory({ workflowBundle: await bundle }, history, workflowId);
  });
}

test('a history whose steps ran in another order is reported as nondeterministic', { timeout: 120_000 }, async () => {
  const history = await recorded();
  const scheduled = history.events.filter((e: any) => e.activityTaskScheduledEventAttributes);
  const dump = scheduled.find((e: any) => e.activityTaskScheduledEventAttributes.activityType.name === 'dumpDatabase');
  assert.ok(dump, 'the recording has a dump step');
  dump.activityTaskScheduledEventAttributes.activityType.name = 'syncImages';
  await assert.rejects(
    Worker.runReplayHistory({ workflowBundle: await bundle }, history, history.events[0].workflowExecutionStartedEventAttributes.workflowId),
    (err: Error) => /nondetermin/i.test(`${err.name} ${err.message}`),
  );
});
