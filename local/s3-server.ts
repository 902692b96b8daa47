// A throwaway S3 server on a loopback port, for the tests and benchmarks of the bucket source:
// versitygw (Apache-2.0, built by scripts/setup.sh into .tools/bin) serving a directory. Prompt
// Box's deployment runs MinIO (AGPL), which is not used here: the S3 API is the contract.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { freePort, waitFor } from './ports.js';

export interface S3Server {
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** Served as buckets: `<dataDir>/<bucket>/<key>`. */
  dataDir: string;
  createBucket(name: string): Promise<void>;
  /** rclone's environment for this server as remote `name` (tests look into the bucket with it). */
  rcloneEnv(name: string): Record<string, string>;
  /** Kills the server, breaking the requests in flight; `start` brings it back on the same port and data (an outage). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Suspends the server (SIGSTOP): connections are accepted and never answered, as by a hung host. */
  freeze(): void;
  thaw(): void;
}

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

export function versitygwBinary(): string {
  const bin = join(projectRoot, '.tools/bin/versitygw');
  if (!existsSync(bin)) throw new Error(`versitygw is missing at ${bin}: run \`bash scripts/setup.sh test\` (it builds it with go install)`);
  return bin;
}

/** Starts versitygw on a free loopback port serving `dir`, with fresh root keys, and waits until it answers. */
export async function startS3Server(dir: string): Promise<S3Server> {
  const bin = versitygwBinary();
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const accessKey = `AK${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretKey = `sk-${randomBytes(20).toString('hex')}`;
  const endpoint = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const rcloneEnv = (name: string): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'AWS_CA_BUNDLE') env[k] = v;
    const p = `RCLONE_CONFIG_${name.toUpperCase()}_`;
    return { ...env, [`${p}TYPE`]: 's3', [`${p}PROVIDER`]: 'Other', [`${p}ENDPOINT`]: endpoint, [`${p}ACCESS_KEY_ID`]: accessKey, [`${p}SECRET_ACCESS_KEY`]: secretKey };
  };
  const rclone = (args: string[]) => execa('rclone', ['--config=/dev/null', ...args], { env: rcloneEnv('admin'), extendEnv: false });

  const start = async () => {
    const log = openSync(join(dir, 'versitygw.log'), 'a');
    // The keys are on its command line: a test server's, on a test machine, never a user's.
    const started = spawn(bin, ['--port', `127.0.0.1:${port}`, '--access', accessKey, '--secret', secretKey, 'posix', dataDir], { stdio: ['ignore', log, log] });
    child = started;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    closeSync(log);
    await waitFor(`versitygw at ${endpoint} (log: ${join(dir, 'versitygw.log')})`, 30_000, async () => {
      if (started.exitCode !== null) throw new Error(`versitygw exited with ${started.exitCode}`);
      await fetch(endpoint); // any HTTP answer (403 without a signature) means it serves
      return true;
    });
  };
  // SIGKILL, as an outage: on SIGTERM versitygw serves the requests in flight for up to 10 s more, so
  // a copy under way would complete rather than break. What it stored is on disk already.
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    endpoint,
    port,
    accessKey,
    secretKey,
    dataDir,
    createBucket: async (name) => void (await rclone(['mkdir', `admin:${name}`])),
    rcloneEnv,
    stop,
    start,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
  };
}
