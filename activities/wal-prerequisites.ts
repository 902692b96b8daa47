// What the source must allow before WAL can be archived, checked one by one so that each refusal
// names exactly what to change: a setting, an SQL statement, or a pg_hba.conf line. Then the
// replication slot, created when missing: it makes the server keep every segment the archive has
// not received, so a stopped archiver loses nothing (and the source's disk fills instead; the
// health check's lag alert is the warning).
import type { ActivityDeps } from './deps.js';
import type { CommandRunner } from './command.js';
import { fail } from './failure.js';
import { classifyPgError, psqlRows } from './psql.js';
import { REPLICATION_CONNINFO, walSource, type WalSource } from './wal-source.js';
import type { PitrConfig } from '../config/schema.js';

const WAL_LEVELS = ['minimal', 'replica', 'logical'];

/** What the archiver workflow needs from the config: its slot and its timings. */
export interface ArchiverSettings {
  /** The source's name, for alerts. */
  source: string;
  slot: string;
  streamForMs: number;
  heartbeatMs: number;
  maxRetryIntervalMs: number;
}

async function checkSettings(deps: ActivityDeps, source: WalSource): Promise<void> {
  const [row] = await psqlRows(
    deps.commands,
    source.db,
    "select current_setting('wal_level'), current_setting('max_wal_senders'), (select rolreplication or rolsuper from pg_roles where rolname = current_user), current_user",
    source.password,
  );
  const [walLevel, maxSenders, replication, user] = row ?? [];
  if (WAL_LEVELS.indexOf(walLevel ?? '') < WAL_LEVELS.indexOf('replica')) {
    throw fail('ConfigInvalid', `the source's wal_level is ${walLevel}: set wal_level = replica in postgresql.conf (or ALTER SYSTEM SET wal_level = replica) and restart the server`);
  }
  if (!(Number(maxSenders) > 0)) {
    throw fail('ConfigInvalid', `the source's max_wal_senders is ${maxSenders}: set max_wal_senders = 10 in postgresql.conf and restart the server`);
  }
  if (replication !== 't') {
    throw fail('ConfigInvalid', `the user ${user} may not stream WAL: run ALTER ROLE "${user}" REPLICATION; as a superuser on the source`);
  }
}

/** A replication connection, as pg_receivewal will open it: refused by pg_hba.conf or not. */
async function checkReplicationConnection(commands: CommandRunner, source: WalSource): Promise<void> {
  try {
    await commands.run(`${source.binDir}/psql`, ['-X', '-A', '-t', ...source.connArgs, `--dbname=${REPLICATION_CONNINFO} replication=true`, '-c', 'IDENTIFY_SYSTEM'], {
      env: source.env,
      classify: classifyPgError,
    });
  } catch (err) {
    const message = (err as Error).message;
    if (/no pg_hba\.conf entry for replication connection/i.test(message)) {
      throw fail('ConfigInvalid', `the source's pg_hba.conf refuses replication connections from this worker: add the line "host replication ${source.db.user} <this worker's address>/32 scram-sha-256" and reload the server (SELECT pg_reload_conf())`);
    }
    if (/number of requested standby connections exceeds max_wal_senders|too many clients/i.test(message)) {
      throw fail('DatabaseUnreachable', `the source has no free WAL sender: raise max_wal_senders (${message})`);
    }
    throw err;
  }
}

/** Creates the slot when missing (also when someone dropped it: the archive then has a gap). */
export async function ensureSlot(deps: ActivityDeps, source: WalSource): Promise<'created' | 'exists'> {
  const rows = await psqlRows(deps.commands, source.db, `select slot_type from pg_replication_slots where slot_name = '${source.slot}'`, source.password);
  if (rows.length && rows[0]![0] !== 'physical') {
    throw fail('ConfigInvalid', `the replication slot ${source.slot} on the source is a ${rows[0]![0]} slot: drop it (SELECT pg_drop_replication_slot('${source.slot}')) or set pitr.slot to another name`);
  }
  if (rows.length) return 'exists';
  await deps.commands.run(`${source.binDir}/pg_receivewal`, [...source.connArgs, `--dbname=${REPLICATION_CONNINFO}`, `--slot=${source.slot}`, '--create-slot', '--if-not-exists'], {
    env: source.env,
    classify: classifyPgError,
  });
  return 'created';
}

function archiverSettings(source: string, pitr: PitrConfig, slot: string): ArchiverSettings {
  return { source, slot, streamForMs: pitr.streamFor, heartbeatMs: pitr.heartbeat, maxRetryIntervalMs: pitr.maxRetryInterval };
}

export function createWalPrerequisiteActivities(deps: ActivityDeps) {
  return {
    /** Checks the source allows streaming its WAL and makes sure the slot exists; each refusal says what to change. */
    async walCheckPrerequisites(): Promise<ArchiverSettings & { slotState: 'created' | 'exists' }> {
      const source = await walSource(deps);
      await checkSettings(deps, source);
      await checkReplicationConnection(deps.commands, source);
      const slotState = await ensureSlot(deps, source);
      deps.logger.info({ slot: source.slot, slotState }, 'WAL archive prerequisites met');
      return { ...archiverSettings(deps.config.source.name, deps.config.pitr, source.slot), slotState };
    },
  };
}
