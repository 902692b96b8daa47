// The workflow bundle, built in a short-lived child process. Bundling runs webpack, which leaves
// the process about 200 MB bigger for good (V8 keeps the heap it grew); a long-running worker
// should not carry that, so it only loads the finished file.
//
//   node --import tsx worker/workflow-bundle.ts OUT_FILE    (what the worker runs)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type Logger, type WorkflowBundle, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { execa } from 'execa';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The workflows as one bundle, whatever they import with `import()`: webpack would put such a
 * module in a chunk of its own, loaded from a file the sandbox does not have; kept in the bundle,
 * it is still evaluated only when first imported. Every run has its own copy of the bundle's
 * modules (the SDK's reused V8 context keeps runs apart that way), so what a module does when it
 * loads, each new run does again: zod took about 10 ms of every run's start on 2 cores, though only
 * the recovery runbook validates with it (workflows/dr-runbook.ts imports it when it starts).
 * The worker, the tests and the replay check all bundle through here.
 */
export function bundleWorkflows(logger: Logger): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger,
    webpackConfigHook: (config) => ({ ...config, output: { ...config.output, asyncChunks: false } }),
  });
}

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
  const { code } = await bundleWorkflows(new DefaultLogger('WARN'));
  await writeFile(out, code);
}
