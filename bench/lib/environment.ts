// The benchmark's world: one PostgreSQL cluster and one Temporal dev server, Prompt Box sources
// generated into them, a config per source, and worker processes of our own CLI (separate
// processes, so their memory is theirs alone and measured like a deployed worker's).
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { parseConfig } from '../../config/load.js';
import type { Config, ConfigInput } from '../../config/schema.js';
import { freePort } from '../../local/ports.js';
import { startPostgresCluster, type PostgresCluster } from '../../local/postgres-cluster.js';
import { startDevServer, type DevServer } from '../../local/temporal-dev-server.js';
import { createPromptBox, renderedImageBytes, type PromptBoxFixture } from '../../fixtures/promptbox.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BenchServices {
  dir: string;
  cluster: PostgresCluster;
  temporal: DevServer;
  client: Client;
  stop(): Promise<void>;
}

export async function startServices(dir: string): Promise<BenchServices> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o711); // PostgreSQL runs as `postgres` when we are root
  const cluster = await startPostgresCluster({ dir: join(dir, 'pg'), port: await freePort(), superPassword: randomBytes(12).toString('hex') });
  const temporal = await startDevServer({ dbFile: join(dir, 'temporal.sqlite'), port: await freePort(), logFile: join(dir, 'temporal.log') });
  const connection = await Connection.connect({ address: temporal.address });
  return {
    dir,
    cluster,
    temporal,
    client: new Client({ connection }),
    async stop() {
      await connection.close();
      await temporal.stop();
      await cluster.stop();
    },
  };
}

export interface Source {
  name: string;
  fixture: PromptBoxFixture;
  config: Config;
  configFile: string;
  passphraseFile: string;
  /** Bytes of originals (their thumbnails, backed up too, come on top). */
  originalBytes(): number;
}

export interface SourceSize {
  images: number;
  /** Total size of the originals to aim for; the image side is chosen to reach it. */
  bytes: number;
  /** Rows the database should hold at least (padded with image_events rows). */
  rows: number;
  thumbnails: boolean;
}

/** The side of a noisy square PNG that makes `images` originals add up to about `bytes`. */
async function imageSideFor(size: SourceSize): Promise<number> {
  const target = size.bytes / size.images;
  let side = 64;
  for (let i = 0; i < 4; i += 1) side = Math.max(8, Math.round(side * Math.sqrt(target / (await renderedImageBytes(side)))));
  return side;
}

export async function makeSource(s: BenchServices, name: string, size: SourceSize): Promise<Source> {
  const dir = join(s.dir, name);
  await mkdir(dir, { recursive: true, mode: 0o711 });
  const fixture = await createPromptBox({
    dir,
    cluster: s.cluster,
    images: size.images,
    imageSize: await imageSideFor(size),
    thumbnails: size.thumbnails,
    dbName: name,
    dbUser: name,
    extraEventRows: Math.max(0, size.rows - 2 * size.images),
  });
  return configureSource(s, name, fixture, { root: fixture.storageRoot });
}

/**
 * A source named `name` for a fixture that already exists, its images read from `storage` (the
 * fixture's directory, or a bucket holding the same files): the database's password, a
 * passphrase, a repository and a config under `<s.dir>/<name>`.
 */
export async function configureSource(s: BenchServices, name: string, fixture: PromptBoxFixture, storage: ConfigInput['source']['storage']): Promise<Source> {
  const dir = join(s.dir, name);
  await mkdir(dir, { recursive: true, mode: 0o711 });
  const passwordFile = join(dir, 'db.password');
  const passphraseFile = join(dir, 'passphrase');
  await writeFile(passwordFile, fixture.database.password, { mode: 0o600 });
  await writeFile(passphraseFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const raw = {
    source: {
      name,
      database: { transport: 'direct', host: fixture.database.host, port: fixture.database.port, user: fixture.database.user, database: fixture.database.name, password: { file: passwordFile } },
      storage,
      configFiles: [fixture.envFile, fixture.composeFile],
    },
    repository: { root: join(dir, 'repo') },
    encryption: { enabled: true, passphraseFile },
    temporal: { address: s.temporal.address, namespace: 'default', taskQueue: `bench-${name}` },
    logging: { level: 'warn', file: join(dir, 'worker.log') },
  };
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(raw, null, 2), { mode: 0o600 });
  const source: Source = {
    name,
    fixture,
    config: parseConfig(raw, configFile),
    configFile,
    passphraseFile,
    originalBytes: () => source.fixture.images.reduce((n, img) => n + img.bytes, 0),
  };
  return source;
}

export interface WorkerProcess {
  pid: number;
  stop(): Promise<void>;
}

/** `promptbox-backup worker --config FILE`, as deployed; resolves once it polls its task queue. */
export async function startWorkerProcess(source: Pick<Source, 'name' | 'configFile'>): Promise<WorkerProcess> {
  const child: ResultPromise = execa(join(ROOT, 'promptbox-backup'), ['worker', '--config', source.configFile], {
    cwd: ROOT,
    stdin: 'ignore',
    stdout: 'ignore',
    buffer: false,
    reject: false,
  });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('worker running')) resolve();
    });
    void child.then((r) => reject(new Error(`worker for ${source.name} exited (${r.exitCode}): ${seen.slice(-2000)}`)));
  });
  child.stderr!.resume();
  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}
