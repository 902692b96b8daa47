// What a test body needs so it reads as its story: a fixture Prompt Box, a config pointing at
// it, a worker on a queue named after the test, and SQL against the real database.
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { temporalCli } from '../local/temporal-dev-server.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import type { WorkflowHandle } from '@temporalio/client';
import { parseConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import { createPromptBox, type PromptBoxFixture } from '../fixtures/promptbox.js';
import { createRealPromptBox, type RealPromptBox } from '../fixtures/real-promptbox.js';
import { createBackupWorker } from '../worker/worker.js';
import type { fullBackup } from '../workflows/full-backup.js';
import type { BackupResult } from '../core/backup-result.js';
import type { Services } from './harness.js';
import { rootFailure } from '../core/alerts.js';
import { manifestSchema } from '../core/manifest.js';
import { backupIdFor, layout } from '../repository/layout.js';

export { rootFailure };

export function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

let fixtureCount = 0;

/** A fixture Prompt Box (the real app's data, built without it) in its own database (named promptbox, promptbox2, ... per file). */
export async function makeFixture(services: Services, images = 12): Promise<PromptBoxFixture> {
  fixtureCount += 1;
  const name = fixtureCount === 1 ? 'promptbox' : `promptbox${fixtureCount}`;
  return createPromptBox({
    dir: join(services.dir, `fixture-${fixtureCount}`),
    cluster: services.postgres,
    images,
    seed: fixtureCount,
    dbName: name,
    dbUser: name,
  });
}

export interface TestSetup {
  config: Config;
  passwordFile: string;
  passphraseFile?: string;
  passphrase?: string;
}

/** A config for `fixture` with its own repository and task queue, password and passphrase in files. */
export async function makeConfig(
  services: Services,
  fixture: PromptBoxFixture,
  name: string,
  opts: { encrypted?: boolean; overrides?: (c: ConfigInput) => void | Promise<void> } = {},
): Promise<TestSetup> {
  const dir = join(services.dir, slug(name));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const passwordFile = join(dir, 'db.password');
  await writeFile(passwordFile, `${fixture.database.password}\n`, { mode: 0o600 });
  let passphraseFile: string | undefined;
  let passphrase: string | undefined;
  if (opts.encrypted ?? true) {
    passphraseFile = join(dir, 'passphrase');
    passphrase = `pass-${randomBytes(12).toString('hex')}`;
    await writeFile(passphraseFile, `${passphrase}\n`, { mode: 0o600 });
  }
  const raw: ConfigInput = {
    source: {
      name: 'promptbox',
      database: {
        transport: 'direct',
        host: fixture.database.host,
        port: fixture.database.port,
        user: fixture.database.user,
        database: fixture.database.name,
        password: { file: passwordFile },
      },
      storage: { root: fixture.storageRoot },
      configFiles: [fixture.envFile, fixture.composeFile],
    },
    repository: { root: join(dir, 'repo') },
    encryption: passphraseFile ? { enabled: true, passphraseFile } : { enabled: false },
    temporal: { address: services.temporal.address, namespace: 'default', taskQueue: slug(name) },
    // Short budgets and retry intervals: failures surface in seconds, not minutes.
    steps: {
      dump: { timeout: '2m', retry: { maximumAttempts: 2, initialInterval: '500ms' } },
      images: { timeout: '2m', retry: { maximumAttempts: 2, initialInterval: '500ms' } },
      verify: { timeout: '2m', retry: { maximumAttempts: 2, initialInterval: '500ms' } },
    },
    logging: { level: 'debug' },
  };
  await opts.overrides?.(raw);
  const config = parseConfig(raw, `test config for "${name}"`, {});
  return { config, passwordFile, passphraseFile, passphrase };
}

let runCount = 0;

/** A fresh worker for this config, on the file's bundle, connection and log. */
export async function testWorker(services: Services, setup: TestSetup) {
  return createBackupWorker({
    config: setup.config,
    logger: services.logger,
    secrets: services.secrets,
    connection: services.nativeConnection,
    workflowBundle: services.bundle,
  });
}

/** Runs `workflowType` to completion on a fresh worker for this config. */
export async function runWorkflow<R>(
  services: Services,
  setup: TestSetup,
  workflowType: string,
  args: unknown[] = [],
  client = services.client,
): Promise<{ handle: WorkflowHandle; result?: R; error?: Error }> {
  const worker = await testWorker(services, setup);
  runCount += 1;
  const handle = await client.workflow.start(workflowType, {
    taskQueue: setup.config.temporal.taskQueue,
    workflowId: `${setup.config.temporal.taskQueue}-${runCount}`,
    args,
    // A workflow task that keeps failing (a bug) would retry forever: fail the test instead.
    workflowExecutionTimeout: '5 minutes',
  });
  try {
    return { handle, result: (await worker.runUntil(handle.result())) as R };
  } catch (error) {
    return { handle, error: error as Error };
  } finally {
    services.logger.flush();
  }
}

/** Runs one fullBackup on a fresh worker for this config; returns the handle and the outcome. */
export async function runBackup(
  services: Services,
  setup: TestSetup,
  workflowType: 'fullBackup' | 'databaseBackup' | 'imageBackup' | 'configSnapshot' = 'fullBackup',
): Promise<{ handle: WorkflowHandle<typeof fullBackup>; result?: BackupResult; error?: Error }> {
  return runWorkflow<BackupResult>(services, setup, workflowType, [{ reason: 'test' }]);
}

export async function sqlRows(services: Services, database: string, query: string): Promise<string[][]> {
  const { stdout } = await execa('psql', ['-X', '-A', '-t', '-F', '\t', '-d', database, '-c', query], { env: services.postgres.env });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}


/**
 * Our CLI as an operator runs it, on this test's config (written to a file). stdout and stderr
 * are pipes, or with `terminal` one pseudo-terminal (Python's pty module) carrying both.
 */
export async function runCli(services: Services, setup: TestSetup, args: string[], opts: { terminal?: boolean } = {}) {
  const configFile = join(services.dir, `${setup.config.temporal.taskQueue}.cli.json`);
  await writeFile(configFile, JSON.stringify(setup.config), { mode: 0o600 });
  const root = fileURLToPath(new URL('..', import.meta.url));
  const cli = ['node', '--import', join(root, 'node_modules/tsx/dist/esm/index.mjs'), join(root, 'client/cli.ts'), ...args, '--config', configFile];
  const argv = opts.terminal ? ['python3', '-c', 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)', ...cli] : cli;
  return execa(argv[0]!, argv.slice(1), { reject: false, timeout: 300_000 });
}

/** Fails with the root cause's type and message, which a bare "Workflow execution failed" hides. */
export function assertSucceeded(run: { result?: BackupResult; error?: Error }): BackupResult {
  if (run.error || !run.result) {
    const cause = rootFailure(run.error);
    throw new Error(`backup failed: ${cause.type ?? ''} ${cause.message}`);
  }
  return run.result;
}

/** A fetched workflow history as searchable text, with every payload's base64 `data` decoded. */
export function historyText(history: unknown): string {
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
    return value;
  });
}

/**
 * With RECORD_HISTORIES=1, saves a finished run's history to test/histories/<name>.json for
 * test/unit/replay.test.ts (refresh after a deliberate workflow change; use patched() otherwise).
 */
export async function recordHistory(services: Services, workflowId: string, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const shown = await execa(temporalCli(), ['workflow', 'show', '--address', services.temporal.address, '--workflow-id', workflowId, '--output', 'json']);
  await writeFile(new URL(`histories/${name}.json`, import.meta.url), shown.stdout);
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** How many times a run scheduled an activity type (retries of one schedule count once). */
/** How many times a step ran to completion or was scheduled: ordinary activities and local ones (markers). */
export function scheduledCount(events: HistoryEvent[], activityType: string): number {
  return events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType || localActivityType(e) === activityType).length;
}

/** The activity type a local-activity marker records (JSON in the marker's `data` payload). */
function localActivityType(e: HistoryEvent): string | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string; activityType?: string };
  return parsed.activity_type ?? parsed.activityType;
}

/** The attempt number that completed (or last started) an activity type: 2 or more means it ran again. */
export function finalAttempt(events: HistoryEvent[], activityType: string): number {
  const scheduledIds = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).map((e) => String(e.eventId)),
  );
  const started = events.filter((e) => e.activityTaskStartedEventAttributes && scheduledIds.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)));
  return Math.max(0, ...started.map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0));
}

let realAppCount = 0;

/**
 * The real Prompt Box on the file's PostgreSQL 16 cluster, with `images` PNGs imported by the app
 * itself and every fifth one deleted through its API; stopped at teardown.
 */
export async function makeRealPromptBox(services: Services, images = 8): Promise<RealPromptBox> {
  realAppCount += 1;
  const app = await createRealPromptBox({
    dir: join(services.dir, `real-app-${realAppCount}`),
    cluster: services.postgres,
    images,
    softDeleted: Math.floor(images / 5),
    seed: 100 + realAppCount,
    dbName: `realapp${realAppCount}`,
  });
  services.defer(app.stop);
  return app;
}

/** Repository invariant: every file 0600, every directory 0700, the mirror included; lists the exceptions. */
export async function repositoryModeViolations(root: string): Promise<string[]> {
  const wrongModes: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    const mode = (await stat(path)).mode & 0o777;
    if (mode !== (entry.isDirectory() ? 0o700 : 0o600)) wrongModes.push(`${path.slice(root.length)} ${mode.toString(8)}`);
  }
  return wrongModes;
}

/** A webhook receiver on a loopback port, closed with the file's services; the alerts it got, as posted. */
export async function webhookReceiver(services: Services): Promise<{ url: string; alerts: Array<Record<string, any>> }> {
  const alerts: Array<Record<string, any>> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as Record<string, any>);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  services.defer(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, alerts };
}

/**
 * A copy of the repository's only backup dated `daysAgo` days back, past every retention rule
 * when that is far enough (its dump copied under the new id; its config files carried, unchanged):
 * what retention removes next. Returns its id and its dump's path.
 */
export async function backupOfDaysAgo(root: string, daysAgo: number): Promise<{ backupId: string; dumpPath: string }> {
  const [only] = await readdir(join(root, layout.manifestsDir));
  const real = manifestSchema.parse(JSON.parse(await readFile(join(root, layout.manifestsDir, only!), 'utf8')));
  const backupId = backupIdFor(new Date(Date.now() - daysAgo * 86_400_000));
  const dumpPath = real.database!.artifact.path.replace(real.backupId, backupId);
  await copyFile(join(root, real.database!.artifact.path), join(root, dumpPath));
  await writeFile(
    join(root, layout.manifest(backupId)),
    JSON.stringify({ ...real, backupId, database: { ...real.database!, artifact: { ...real.database!.artifact, path: dumpPath } }, config: real.config.map((c) => ({ ...c, changed: false })) }),
  );
  return { backupId, dumpPath };
}
