// The name of a partial restore test's scratch database (and scratch directory). Pure: the
// workflow computes it, deterministically, from its own ids.

/** Every scratch name starts with this: what operators (and tests) look for left-overs by. */
export const SCRATCH_PREFIX = 'pbb_restore_test_';

/** PostgreSQL truncates identifiers longer than NAMEDATALEN - 1 bytes, silently. */
const MAX_BYTES = 63;

/**
 * Unique per run: the whole run id (a UUID, unique per execution) goes in unshortened, so two
 * runs never share, create or drop one another's database, whatever their workflow ids. The
 * workflow id fills what room is left, for a human reading `\l`. Only [a-z0-9_]: ASCII, so
 * characters are bytes, and lower case, so the name reads the same quoted or not.
 */
export function scratchNameFor(workflowId: string, runId: string): string {
  const run = runId.toLowerCase().replace(/[^a-z0-9]/g, '');
  const room = MAX_BYTES - SCRATCH_PREFIX.length - run.length - 1;
  const readable = workflowId.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, Math.max(0, room));
  return `${SCRATCH_PREFIX}${readable}_${run}`.slice(0, MAX_BYTES);
}

/**
 * The partial image test's scratch bucket when the images live in a bucket: the scratch name as an
 * S3 bucket name ("_" is not allowed in one). It holds the run id like the name it comes from, so
 * the teardown that removes it by name can only ever remove this run's bucket.
 */
export function scratchBucketFor(scratch: string): string {
  return scratch.replace(/_/g, '-').replace(/-+$/, '');
}
