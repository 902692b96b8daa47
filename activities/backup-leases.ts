// Recovery leases as activities use them (repository/leases.ts has the files and the protocol): a
// recovery leases what it chose for its whole run; retention asks which leases are live.
import type { ActivityDeps } from './deps.js';
import { currentRun } from './heartbeat.js';
import { readBaseBackups } from '../repository/base-backups.js';
import { readCatalog } from '../repository/catalog.js';
import { readLeases, removeLease, writeLease, type Lease } from '../repository/leases.js';
import { runIsRunning } from './run-liveness.js';

/**
 * Leases `reads` for the workflow run this activity belongs to, beside what the run leased before,
 * then looks again that each is still in the repository: retention may have removed one after it
 * was chosen and before it was leased. Returns those that are gone (none, but for that race). The
 * lease lasts until retention finds the run ended: a recovery reads its backup in every step, up to
 * its last. Outside an activity (a direct call) there is no run to lease for; the look is made.
 */
export async function leaseChosen(root: string, purpose: string, reads: { backupIds: string[]; baseBackups?: string[] }): Promise<string[]> {
  const run = currentRun();
  if (run) {
    const before = (await readLeases(root)).leases.find((l) => l.runId === run.runId);
    const union = (a: string[] = [], b: string[] = []) => [...new Set([...a, ...b])];
    await writeLease(root, {
      ...run,
      purpose: before?.purpose ?? purpose,
      backupIds: union(before?.backupIds, reads.backupIds),
      baseBackups: union(before?.baseBackups, reads.baseBackups),
      takenAt: before?.takenAt ?? new Date().toISOString(),
    });
  }
  const manifests = new Set((await readCatalog(root)).manifests.map((m) => m.backupId));
  const bases = new Set((await readBaseBackups(root)).backups.map((b) => b.id));
  return [...reads.backupIds.filter((id) => !manifests.has(id)), ...(reads.baseBackups ?? []).filter((id) => !bases.has(id))];
}

/** Who holds a lease, as retention reports it: the run's purpose and workflow id. */
export const leaseHolder = (lease: Lease) => `${lease.purpose} ${lease.workflowId}`;

/**
 * The leases of runs still running; those of runs that have ended are removed. A run the server
 * cannot be asked about counts as running: keeping a backup one more day loses nothing.
 */
export async function liveLeases(deps: ActivityDeps): Promise<Lease[]> {
  const { config, logger } = deps;
  const root = config.repository.root;
  const { leases, invalid } = await readLeases(root);
  if (invalid.length) logger.warn({ invalid }, 'leases that do not parse name nothing: left for a person to look at');
  const live: Lease[] = [];
  for (const lease of leases) {
    const running = await runIsRunning(config.temporal, lease).catch((err: Error) => {
      logger.warn({ lease: leaseHolder(lease), err: err.message }, 'could not ask whether a leasing run still runs: what it leased is kept');
      return true;
    });
    if (running) live.push(lease);
    else await removeLease(root, lease.runId);
  }
  return live;
}
