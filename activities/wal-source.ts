// The source as the WAL archive and base backups reach it: over a replication connection, with
// the streaming tools (pg_receivewal, pg_basebackup, pg_verifybackup) from the client installation
// chosen for the server's version (activities/psql.ts), the password in the child's environment.
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseConfig } from '../config/schema.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { pgBinDirFor } from './psql.js';

export type DirectDatabase = Extract<DatabaseConfig, { transport: 'direct' }>;

export interface WalSource {
  db: DirectDatabase;
  password?: string;
  slot: string;
  /** The chosen client installation, holding the streaming tools too. */
  binDir: string;
  /** Connection arguments for the streaming tools (with `--dbname=` REPLICATION_CONNINFO); the password goes in `env`. */
  connArgs: string[];
  env: Record<string, string>;
}

const STREAMING_TOOLS = ['pg_receivewal', 'pg_basebackup', 'pg_verifybackup'] as const;

/**
 * libpq settings for a replication connection, as `--dbname` (no environment variable sets them):
 * a network that goes silent (a cut link, a lost NAT entry) ends the connection within about 30 s
 * instead of the kernel's 15 minutes of retransmissions, so the archiver's next attempt reconnects
 * when the network returns. TCP keepalives cover an idle stream, tcp_user_timeout one whose status
 * replies go unacknowledged.
 */
export const REPLICATION_CONNINFO = 'keepalives=1 keepalives_idle=10 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=30000';

/** The slot's name: configured, or derived from the source's name (which the config restricts to [a-z0-9_-]). */
export function slotNameFor(sourceName: string, configured?: string): string {
  return configured ?? `promptbox_backup_${sourceName.replace(/-/g, '_')}`.slice(0, 63);
}

export async function walSource(deps: ActivityDeps): Promise<WalSource> {
  const { config, secrets, commands } = deps;
  const db = config.source.database;
  if (!config.pitr.enabled) throw fail('ConfigInvalid', 'pitr.enabled is false: set "pitr": {"enabled": true} to archive WAL and take base backups');
  if (db.transport !== 'direct') {
    throw fail('ConfigInvalid', 'pitr needs source.database.transport "direct": the WAL archive streams over a replication connection to the server\'s port');
  }
  const password = db.password ? await secrets.resolve(db.password, 'source.database.password') : undefined;
  const binDir = (await pgBinDirFor(commands, db, password))!;
  for (const tool of STREAMING_TOOLS) {
    await access(join(binDir, tool), constants.X_OK).catch(() => {
      throw fail('ToolMissing', `${tool} is not in ${binDir} (the PostgreSQL client chosen for the source); install the full client package of that version`);
    });
  }
  return {
    db,
    password,
    slot: slotNameFor(config.source.name, config.pitr.slot),
    binDir,
    connArgs: ['-w', '-h', db.host, '-p', String(db.port), '-U', db.user],
    // No prompt ever; and a lost network must end the stream, not hang it.
    env: { PGCONNECT_TIMEOUT: '10', ...(password !== undefined ? { PGPASSWORD: password } : {}) },
  };
}
