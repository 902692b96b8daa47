// DR step 3 from the WAL archive (`backup.walTo`): a base backup and the WAL up to the target are
// recovered into a scratch cluster on the worker (activities/wal-recovery.ts, the
// pointInTimeRecovery workflow's own code), and the caller streams its database into the target
// with pg_dump -Fc | pg_restore. The target's data directory is never touched, so every target
// fits: a compose service, a server reached directly, another version. The scratch cluster is
// per recovery (named after the workflow), stopped and removed when the step ends however it ends,
// and again by the runbook's cleanup when a lost worker left one behind.
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseConfig } from '../config/schema.js';
import type { ActivityDeps } from './deps.js';
import type { CommandResult } from './command.js';
import { pgCommand } from './pg-command.js';
import { processAlive } from './process-group.js';
import { classifyPgError, pgBinDirFor } from './psql.js';
import { createClusterRecovery, type PitrResult } from './wal-recovery.js';

/** What drChooseBackup settled for a `walTo` recovery. */
export interface WalChoice {
  /** "latest" or an ISO time with offset. */
  to: string;
  /** The base backup the recovery starts from. */
  baseBackup: string;
  /** Where the scratch cluster lives; default the worker's temporary directory. */
  scratchDir?: string;
}

/** The scratch database, reachable as the source's user (the recovered cluster has its roles). */
export interface ScratchDatabase {
  db: DatabaseConfig;
  password?: string;
  recovered: PitrResult;
}

const SHUTDOWN_WAIT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One directory per recovery, so a retry or the runbook's cleanup finds what a lost attempt left. */
function scratchDirOf(wal: WalChoice, workflowId: string): string {
  return join(wal.scratchDir ?? tmpdir(), `promptbox-backup-dr-${workflowId.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
}

/** A loopback port free now, for the scratch server: only the worker connects to it. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free loopback port'))));
    });
  });
}

/**
 * Ends the scratch server by signal, not pg_ctl: this also runs when the activity is being
 * cancelled, and a cancelled activity's commands are killed before they start. SIGQUIT is
 * PostgreSQL's immediate shutdown (its data is thrown away anyway), SIGKILL if it lingers.
 */
async function stopServer(dataDir: string): Promise<void> {
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return;
  process.kill(pid, 'SIGQUIT');
  for (let waited = 0; processAlive(pid) && waited < SHUTDOWN_WAIT_MS; waited += 100) await sleep(100);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
}

export function createScratchRecovery(deps: ActivityDeps) {
  const { commands } = deps;
  const recovery = createClusterRecovery(deps);

  /** Stops the recovery's scratch server if one runs and removes its directory; nothing there is no error. */
  async function discard(wal: WalChoice, workflowId: string): Promise<void> {
    const dir = scratchDirOf(wal, workflowId);
    await stopServer(join(dir, 'data'));
    await rm(dir, { recursive: true, force: true });
  }

  return {
    discard,

    /**
     * Recovers the database as of `wal.to` into the scratch cluster, hands it to `use`, then
     * discards the cluster, also when recovery or `use` fails or the activity is cancelled.
     */
    async withRecovered<T>(wal: WalChoice, workflowId: string, onPhase: (phase: string) => void, use: (scratch: ScratchDatabase) => Promise<T>): Promise<T> {
      await discard(wal, workflowId); // what a lost attempt left
      try {
        const dataDir = join(scratchDirOf(wal, workflowId), 'data');
        const recovered = await recovery.recover({ pointInTime: wal.to, dataDir, port: await freeLoopbackPort(), baseBackup: wal.baseBackup }, onPhase);
        const { db, password } = await recovery.connectAs(recovered.port);
        return await use({ db, password, recovered });
      } finally {
        await discard(wal, workflowId);
      }
    },

    /** `pg_dump -Fc` of the scratch database as a stream; `finish` gives its outcome. */
    async dump(scratch: ScratchDatabase): Promise<{ stream: NodeJS.ReadableStream; finish: () => Promise<CommandResult> }> {
      const inv = pgCommand(scratch.db, 'pg_dump', ['-Fc'], { binDir: await pgBinDirFor(commands, scratch.db, scratch.password) }, scratch.password);
      const { child, finish } = commands.spawn(inv.file, inv.args, { env: inv.env, classify: classifyPgError });
      return { stream: child.stdout!, finish };
    },

    /** The base backup a recovery to `to` would start from: ConfigInvalid, naming why, when none reaches it. */
    chooseBaseBackup: (to: string) => recovery.chooseBaseBackup(to),
  };
}
