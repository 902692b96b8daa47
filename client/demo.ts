// The main job with no config: a local Temporal dev server (SQLite under the data directory,
// Web UI on) and a demo Prompt Box (its own PostgreSQL cluster and fixture files), both kept
// under the data directory so every run after the first is an incremental backup of the same
// instance. Returns the config the rest of the main job uses.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { parseConfig } from '../config/load.js';
import { createPromptBox } from '../fixtures/promptbox.js';
import { freePort, isPortFree } from '../local/ports.js';
import { startPostgresCluster } from '../local/postgres-cluster.js';
import { startDevServer } from '../local/temporal-dev-server.js';

export interface DemoEnvironment {
  home: string;
  config: Config;
  configFile: string;
  uiUrl?: string;
  /** Settles, with what happened, if the dev server exits before `stop`: nothing then keeps the process alive. */
  temporalExited: Promise<string>;
  stop: () => Promise<void>;
}

/** Where the demo keeps its state. As root, PostgreSQL runs as `postgres` and cannot enter /root. */
export function demoHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROMPTBOX_BACKUP_HOME) return env.PROMPTBOX_BACKUP_HOME;
  if (process.getuid?.() === 0) return '/var/lib/promptbox-backup';
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'promptbox-backup');
}

async function secretFile(path: string): Promise<string> {
  if (!existsSync(path)) await writeFile(path, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return path;
}

async function pickPort(preferred: number): Promise<number> {
  return (await isPortFree(preferred)) ? preferred : freePort();
}

export async function startDemo(log: (line: string) => void): Promise<DemoEnvironment> {
  const home = demoHome();
  await mkdir(join(home, 'secrets'), { recursive: true, mode: 0o700 });
  await chmod(home, 0o711); // the PostgreSQL cluster (as `postgres` when we are root) must reach its directory
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const [port, uiPort, pgPort] = [await pickPort(7233), await pickPort(8233), await freePort()];
    log(`starting Temporal dev server on 127.0.0.1:${port} (Web UI http://127.0.0.1:${uiPort}, data ${join(home, 'temporal.sqlite')})`);
    const temporal = await startDevServer({ dbFile: join(home, 'temporal.sqlite'), port, uiPort, logFile: join(home, 'temporal.log') });
    stops.push(() => temporal.stop());

    const pgDir = join(home, 'demo-postgres');
    await mkdir(pgDir, { recursive: true });
    const superPasswordFile = await secretFile(join(home, 'secrets', 'postgres-superuser'));
    log(`starting the demo Prompt Box database on 127.0.0.1:${pgPort}`);
    const cluster = await startPostgresCluster({ dir: pgDir, port: pgPort, superPassword: (await readFile(superPasswordFile, 'utf8')).trim() });
    stops.push(() => cluster.stop());

    const fixtureInfo = join(home, 'demo-promptbox.json');
    let fixture: { storageRoot: string; envFile: string; composeFile: string; dbName: string; dbUser: string };
    if (existsSync(fixtureInfo)) {
      fixture = JSON.parse(await readFile(fixtureInfo, 'utf8'));
    } else {
      log("creating the demo Prompt Box's data (the real app's schema, 40 images with A1111/ComfyUI/NovelAI metadata and their thumbnails, .env, docker-compose.yml)");
      const created = await createPromptBox({ dir: home, cluster, images: 40 });
      await writeFile(join(home, 'secrets', 'promptbox-db'), `${created.database.password}\n`, { mode: 0o600 });
      fixture = { storageRoot: created.storageRoot, envFile: created.envFile, composeFile: created.composeFile, dbName: created.database.name, dbUser: created.database.user };
      await writeFile(fixtureInfo, `${JSON.stringify(fixture, null, 2)}\n`);
    }

    const raw = {
      source: {
        name: 'promptbox',
        database: {
          transport: 'direct',
          host: cluster.host,
          port: cluster.port,
          user: fixture.dbUser,
          database: fixture.dbName,
          password: { file: join(home, 'secrets', 'promptbox-db') },
        },
        storage: { root: fixture.storageRoot },
        configFiles: [fixture.envFile, fixture.composeFile],
      },
      repository: { root: join(home, 'backups') },
      encryption: { enabled: true, passphraseFile: await secretFile(join(home, 'secrets', 'gpg-passphrase')) },
      temporal: { address: temporal.address, namespace: 'default', taskQueue: 'promptbox-backup', webUi: temporal.uiUrl },
      logging: { level: 'info', file: join(home, 'worker.log') },
    };
    const configFile = join(home, 'demo-config.json');
    await writeFile(configFile, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
    const temporalExited = temporal.process.then(
      (r) => `the Temporal dev server ${r.signal ? `was killed by ${r.signal}` : `exited with ${r.exitCode}`} (its log: ${join(home, 'temporal.log')})`,
    );
    return { home, config: parseConfig(raw, configFile, {}), configFile, uiUrl: temporal.uiUrl, temporalExited, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
