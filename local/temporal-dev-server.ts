// Starts the pinned Temporal CLI's dev server ourselves (SQLite file, chosen ports, our search
// attributes) and waits until it answers: the SDK would give a spawned server only 5 s, too
// little on a 2-core machine.
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { searchAttributeFlags } from '../core/search-attributes.js';
import { deployedDynamicConfig, type DynamicConfigValues } from './temporal-dynamic-config.js';
import { waitFor } from './ports.js';

export const PINNED_TEMPORAL_CLI = fileURLToPath(new URL('../.tools/bin/temporal', import.meta.url));

export function temporalCli(): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  if (existsSync(PINNED_TEMPORAL_CLI)) return PINNED_TEMPORAL_CLI;
  throw new Error(`Temporal CLI not found at ${PINNED_TEMPORAL_CLI}: run scripts/setup.sh`);
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ResultPromise;
  stop(): Promise<void>;
}

/**
 * The history database holds every workflow's inputs and results: owner-only, like the repository.
 * The server creates its schema only in a file that does not exist yet, so a new one is narrowed
 * once the server answers (before any workflow can have written to it); SQLite then gives the -wal
 * and -shm files it creates the database's mode. Files left by an earlier run are narrowed first.
 */
async function makeHistoryPrivate(dbFile: string): Promise<void> {
  for (const file of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`]) {
    await chmod(file, 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/**
 * `dynamicConfig`: the server's settings other than Temporal's defaults, by key; by default the
 * deployment's (local/temporal-dynamic-config.ts), `{}` for none (the benchmark's probe of the
 * server's own limits).
 */
export async function startDevServer(opts: { dbFile: string; port: number; uiPort?: number; logFile?: string; dynamicConfig?: DynamicConfigValues }): Promise<DevServer> {
  await makeHistoryPrivate(opts.dbFile);
  const settings = opts.dynamicConfig ?? (await deployedDynamicConfig());
  const args = [
    'server', 'start-dev',
    '--db-filename', opts.dbFile,
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--log-level', 'warn',
    // No newsfeed: the UI would fetch it from the internet on every page.
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    ...searchAttributeFlags(),
    ...Object.entries(settings).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
  const child = execa(temporalCli(), args, {
    stdin: 'ignore',
    stdout: opts.logFile ? { file: opts.logFile, append: true } : 'ignore',
    stderr: opts.logFile ? { file: opts.logFile, append: true } : 'ignore',
    reject: false,
    cleanup: true,
  });
  const address = `127.0.0.1:${opts.port}`;
  let exited = false;
  void child.then(() => (exited = true));
  await waitFor('Temporal dev server', 90_000, async () => {
    if (exited) throw new Error('Temporal dev server exited during start-up');
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  });
  await makeHistoryPrivate(opts.dbFile);
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await child;
      clearTimeout(timer);
    },
  };
}
