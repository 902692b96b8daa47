// A fresh recovery target for DR and full restore tests: a stopped PostgreSQL cluster holding
// the app's role and an empty database (as docker compose would create them), directories for
// the app and its storage, and the stand-in app's start and stop commands.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { freePort } from '../client/local/ports.js';
import { pgCtlArgv, startPostgresCluster } from '../client/local/postgres-cluster.js';
import type { DrInput } from '../core/dr-input.js';
import type { PromptBoxFixture } from '../fixtures/promptbox.js';
import type { Services } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules/tsx/dist/esm/index.mjs');
const app = join(root, 'fixtures/standin-app.ts');

export interface Sandbox {
  input: DrInput;
  port: number;
  appUrl: string;
  stop: () => Promise<void>;
}

/** An empty target: a stopped cluster with the app's role and database, as compose would create. */
export async function makeSandbox(s: Services, fixture: PromptBoxFixture, parent: string, name: string): Promise<Sandbox> {
  const dir = join(parent, `sandbox-${name}`);
  const port = await freePort();
  const appPort = await freePort();
  const cluster = await startPostgresCluster({ dir: join(dir, 'pg'), port, superPassword: 'sandbox-super' });
  await execa('psql', ['-X', '-q', '-d', 'postgres', '-c', `create role promptbox login password '${fixture.database.password}'`], { env: cluster.env });
  await execa('psql', ['-X', '-q', '-d', 'postgres', '-c', 'create database promptbox owner promptbox'], { env: cluster.env });
  await cluster.stop();
  const appDir = join(dir, 'app');
  const storageRoot = join(appDir, 'storage');
  const pidfile = join(dir, 'app.pid');
  await writeFile(join(dir, 'db.pw'), fixture.database.password, { mode: 0o600 });
  await writeFile(join(dir, 'admin.pw'), fixture.secrets.adminPassword, { mode: 0o600 });
  const appCmd = ['node', '--import', tsx, app];
  const stopCommands = [[...appCmd, '--stop', '--pidfile', pidfile], pgCtlArgv({ dir: join(dir, 'pg'), port }, 'stop')];
  const appUrl = `http://127.0.0.1:${appPort}`;
  const input: DrInput = {
    target: {
      appDir,
      storageRoot,
      database: { transport: 'direct', host: '127.0.0.1', port, user: 'promptbox', database: 'promptbox', password: { file: join(dir, 'db.pw') } },
      startDatabase: pgCtlArgv({ dir: join(dir, 'pg'), port }, 'start').filter((a) => a !== '-w'),
      startApp: [...appCmd, '--detach', '--pidfile', pidfile, '--log', join(dir, 'app.log'), '--port', String(appPort), '--app-dir', appDir, '--storage', storageRoot, '--db-port', String(port), '--scan-ms', '300'],
      stop: stopCommands,
      appUrl,
      admin: { username: 'admin', password: { file: join(dir, 'admin.pw') } },
    },
    budgets: { prepare: '1m', startDatabase: '1m', restoreDatabase: '1m', restoreImages: '1m', startApp: '1m', verify: '1m', rto: '10m' },
    importWait: '30s',
  };
  const stop = async () => {
    for (const [cmd, ...args] of stopCommands) await execa(cmd as string, args, { reject: false });
  };
  return { input, port, appUrl, stop };
}

