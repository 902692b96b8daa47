// Starting our workflows the way operators do (same ids, options and search attributes as the
// CLI), and waiting for their results. Runs are one second apart at least: backup ids have
// one-second resolution and a second run in the same second is refused as a duplicate. That wait
// is not timed: a run timed right after another would count up to a second of it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { startFullBackup } from '../../client/start-backup.js';
import type { DrInput } from '../../core/dr-input.js';
import type { BackupResult } from '../../core/backup-result.js';
import type { DrReport } from '../../core/dr-report.js';
import type { Source } from './environment.js';

let lastStart = 0;

/** Resolves once a new run may start; the clocks (measure.ts) wait here before they start. */
export async function nextStartAllowed(): Promise<void> {
  const wait = lastStart + 1_100 - Date.now();
  if (wait > 0) await sleep(wait);
}

async function spaced(): Promise<void> {
  await nextStartAllowed();
  lastStart = Date.now();
}

export async function fullBackup(client: Client, source: Source): Promise<BackupResult> {
  await spaced();
  const handle = await startFullBackup(client, source.config, 'benchmark');
  const result = await handle.result();
  if (result.outcome !== 'succeeded') throw new Error(`benchmark backup of ${source.name} ended ${result.outcome}`);
  return result;
}

export async function imageBackup(client: Client, source: Source): Promise<BackupResult> {
  await spaced();
  return client.workflow.execute('imageBackup', {
    taskQueue: source.config.temporal.taskQueue,
    workflowId: `image-backup-${source.name}-${Date.now()}`,
    args: [{ reason: 'benchmark' }], // as the schedule starts it
  });
}

export async function integrityCheck(client: Client, source: Source): Promise<void> {
  const result = await client.workflow.execute('restoreTest', {
    taskQueue: source.config.temporal.taskQueue,
    workflowId: `restore-test-integrity-${source.name}-${Date.now()}`,
    args: [{ kind: 'integrity' }],
  });
  if (!(result as { passed: boolean }).passed) throw new Error(`integrity check of ${source.name} failed: ${JSON.stringify(result)}`);
}

export async function drRecovery(client: Client, source: Source, input: DrInput): Promise<DrReport> {
  return client.workflow.execute('drRecovery', {
    taskQueue: source.config.temporal.taskQueue,
    workflowId: `dr-${source.name}-${Date.now()}`,
    args: [input],
  });
}
