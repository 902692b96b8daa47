// The integration harness: a real Temporal dev server (pinned CLI, SQLite file, free port, our
// search attributes) and a throwaway PostgreSQL cluster (initdb + pg_ctl on a loopback port),
// both started before a test file's tests and always torn down after. One per test file, on purpose:
// they start in 2 to 5 s (the production shape in 5 to 12 s) against a file's 10 s to 4 min of tests,
// and a server of its own leaves a file free to restart it and to use fixed workflow ids, schedules
// and the `default` namespace.
import { after, before } from 'node:test';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../local/temporal-dev-server.js';
import { startProductionServer, type ProductionServer } from '../local/temporal-production-server.js';
import { startPostgresCluster, type PostgresCluster } from '../local/postgres-cluster.js';
import { freePort } from '../local/ports.js';
import type { Logger } from 'pino';
import { SecretStore } from '../activities/secrets.js';
import { createLogger } from '../worker/logger.js';
import { installSdkRuntime } from '../worker/sdk-runtime.js';
import { bundleWorkflows } from '../worker/workflow-bundle.js';

/** Which Temporal a file runs on: the CLI's dev server, or the production shape (temporal-production-server.ts). */
export type TemporalShape = 'dev' | 'production';

export interface Services {
  /** Known when useServices returns, so a test can be skipped where it cannot apply. */
  shape: TemporalShape;
  dir: string;
  temporal: DevServer;
  postgres: PostgresCluster;
  client: Client;
  nativeConnection: NativeConnection;
  bundle: WorkflowBundleWithSourceMap;
  /** One scrubbing store and one JSON log (SDK and activities) for all workers of the file. */
  secrets: SecretStore;
  logger: Logger;
  logFile: string;
  /** Stops the Temporal server and starts it again on the same port and database file. */
  restartTemporal: (downMs: number) => Promise<void>;
  /** Runs `cleanup` at teardown, before the servers stop (e.g. an app started by a test). */
  defer: (cleanup: () => Promise<unknown>) => void;
}

/**
 * Registers before/after hooks on the current file and returns a handle filled in by `before`.
 * `production`: Temporal in its production shape (temporal-production-server.ts) instead of the dev
 * server; PROMPTBOX_TEST_TEMPORAL=production chooses it for every file that does not need the Web UI.
 * `webUi`: the dev server also serves its Web UI (at `temporal.uiUrl`), for browser tests. Such a
 * file always runs on the dev server: the production shape's UI is a service of its own, not started here.
 */
export function useServices(opts: { webUi?: boolean; production?: boolean } = {}): Services {
  if (opts.webUi && opts.production) throw new Error('useServices: the Web UI is served by the dev server only');
  const production = !opts.webUi && (opts.production ?? process.env.PROMPTBOX_TEST_TEMPORAL === 'production');
  const services = { shape: production ? 'production' : 'dev' } as Services;
  const cleanups: Array<() => Promise<unknown>> = [];
  before(async () => {
    services.dir = await mkdtemp(join(tmpdir(), 'pbb-test-'));
    await chmod(services.dir, 0o711); // the cluster runs as `postgres` when we are root: it must reach its directory
    cleanups.push(() => rm(services.dir, { recursive: true, force: true }));
    services.secrets = new SecretStore();
    services.logFile = join(services.dir, 'worker.log');
    services.logger = createLogger({ level: 'debug', file: services.logFile, secrets: services.secrets });
    installSdkRuntime(services.logger);
    let productionServer: ProductionServer | undefined;
    const [temporal, postgres, bundle] = await Promise.all([
      production
        ? startProductionServer({ dir: join(services.dir, 'temporal'), logFile: join(services.dir, 'temporal.log') }).then((s) => (productionServer = s))
        : Promise.all([freePort(), opts.webUi ? freePort() : undefined]).then(([port, uiPort]) =>
            startDevServer({ dbFile: join(services.dir, 'temporal.sqlite'), port, ...(uiPort ? { uiPort } : {}), logFile: join(services.dir, 'temporal.log') }),
          ),
      freePort().then((port) => startPostgresCluster({ dir: join(services.dir, 'pg'), port, superPassword: 'test-superuser-pw' })),
      bundleWorkflows(quietBundlerLogger),
    ]);
    let server: DevServer = temporal;
    cleanups.push(() => server.stop(), () => postgres.stop());
    Object.assign(services, { temporal, postgres, bundle });
    services.defer = (cleanup) => void cleanups.push(cleanup);
    services.restartTemporal = async (downMs: number) => {
      if (productionServer) return productionServer.restart(downMs);
      await server.stop();
      await new Promise((r) => setTimeout(r, downMs));
      const port = Number(server.address.split(':')[1]);
      const uiPort = server.uiUrl ? Number(new URL(server.uiUrl).port) : undefined;
      server = await startDevServer({ dbFile: join(services.dir, 'temporal.sqlite'), port, ...(uiPort ? { uiPort } : {}), logFile: join(services.dir, 'temporal.log') });
      services.temporal = server;
    };
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    services.client = new Client({ connection });
    services.nativeConnection = await NativeConnection.connect({ address: temporal.address });
    cleanups.push(() => services.nativeConnection.close());
  }, { timeout: 180_000 });
  const teardown = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err) => console.error('teardown:', err));
  };
  after(teardown, { timeout: 60_000 });
  // A run killed by a timeout still stops its servers: a stray PostgreSQL would outlive it.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void teardown().finally(() => process.exit(128 + (signal === 'SIGTERM' ? 15 : 2))));
  }
  return services;
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
