// The SQL every PostgreSQL-touching activity shares: tab-separated rows from psql, exact row
// counts per table, and pg_restore fed from a stream. One place, whichever database (source,
// DR target or scratch) and transport (direct or docker) it runs against. In the direct transport
// the tools come from the client installation chosen for that server's version.
import type { DatabaseConfig } from '../config/schema.js';
import type { CommandRunner } from './command.js';
import { pgCommand } from './pg-command.js';
import { findPgClients } from './pg-binaries.js';
import { fail } from './failure.js';
import type { ErrorType } from '../core/errors.js';
import { choosePgClient, parseServerVersionNum } from '../core/pg-client-choice.js';

/** A failed PostgreSQL tool's stderr, as the failure a retry can or cannot fix. */
export function classifyPgError(stderr: string): ErrorType | undefined {
  // pg_dump facing a newer server; pg_restore reading a dump from a newer pg_dump.
  if (/server version mismatch|unsupported version \([\d.]+\) in file header/i.test(stderr)) return 'PgVersionMismatch';
  if (/password authentication failed|no password supplied|authentication failed|role "[^"]*" does not exist/i.test(stderr)) {
    return 'DatabaseAuthFailed';
  }
  if (/database "[^"]*" does not exist/i.test(stderr)) return 'ConfigInvalid';
  if (
    /could not connect|connection refused|could not translate host name|timeout expired|the database system is (starting up|shutting down)|no such container|is not running|server closed the connection/i.test(
      stderr,
    )
  ) {
    return 'DatabaseUnreachable';
  }
  return undefined;
}

type DirectDatabase = Extract<DatabaseConfig, { transport: 'direct' }>;

// One choice per server (and configured clientBinDir) for the life of the worker process, so
// that each psql call does not ask the server and every installation for their versions again.
// A failed choice is forgotten: the retry, or a client installed meanwhile, decides afresh.
const chosenBinDirs = new Map<string, Promise<string>>();

function chosenBinDir(commands: CommandRunner, db: DirectDatabase, password?: string): Promise<string> {
  const key = `${db.host}:${db.port} ${db.clientBinDir ?? ''}`;
  const cached = chosenBinDirs.get(key);
  if (cached) return cached;
  const chosen = chooseBinDir(commands, db, password);
  chosenBinDirs.set(key, chosen);
  chosen.catch(() => {
    if (chosenBinDirs.get(key) === chosen) chosenBinDirs.delete(key);
  });
  return chosen;
}

async function chooseBinDir(commands: CommandRunner, db: DirectDatabase, password?: string): Promise<string> {
  const { clients, searched } = await findPgClients(commands, db.clientBinDir);
  // Any psql can ask: `show` works across versions.
  const [row] = await runPsql(commands, db, 'show server_version_num', password, clients[0]!.dir);
  const server = parseServerVersionNum(row?.[0]);
  if (!server) throw fail('CommandFailed', `unexpected server_version_num: ${row?.[0]}`);
  const choice = choosePgClient(clients, server, { searched, configuredDir: db.clientBinDir });
  if (!choice.ok) throw fail('PgVersionMismatch', choice.message);
  return choice.client.dir;
}

/**
 * Where a tool for `db` runs from: in the direct transport the client installation chosen for
 * the server's version (core/pg-client-choice.ts), inside the container in the docker transport.
 */
export async function pgBinDirFor(commands: CommandRunner, db: DatabaseConfig, password?: string): Promise<string | undefined> {
  return db.transport === 'direct' ? chosenBinDir(commands, db, password) : undefined;
}

async function runPsql(commands: CommandRunner, db: DatabaseConfig, sql: string, password: string | undefined, binDir: string | undefined): Promise<string[][]> {
  const inv = pgCommand(db, 'psql', ['-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { binDir }, password);
  const { stdout } = await commands.run(inv.file, inv.args, { env: inv.env, classify: classifyPgError });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** Rows of a query, fields split on tabs (psql -A -t -F '\t'). */
export async function psqlRows(commands: CommandRunner, db: DatabaseConfig, sql: string, password?: string): Promise<string[][]> {
  return runPsql(commands, db, sql, password, await pgBinDirFor(commands, db, password));
}

// Exact counts in one round trip, for every base table of the public schema.
const ROW_COUNTS_SQL = `select table_name, (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', table_schema, table_name), false, true, '')))[1]::text
from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`;

export async function tableRowCounts(commands: CommandRunner, db: DatabaseConfig, password?: string): Promise<Record<string, number>> {
  const rows = await psqlRows(commands, db, ROW_COUNTS_SQL, password);
  return Object.fromEntries(rows.map(([table, count]) => [table as string, Number(count)]));
}

/** Runs pg_restore with `args`, feeding it `stream` (a dump's plaintext) on stdin. */
export async function pgRestoreFromStream(
  commands: CommandRunner,
  db: DatabaseConfig,
  args: string[],
  stream: AsyncIterable<unknown>,
  password?: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  const inv = pgCommand(db, 'pg_restore', args, { stdin: true, binDir: await pgBinDirFor(commands, db, password) }, password);
  const restore = commands.spawn(inv.file, inv.args, { env: inv.env, stdin: 'pipe', classify: classifyPgError });
  const stdin = restore.child.stdin!;
  for await (const chunk of stream) {
    onBytes?.((chunk as Buffer).length);
    if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
  }
  stdin.end();
  await restore.finish();
}
