// Leases: what a running recovery reads, so that retention leaves it in place until the recovery
// ends. A recovery chooses its backup, writes `leases/<run id>.json` naming it, then looks again
// that the backup is still there; retention skips whatever a lease of a still-running run names,
// removes the leases of runs that have ended, and looks at the leases once more after removing a
// manifest (putting it back if a recovery leased it meanwhile). Whichever of the two goes first,
// a recovery never starts from a backup that retention then deletes under it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileDurable } from './fs-durable.js';
import { readJsonRecords, recordText } from './json-records.js';
import { layout } from './layout.js';

export const leaseSchema = z.object({
  workflowId: z.string(),
  runId: z.string(),
  /** What the run is, for a person reading retention's report: "recovery", "point-in-time recovery". */
  purpose: z.string(),
  /** Backups (their manifests and every artifact they list) the run reads. */
  backupIds: z.array(z.string()),
  /** Base backups of the WAL archive the run replays from; the WAL after each is kept too. */
  baseBackups: z.array(z.string()).default([]),
  takenAt: z.string(),
});
export type Lease = z.infer<typeof leaseSchema>;

export async function writeLease(root: string, lease: Lease): Promise<void> {
  await writeFileDurable(join(root, layout.lease(lease.runId)), recordText(leaseSchema.parse(lease)));
}

/**
 * Every lease that parses. One that does not (torn by a crash while it was written) names nothing
 * anyone can rely on: its run had not started reading, since a run reads only after its lease is
 * written whole. Listed as invalid.
 */
export async function readLeases(root: string): Promise<{ leases: Lease[]; invalid: string[] }> {
  const read = await readJsonRecords(join(root, layout.leasesDir), leaseSchema);
  return { leases: read.records.map((r) => r.record), invalid: read.invalid.map((i) => `${i.file}: ${i.reason}`) };
}

export async function removeLease(root: string, runId: string): Promise<void> {
  await rm(join(root, layout.lease(runId)), { force: true });
}
