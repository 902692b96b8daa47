// Builds the argv of a PostgreSQL client tool for either transport. Docker mode is the backup
// doc's `docker exec promptbox-db-1 pg_dump -U promptbox -Fc promptbox`, the database given as
// `--dbname=promptbox`: the tool runs inside the database container, so its version always
// matches the server. Direct mode connects over TCP with the password in PGPASSWORD (the
// environment of the child, never its argv), running the tool from the client installation
// chosen for that server (activities/pg-binaries.ts).
import { join } from 'node:path';
import type { DatabaseConfig } from '../config/schema.js';

export interface PgInvocation {
  file: string;
  args: string[];
  /** Extra environment for the child (never contains the password in docker mode). */
  env: Record<string, string>;
}

export interface PgCommandOptions {
  /** Whether the tool talks to the database (pg_restore --list of a stream does not). */
  connect?: boolean;
  /** Whether the tool reads our stdin (docker exec then needs -i). */
  stdin?: boolean;
  /**
   * Direct transport: the directory of the client tools to run; default the config's
   * clientBinDir, else PATH. Docker ignores it: the tool runs inside the container.
   */
  binDir?: string;
}

export function pgCommand(
  db: DatabaseConfig,
  tool: 'pg_dump' | 'pg_restore' | 'psql',
  toolArgs: string[],
  opts: PgCommandOptions = {},
  password?: string,
): PgInvocation {
  const connect = opts.connect ?? true;
  // Always an option's value, never a positional: the tools would read a positional beginning with
  // "-" as an option (the config refuses such names too), and pg_restore's positional is its input file.
  const dbArgs = [`--dbname=${db.database}`];
  if (db.transport === 'docker') {
    const target = connect ? ['-U', db.user, ...toolArgs, ...dbArgs] : toolArgs;
    return { file: db.dockerCommand, args: ['exec', ...(opts.stdin ? ['-i'] : []), db.container, tool, ...target], env: {} };
  }
  const target = connect ? ['-w', '-h', db.host, '-p', String(db.port), '-U', db.user, ...toolArgs, ...dbArgs] : toolArgs;
  const binDir = opts.binDir ?? db.clientBinDir;
  return {
    file: binDir ? join(binDir, tool) : tool,
    args: target,
    // No prompt ever: a missing password must fail, not hang a worker.
    env: { PGCONNECT_TIMEOUT: '10', ...(password !== undefined && connect ? { PGPASSWORD: password } : {}) },
  };
}

/** Where the dump comes from, for manifests and logs (no secrets). */
export function describeEndpoint(db: DatabaseConfig): string {
  return db.transport === 'docker' ? `docker:${db.container}` : `${db.host}:${db.port}`;
}
