// The PostgreSQL client installations on this worker, in search order, each with the version its
// own pg_dump reports (a directory name or a Debian wrapper on PATH can say otherwise).
// Which one a server gets is decided in core/pg-client-choice.ts.
import { access, constants, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseConfig } from '../config/schema.js';
import { newestPgClient, parseClientVersion, type PgClientInstall } from '../core/pg-client-choice.js';
import type { CommandRunner } from './command.js';
import { fail } from './failure.js';

/** Every client tool the activities run: an installation must hold all of them. */
const TOOLS = ['pg_dump', 'pg_restore', 'psql'] as const;

// scripts/setup.sh installs the official binaries of the version Prompt Box runs here.
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const PROJECT_TOOLS = join(projectRoot, '.tools');
const DEBIAN_ROOT = '/usr/lib/postgresql';

export interface FoundPgClients {
  /** In search order; never empty. */
  clients: PgClientInstall[];
  /** Where we looked, for messages. */
  searched: string[];
}

async function holdsTools(dir: string): Promise<boolean> {
  const present = await Promise.all(TOOLS.map((tool) => access(join(dir, tool), constants.X_OK).then(() => true, () => false)));
  return present.every(Boolean);
}

/** `<parent>/<name>/bin` for each entry named like `pattern` (capturing its version), oldest first. */
async function versionedBinDirs(parent: string, pattern: RegExp): Promise<string[]> {
  const names = await readdir(parent).catch(() => []);
  return names
    .map((name) => ({ name, major: Number(pattern.exec(name)?.[1]) }))
    .filter((e) => Number.isInteger(e.major))
    .sort((a, b) => a.major - b.major)
    .map((e) => join(parent, e.name, 'bin'));
}

/** The first PATH entry holding the tools: what a bare `pg_dump` would run. */
async function pathBinDir(): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (await holdsTools(dir)) return dir;
  }
  return undefined;
}

async function readInstall(commands: CommandRunner, dir: string): Promise<PgClientInstall> {
  const pgDump = join(dir, 'pg_dump');
  const { stdout } = await commands.run(pgDump, ['--version']);
  const version = parseClientVersion(stdout);
  if (!version) throw fail('CommandFailed', `cannot read the version of ${pgDump} from: ${stdout}`);
  return { dir, version };
}

/**
 * `clientBinDir` (the config's) is the only place looked in when given; else the project's
 * .tools/postgresql-N/bin, Debian's /usr/lib/postgresql/N/bin, then PATH.
 */
export async function findPgClients(commands: CommandRunner, clientBinDir?: string): Promise<FoundPgClients> {
  if (clientBinDir) {
    if (!(await holdsTools(clientBinDir))) throw fail('ToolMissing', `clientBinDir ${clientBinDir} does not hold ${TOOLS.join(', ')}`);
    return { clients: [await readInstall(commands, clientBinDir)], searched: [clientBinDir] };
  }
  const searched = [join(PROJECT_TOOLS, 'postgresql-*', 'bin'), join(DEBIAN_ROOT, '*', 'bin'), 'PATH'];
  const candidates = [
    ...(await versionedBinDirs(PROJECT_TOOLS, /^postgresql-(\d+)$/)),
    ...(await versionedBinDirs(DEBIAN_ROOT, /^(\d+)$/)),
  ];
  const onPath = await pathBinDir();
  if (onPath) candidates.push(onPath);
  const dirs: string[] = [];
  for (const dir of candidates) if (await holdsTools(dir)) dirs.push(dir);
  if (!dirs.length) throw fail('ToolMissing', `no PostgreSQL client (${TOOLS.join(', ')}) found in ${searched.join(', ')}; install postgresql-client or set clientBinDir`);
  return { clients: await Promise.all(dirs.map((dir) => readInstall(commands, dir))), searched };
}

/**
 * Where pg_restore reads a dump without a server (pg_restore --list): the newest installation in
 * the direct transport, so verification needs no database and works after the source is gone;
 * inside the container in the docker transport.
 */
export async function dumpReaderBinDir(commands: CommandRunner, db: DatabaseConfig): Promise<string | undefined> {
  if (db.transport !== 'direct') return undefined;
  return newestPgClient((await findPgClients(commands, db.clientBinDir)).clients)!.dir;
}
