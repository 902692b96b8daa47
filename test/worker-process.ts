// Workers in processes of their own, so that a test can SIGKILL one mid-step as the OOM killer or
// a power cut would, and the client can watch which activity a run is executing.
import { after } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { Services } from './harness.js';
import type { TestSetup } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** PATH when the test file loaded: tests that put stand-in tools first restore it, workers never see theirs. */
const originalPath = process.env.PATH;

/** Returns a starter of workers for `setup`'s config; every worker still running is SIGKILLed after the file's tests. */
export function useWorkerProcesses(services: Services): (setup: TestSetup, name: string, binDir?: string) => Promise<() => ResultPromise> {
  const spawned: ResultPromise[] = [];
  after(() => {
    for (const p of spawned) p.kill('SIGKILL');
  });
  return async (setup, name, binDir) => {
    const configFile = join(services.dir, `${name}.json`);
    await writeFile(configFile, JSON.stringify(setup.config));
    return () => {
      const p = execa('node', ['--import', join(root, 'node_modules/tsx/dist/esm/index.mjs'), join(root, 'client/cli.ts'), 'worker', '--config', configFile], {
        env: { PATH: binDir ? `${binDir}:${originalPath}` : originalPath },
        reject: false,
        stdio: 'ignore',
      });
      spawned.push(p);
      return p;
    };
  };
}

/** Waits until the run's `activity` is executing (and has heartbeated when asked). */
export async function whileRunning(services: Services, workflowId: string, activity: string, heartbeated = false): Promise<void> {
  const handle = services.client.workflow.getHandle(workflowId);
  for (let i = 0; i < 600; i += 1) {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    // PENDING_ACTIVITY_STATE_STARTED is 2 in the raw protobuf enum.
    if (pending.some((a) => a.activityType?.name === activity && Number(a.state) === 2 && (!heartbeated || a.heartbeatDetails))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${activity} never started in ${workflowId}`);
}
