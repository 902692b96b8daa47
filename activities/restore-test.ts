// Restore tests (docs/design-notes.md): the weekly integrity check of everything retained, the
// monthly partial restores (a dump into a scratch database; a sample of originals into a scratch
// directory, through a scratch bucket when the images live in one), the teardown of the quarterly
// full restore's sandbox (and target bucket), and the kept history.
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { DatabaseConfig } from '../config/schema.js';
import { checklistVerdicts } from '../core/checklist-verdicts.js';
import { drInputSchema, type DrInput, type DrPlanInput } from '../core/dr-input.js';
import { NAMES_IN_PAYLOAD } from '../core/bounded-names.js';
import { manifestArtifacts, type VerificationCheck } from '../core/manifest.js';
import { latestGood, readCatalog } from '../repository/catalog.js';
import { readDrReport } from '../repository/dr-reports.js';
import { exists } from '../repository/fs-durable.js';
import { contentHashOf, layout } from '../repository/layout.js';
import { writeRestoreTestFailures, writeRestoreTestResult, type RestoreTestOutcome } from '../repository/restore-tests.js';
import { createArtifactChecker } from './artifact-check.js';
import { leaseChosen } from './backup-leases.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { sha256File } from './hash.js';
import { decodeImage } from './image-codec.js';
import { currentWorkflowId, withHeartbeat } from './heartbeat.js';
import { listFiles } from './dir-tally.js';
import { FILE_PARALLELISM, inPool } from './pool.js';
import type { HeartbeatProgress } from '../core/progress.js';
import { removeTestBucket, roundTripThroughBucket, scratchBucketOf } from './restore-test-bucket.js';
import { pgRestoreFromStream, psqlRows, tableRowCounts } from './psql.js';

/** Keeps a payload small whatever the damage: the first failures in it, every one in a file. */
async function boundedFailures(root: string, kind: string, failures: VerificationCheck[]): Promise<Pick<RestoreTestOutcome, 'failures' | 'failureCount' | 'failuresFile'>> {
  if (failures.length <= NAMES_IN_PAYLOAD) return { failures, failureCount: failures.length };
  const failuresFile = await writeRestoreTestFailures(root, kind, currentWorkflowId() ?? 'run', failures);
  return { failures: failures.slice(0, NAMES_IN_PAYLOAD), failureCount: failures.length, failuresFile };
}

export function createRestoreTestActivities(deps: ActivityDeps) {
  const { config, commands, secrets } = deps;
  const root = config.repository.root;
  const checker = createArtifactChecker(deps);
  const scratchDb = (config.restoreTests.scratchDatabase ?? config.source.database) as DatabaseConfig;
  const scratchDir = (name: string) => join(root, layout.restoreTestScratch(name));

  async function passwordOf(db: DatabaseConfig): Promise<string | undefined> {
    return db.transport === 'direct' && db.password ? secrets.resolve(db.password, 'restoreTests.scratchDatabase.password') : undefined;
  }

  /** `database` overrides the config's: the scratch database lives on the scratch server. */
  async function psql(db: DatabaseConfig, sql: string, database?: string): Promise<string[][]> {
    return psqlRows(commands, { ...db, database: database ?? db.database } as DatabaseConfig, sql, await passwordOf(db));
  }

  /** file_hash of every row (live or soft-deleted) by storage path, from the source database. */
  async function sourceHashes(): Promise<Map<string, string>> {
    const rows = await psql(config.source.database, 'select storage_path, file_hash from images');
    return new Map(rows.map(([p, h]) => [p as string, h as string]));
  }

  /** The full restore test's target bucket, if it has one and the recovery's first step confirmed it empty (or created it). */
  async function removeTargetBucket(recoveryInput: Record<string, unknown>): Promise<void> {
    const target = drInputSchema.safeParse(recoveryInput).data?.target.s3;
    if (!target) return;
    const recovery = `${currentWorkflowId() ?? ''}-dr`; // the child workflow restoreTest starts
    const report = await readDrReport(root, recovery);
    if (report?.steps?.find((s) => s.step === 'prepare')?.status === 'done') await removeTestBucket(deps, target, 'restoreTests.full.recovery.target.s3');
    else deps.logger.warn({ bucket: target.bucket, recovery }, 'the full restore test left its target bucket: the recovery never confirmed it empty');
  }

  return {
    /**
     * Every artifact of every retained manifest, and every mirrored file, re-hashed. Originals are
     * checked against their names and images.file_hash (keyed by storage_path); a thumbnail has no
     * hash of its own to check against (its name is its original's), so reading it whole is all.
     */
    async integrityCheck(): Promise<RestoreTestOutcome> {
      const catalog = await readCatalog(root);
      // Leased for this run, so retention keeps what the check reads until it has ended: a backup
      // retired halfway would be reported as a missing artifact. One retired before the lease was
      // written is left out: no longer retained, nothing to check.
      const retired = new Set(await leaseChosen(root, 'integrity check', { backupIds: catalog.manifests.map((m) => m.backupId) }));
      const failures: VerificationCheck[] = catalog.invalid.map((i) => ({
        artifact: relative(root, i.file),
        check: 'sha256',
        ok: false,
        detail: `manifest unreadable: ${i.reason}`,
      }));
      const retained = catalog.manifests.filter((m) => !retired.has(m.backupId));
      const artifacts = [...new Map(retained.flatMap(manifestArtifacts).map((a) => [a.path, a])).values()];
      const mirror = join(root, layout.imagesCurrent);
      const [files, hashes] = await Promise.all([listFiles(mirror), sourceHashes()]);
      const parallel = config.restoreTests.parallelism ?? FILE_PARALLELISM;
      let done = 0;
      await withHeartbeat(
        (): HeartbeatProgress => ({ step: 'integrity', filesDone: done, filesTotal: artifacts.length + files.length }),
        async () => {
          // Dumps are decrypted and listed by gpg and pg_restore (other processes, other core)
          // while the mirror is hashed here: one lane for them, the rest for the files.
          const checkingArtifacts = inPool(artifacts, 1, async (a) => {
            failures.push(...(await checker.checkArtifact(a, join(root, a.path))).filter((c) => !c.ok));
            done += 1;
          });
          const checkingFiles = inPool(files, parallel, async (rel) => {
            const { sha256 } = await sha256File(join(mirror, rel));
            const named = contentHashOf(rel);
            const recorded = hashes.get(rel);
            const path = `${layout.imagesCurrent}/${rel}`;
            if (named && named !== sha256) failures.push({ artifact: path, check: 'image mirror', ok: false, detail: `content sha256 ${sha256} does not match its name` });
            else if (recorded && recorded !== sha256) failures.push({ artifact: path, check: 'image mirror', ok: false, detail: `content sha256 ${sha256} differs from images.file_hash ${recorded}` });
            done += 1;
          });
          await Promise.all([checkingArtifacts, checkingFiles]);
        },
      );
      const checklist = checklistVerdicts([
        {
          item: 'database restored',
          observed: {
            dumpsChecked: artifacts.filter((a) => a.kind === 'dump').length,
            dumpsBad: failures.filter((f) => f.artifact.startsWith(`${layout.dbDir}/`) || f.artifact.startsWith(`${layout.manifestsDir}/`)).length,
          },
        },
        { item: 'images present and intact', observed: { mirroredFiles: files.length, bad: failures.filter((f) => f.check === 'image mirror').length } },
      ]);
      failures.sort((a, b) => a.artifact.localeCompare(b.artifact));
      return { kind: 'integrity', passed: failures.length === 0, checklist, ...(await boundedFailures(root, 'integrity', failures)), checked: artifacts.length + files.length };
    },

    /** The newest dump restored into a scratch database; tables, row counts and sampled rows compared. */
    async partialDatabaseRestore(input: { scratch: string }): Promise<RestoreTestOutcome> {
      const manifest = latestGood(await readCatalog(root), 'database');
      if (!manifest?.database) throw fail('VerificationFailed', 'no verified dump to restore');
      const dump = manifest.database.artifact;
      const failures: VerificationCheck[] = (await checker.checkArtifact(dump, join(root, dump.path))).filter((c) => !c.ok);
      if (failures.length) return { kind: 'partial-database', passed: false, checklist: checklistVerdicts([{ item: 'database restored', observed: { failed: failures[0]!.detail } }]), failures, checked: 1 };

      await psql(scratchDb, `create database "${input.scratch}"`);
      const target = { ...scratchDb, database: input.scratch } as DatabaseConfig;
      const password = await passwordOf(scratchDb);
      const { stream, done } = checker.openPlaintext(dump, join(root, dump.path));
      let bytes = 0;
      await withHeartbeat(
        (): HeartbeatProgress => ({ step: 'partial-database', bytesDone: bytes, bytesTotal: dump.plaintextBytes }),
        async () => {
          await pgRestoreFromStream(commands, target, ['--no-owner', '--no-privileges', '--exit-on-error'], stream, password, (n) => (bytes += n));
          await done();
        },
      );
      const counts = new Map(Object.entries(await tableRowCounts(commands, target, password)));
      for (const table of config.restoreTests.expectedTables) {
        if (!counts.has(table)) failures.push({ artifact: dump.path, check: 'pg_restore --list', ok: false, detail: `table ${table} is missing from the restored database` });
      }
      for (const [table, n] of Object.entries(manifest.database.tables)) {
        if (counts.get(table) !== n) failures.push({ artifact: dump.path, check: 'pg_restore --list', ok: false, detail: `${table}: ${counts.get(table) ?? 'missing'} rows restored, manifest says ${n}` });
      }
      // Sampled rows: restored image rows must point at originals the mirror holds with that hash.
      const sample = counts.has('images') ? await psql(scratchDb, 'select storage_path, file_hash from images where deleted_at is null order by random() limit 5', input.scratch) : [];
      for (const [path, hash] of sample) {
        const file = join(root, layout.imagesCurrent, path as string);
        const actual = await sha256File(file).then((h) => h.sha256, () => 'missing');
        if (actual !== hash) failures.push({ artifact: `${layout.imagesCurrent}/${path}`, check: 'image mirror', ok: false, detail: `restored row's file_hash ${hash} but the mirror has ${actual}` });
      }
      // The app stores NULL raw_metadata for an image without metadata it recognises.
      const metadata = counts.has('images') ? await psql(scratchDb, 'select count(*) from images where raw_metadata is not null', input.scratch) : [['0']];
      return {
        kind: 'partial-database',
        passed: failures.length === 0,
        checklist: checklistVerdicts([
          {
            item: 'database restored',
            observed: { backupId: manifest.backupId, tables: counts.size, scratchDatabase: input.scratch, mismatches: failures.filter((f) => f.check !== 'image mirror').length },
          },
          { item: 'metadata readable', observed: { rowsWithRawMetadata: Number(metadata[0]?.[0]) } },
        ]),
        failures,
        checked: counts.size + sample.length,
      };
    },

    async dropScratchDatabase(input: { scratch: string }): Promise<void> {
      await psql(scratchDb, `drop database if exists "${input.scratch}" with (force)`);
    },

    /** A random sample of originals restored into a scratch directory: hashes and decodability. */
    async partialImageRestore(input: { scratch: string; seed: number }): Promise<RestoreTestOutcome> {
      const dir = scratchDir(input.scratch);
      const rows = await psql(config.source.database, 'select storage_path, file_hash from images where deleted_at is null order by storage_path');
      let s = input.seed >>> 0;
      const random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const sample = [...rows].sort(() => random() - 0.5).slice(0, config.restoreTests.imageSample);
      const failures: VerificationCheck[] = [];
      const mirror = join(root, layout.imagesCurrent);
      // Images kept in a bucket are restored into one: the sample goes up into a scratch bucket and
      // is read back through the API into the scratch directory, where it is checked.
      const bucket = scratchBucketOf(config, input.scratch);
      if (bucket) {
        await mkdir(dir, { recursive: true });
        await withHeartbeat(
          (): HeartbeatProgress => ({ step: 'partial-images', filesTotal: sample.length }),
          () => roundTripThroughBucket(deps, bucket, mirror, sample.map(([path]) => path as string), dir),
        );
      }
      let decoded = 0;
      for (const [path, hash] of sample) {
        const from = join(mirror, path as string);
        const to = join(dir, path as string);
        const artifact = `${layout.imagesCurrent}/${path}`;
        if (!(await exists(from))) {
          failures.push({ artifact, check: 'image mirror', ok: false, detail: 'missing from the mirror' });
          continue;
        }
        if (bucket) {
          if (!(await exists(to))) {
            failures.push({ artifact, check: 'image mirror', ok: false, detail: `not read back from scratch bucket ${bucket.bucket}` });
            continue;
          }
        } else {
          await mkdir(dirname(to), { recursive: true });
          await copyFile(from, to);
        }
        const { sha256 } = await sha256File(to);
        if (sha256 !== hash) failures.push({ artifact, check: 'image mirror', ok: false, detail: `restored sha256 ${sha256} differs from images.file_hash ${hash}` });
        try {
          await decodeImage(await readFile(to));
          decoded += 1;
        } catch (err) {
          failures.push({ artifact, check: 'image mirror', ok: false, detail: `not decodable: ${(err as Error).message}` });
        }
      }
      return {
        kind: 'partial-images',
        passed: failures.length === 0,
        checklist: checklistVerdicts([{ item: 'images present and intact', observed: { sampled: sample.length, decoded, problems: failures.length, ...(bucket ? { throughBucket: bucket.bucket } : {}) } }]),
        failures,
        checked: sample.length,
      };
    },

    /** The scratch directory, and the scratch bucket when the images live in a bucket. */
    async removeScratchDir(input: { scratch: string }): Promise<void> {
      await rm(scratchDir(input.scratch), { recursive: true, force: true });
      const bucket = scratchBucketOf(config, input.scratch);
      if (bucket) await removeTestBucket(deps, bucket);
    },

    /** The full restore's input and sandbox, from the worker's config. */
    async fullRestorePlan(): Promise<{ sandboxRoot: string; recovery: DrInput; target: DrPlanInput['target'] }> {
      const full = config.restoreTests.full;
      if (!full) throw fail('ConfigInvalid', 'restoreTests.full is not configured: the full restore test needs a sandbox');
      const parsed = drInputSchema.safeParse(full.recovery);
      if (!parsed.success) {
        throw fail('ConfigInvalid', `restoreTests.full.recovery: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      for (const key of ['appDir', 'storageRoot'] as const) {
        const path = parsed.data.target[key];
        if (path !== undefined && !path.startsWith(`${full.sandboxRoot}/`)) throw fail('ConfigInvalid', `restoreTests.full.recovery.target.${key} must lie inside restoreTests.full.sandboxRoot`);
      }
      // The teardown removes the target bucket: only one the recovery found empty can be the test's to remove.
      if (parsed.data.target.s3 && parsed.data.overwrite) throw fail('ConfigInvalid', 'restoreTests.full.recovery.overwrite must be false when the target is a bucket: the test removes its target bucket afterwards');
      return { sandboxRoot: full.sandboxRoot, recovery: full.recovery as DrInput, target: parsed.data.target };
    },

    /**
     * Empties the sandbox of a full restore test, whatever its outcome, and removes its target
     * bucket when the recovery's first step confirmed that bucket empty (or created it): a bucket
     * the recovery refused, or never reached, holds objects that are not the test's.
     */
    async clearSandbox(input: { sandboxRoot: string }): Promise<void> {
      if (input.sandboxRoot !== config.restoreTests.full?.sandboxRoot) throw fail('ConfigInvalid', `refusing to clear ${input.sandboxRoot}`);
      try {
        // The bucket first: its keys may be files in the sandbox.
        await removeTargetBucket(config.restoreTests.full.recovery);
      } finally {
        for (const entry of await readdir(input.sandboxRoot).catch(() => [] as string[])) await rm(join(input.sandboxRoot, entry), { recursive: true, force: true });
      }
    },

    async recordRestoreTest(input: { id: string; result: unknown }): Promise<string> {
      return writeRestoreTestResult(root, input.result);
    },
  };
}
