// The SQL every PostgreSQL-touching activity shares: tab-separated rows from psql, exact row
// counts per table, and pg_restore fed from a stream. One place, whichever database (source,
// DR target or scratch) and transport (direct or docker) it runs against.
import type { DatabaseConfig } from '../config/schema.js';
import type { CommandRunner } from './command.js';
import { pgCommand } from './pg-command.js';
import type { ErrorType } from '../core/errors.js';

/** A failed PostgreSQL tool's stderr, as the failure a retry can or cannot fix. */
export function classifyPgError(stderr: string): ErrorType | undefined {
  if (/server version mismatch/i.test(stderr)) return 'PgVersionMismatch';
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

/** Rows of a query, fields split on tabs (psql -A -t -F '\t'). */
export async function psqlRows(commands: CommandRunner, db: DatabaseConfig, sql: string, password?: string): Promise<string[][]> {
  const inv = pgCommand(db, 'psql', ['-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {}, password);
  const { stdout } = await commands.run(inv.file, inv.args, { env: inv.env, classify: classifyPgError });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
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
  const inv = pgCommand(db, 'pg_restore', args, { stdin: true }, password);
  const restore = commands.spawn(inv.file, inv.args, { env: inv.env, stdin: 'pipe', classify: classifyPgError });
  const stdin = restore.child.stdin!;
  for await (const chunk of stream) {
    onBytes?.((chunk as Buffer).length);
    if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
  }
  stdin.end();
  await restore.finish();
}
