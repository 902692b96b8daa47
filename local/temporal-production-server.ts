// Temporal in its production shape, without Docker: the server docker-compose.temporal.yml runs
// (temporal-server of the same version, built by scripts/build-temporal-server.sh) with its
// frontend, history, matching and worker services, persisting to its own PostgreSQL 16 cluster
// that the same schema steps as the compose file's set up, and the namespace and our search
// attributes created with `temporal operator` as the compose file's one-shot job does. The same
// public shape as the dev server's helper, so a test can run on either.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';
import { isPortFree, waitFor } from './ports.js';
import { temporalCli, type DevServer } from './temporal-dev-server.js';
import { DEPLOYED_DYNAMIC_CONFIG } from './temporal-dynamic-config.js';
import { HISTORY_SHARDS, namespaceSteps, schemaSteps, TEMPORAL_SQL_PLUGIN } from './temporal-setup-steps.js';
import { BACKUP_KIND } from '../core/search-attributes.js';

const tools = fileURLToPath(new URL('../.tools/', import.meta.url));

export interface ProductionServer extends DevServer {
  /** Temporal's own PostgreSQL (persistence and visibility), apart from any the tests protect. */
  postgres: PostgresCluster;
  namespace: string;
  /** Stops the server, waits `downMs`, and starts it again on the same ports and databases. */
  restart(downMs: number): Promise<void>;
}

function tool(name: string): string {
  const path = join(tools, 'bin', name);
  if (!existsSync(path)) throw new Error(`${name} not found at ${path}: run \`bash scripts/setup.sh test\` (scripts/build-temporal-server.sh builds it)`);
  return path;
}

interface Ports {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/**
 * Free ports below the kernel's ephemeral range (32768 and up), for every service of the server:
 * PostgreSQL persistence records each membership port in a SMALLINT column, so a port from
 * freePort() would stop the server at start; and a port from that range can be taken, between
 * being chosen and the server binding it seconds later (the schema set-up in between), by any
 * outgoing connection's source port, or during a restart's downtime (the likely cause of a server
 * that exited at start in a CI run's production-shape pass, chosen ports in that range; its log
 * was lost). The server's PostgreSQL likewise.
 */
async function portsBelowEphemeralRange(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(port) && (await isPortFree(port))) ports.add(port);
  }
  return [...ports];
}

/** The server's ports, and its PostgreSQL's, all below the ephemeral range. */
async function freePorts(): Promise<{ server: Ports; postgres: number }> {
  const [frontend, frontendHttp, history, matching, worker, frontendMembership, historyMembership, matchingMembership, workerMembership, postgres] =
    (await portsBelowEphemeralRange(10)) as [number, number, number, number, number, number, number, number, number, number];
  return { server: { frontend, frontendHttp, history, matching, worker, frontendMembership, historyMembership, matchingMembership, workerMembership }, postgres };
}

/**
 * The server's config: what the temporalio/server image renders from its template for DB=postgres12,
 * on loopback ports. JSON, which YAML readers take as it is.
 */
function serverConfig(ports: Ports, postgres: PostgresCluster, dynamicConfigFile: string): unknown {
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: TEMPORAL_SQL_PLUGIN,
      databaseName,
      connectAddr: `${postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.superuser,
      password: postgres.superPassword,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, httpPort?: number) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1', ...(httpPort ? { httpPort } : {}) },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      numHistoryShards: HISTORY_SHARDS,
      defaultStore: 'default',
      visibilityStore: 'visibility',
      datastores: { default: datastore('temporal', 20), visibility: datastore('temporal_visibility', 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' }, pprof: { port: 0 } },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership, ports.frontendHttp),
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}`, httpAddress: `127.0.0.1:${ports.frontendHttp}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Creates both databases and migrates them to this server version, as the compose file's schema job does. */
async function setUpSchema(postgres: PostgresCluster, logFile: string): Promise<void> {
  const env = {
    SQL_PLUGIN: TEMPORAL_SQL_PLUGIN,
    SQL_HOST: postgres.host,
    SQL_PORT: String(postgres.port),
    SQL_USER: postgres.superuser,
    SQL_PASSWORD: postgres.superPassword,
  };
  for (const args of schemaSteps(join(tools, 'temporal-schema'))) {
    await execa(tool('temporal-sql-tool'), args, { env, stdin: 'ignore', stdout: { file: logFile, append: true }, stderr: { file: logFile, append: true } });
  }
}

interface ServerProcess {
  child: ResultPromise;
  /** Rejects naming the log once the process has ended: start-up waits race it. */
  died: Promise<never>;
  stop(): Promise<void>;
}

/** temporal-server with its four services, from `root`/config/production.yaml, its output appended to `logFile`. */
function spawnServer(root: string, logFile: string): ServerProcess {
  const services = ['frontend', 'history', 'matching', 'worker'].flatMap((s) => ['--service', s]);
  const child = execa(tool('temporal-server'), ['--root', root, '--config', 'config', '--env', 'production', '--allow-no-auth', 'start', ...services], {
    stdin: 'ignore',
    stdout: { file: logFile, append: true },
    stderr: { file: logFile, append: true },
    reject: false,
    cleanup: true,
  });
  const died = child.then(() => Promise.reject<never>(new Error(`temporal-server exited (log: ${logFile})`)));
  died.catch(() => undefined); // only start-up waits care
  return {
    child,
    died,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await child;
      clearTimeout(timer);
    },
  };
}

/** Creates the namespace and registers our search attributes, retrying while the services join up. */
async function setUpNamespace(address: string, namespace: string, logFile: string): Promise<void> {
  const cli = (args: string[]) => execa(temporalCli(), [...args, '--address', address], { reject: false, stdin: 'ignore', stdout: { file: logFile, append: true }, stderr: { file: logFile, append: true } });
  await waitFor(`temporal operator cluster health at ${address}`, 120_000, async () => (await cli(['operator', 'cluster', 'health'])).exitCode === 0);
  for (const args of namespaceSteps(namespace)) {
    await waitFor(`temporal ${args.join(' ')}`, 60_000, async () => (await cli(args)).exitCode === 0);
  }
}

/** Returns once the frontend serves `namespace` with our search attributes (a list filtered on one succeeds). */
async function untilServing(address: string, namespace: string): Promise<void> {
  await waitFor(`Temporal server at ${address}`, 120_000, async () => {
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      const client = new Client({ connection, namespace });
      for await (const _ of client.workflow.list({ query: `${BACKUP_KIND.name} = 'probe'`, pageSize: 1 })) break;
      return true;
    } finally {
      await connection.close();
    }
  });
}

/**
 * `dynamicConfigFile`: the dynamic config file (YAML) the server reads at start, by default the
 * deployment's; rewrite it before `restart` to change the settings (the benchmark's probe of the
 * server's own limits).
 */
export async function startProductionServer(opts: { dir: string; logFile?: string; namespace?: string; dynamicConfigFile?: string }): Promise<ProductionServer> {
  const namespace = opts.namespace ?? 'default';
  const logFile = opts.logFile ?? join(opts.dir, 'temporal.log');
  const configDir = join(opts.dir, 'config');
  // The cluster runs as `postgres` when we are root: it must pass through to its directory.
  await mkdir(opts.dir, { recursive: true, mode: 0o711 });
  await mkdir(configDir, { mode: 0o700 });
  const { server: ports, postgres: postgresPort } = await freePorts();
  const address = `127.0.0.1:${ports.frontend}`;
  const postgres = await startPostgresCluster({ dir: join(opts.dir, 'pg'), port: postgresPort, superPassword: randomBytes(16).toString('hex') });
  let server: ServerProcess | undefined;
  try {
    await setUpSchema(postgres, logFile);
    // Holds the database password: owner-only.
    await writeFile(join(configDir, 'production.yaml'), JSON.stringify(serverConfig(ports, postgres, opts.dynamicConfigFile ?? DEPLOYED_DYNAMIC_CONFIG), null, 2), { mode: 0o600 });
    server = spawnServer(opts.dir, logFile);
    await Promise.race([setUpNamespace(address, namespace, logFile).then(() => untilServing(address, namespace)), server.died]);
  } catch (err) {
    await server?.stop();
    await postgres.stop();
    throw err;
  }
  let running = server;
  return {
    address,
    postgres,
    namespace,
    get process() {
      return running.child;
    },
    async stop() {
      await running.stop();
      await postgres.stop();
    },
    async restart(downMs: number) {
      await running.stop();
      await new Promise((r) => setTimeout(r, downMs));
      running = spawnServer(opts.dir, logFile);
      await Promise.race([untilServing(address, namespace), running.died]);
    },
  };
}
