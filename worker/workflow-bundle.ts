// The workflow bundle, built in a short-lived child process. Bundling runs webpack, which leaves
// the process about 200 MB bigger for good (V8 keeps the heap it grew); a long-running worker
// should not carry that, so it only loads the finished file.
//
//   node --import tsx worker/workflow-bundle.ts OUT_FILE    (what the worker runs)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import { execa } from 'execa';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Bundles workflows/ in a child process and returns the bundle's code. */
export async function bundleWorkflowsInChild(): Promise<WorkflowBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'promptbox-backup-bundle-'));
  try {
    const out = join(dir, 'workflows.js');
    const result = await execa('node', ['--import', 'tsx', fileURLToPath(import.meta.url), out], { cwd: ROOT, reject: false, stdin: 'ignore' });
    if (result.exitCode !== 0) throw new Error(`bundling the workflows failed: ${`${result.stderr}`.slice(-4000)}`);
    return { code: await readFile(out, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: workflow-bundle.ts OUT_FILE');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  await writeFile(out, code);
}
