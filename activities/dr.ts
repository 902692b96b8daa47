// The disaster-recovery runbook's steps (docs/design-notes.md), each an activity the workflow
// times against its budget: prepare the environment, start the database and wait until it
// accepts connections, restore the dump (or the database recovered from the WAL archive to a
// moment, activities/dr-wal-restore.ts), restore the images (to that same moment: the mirror, then
// the increments holding what was deleted or replaced since) checking every file against
// images.file_hash, start the app and wait for its health endpoint, and verify with the checklist.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DatabaseConfig } from '../config/schema.js';
import type { ChecklistItem } from '../core/checklist.js';
import type { DrPlanInput } from '../core/dr-input.js';
import type { DrReport } from '../core/dr-report.js';
import type { Artifact, Manifest } from '../core/manifest.js';
import { backupIdFor, backupTime, incrementDay, isIncrementDay, layout } from '../repository/layout.js';
import { latestGood, readCatalog } from '../repository/catalog.js';
import { writeDrReport } from '../repository/dr-reports.js';
import type { ActivityDeps } from './deps.js';
import { ensureDir, writeFileDurable } from '../repository/fs-durable.js';
import { fail } from './failure.js';
import { leaseChosen } from './backup-leases.js';
import { artifactFile } from '../repository/artifact-file.js';
import { createArtifactChecker } from './artifact-check.js';
import { sha256File } from './hash.js';
import { APP_THUMBNAIL_RULE, type ThumbnailRule } from '../core/thumbnail-rule.js';
import { bucketVerdicts, directoryVerdicts, storageFile, type LiveRow, type Verdict } from './dr-image-check.js';
import { copyMirror, type MirrorCopyProgress } from './dr-image-copy.js';
import { openTargetBucket } from './s3-target.js';
import { bucketKey } from '../core/s3-target.js';
import { verifyRecoveredApp } from './dr-verify.js';
import { checkRecoveryTarget } from './dr-target.js';
import { formatEnvFile, parseEnvFile } from '../core/env-file.js';
import { addName, noNames, type BoundedNames } from '../core/bounded-names.js';
import { cancellationSignal, currentWorkflowId, previousProgress, withHeartbeat } from './heartbeat.js';
import type { HeartbeatProgress } from '../core/progress.js';
import { pgRestoreFromStream, psqlRows, tableRowCounts } from './psql.js';
import { createScratchRecovery, type WalChoice } from './dr-wal-restore.js';

type Target = DrPlanInput['target'];

interface BackupChoice {
  backupId: string;
  takenAt: string;
  config: Artifact[];
}

/** A dump to restore: the newest, or the one asked for by id or point in time. */
export interface DumpChoice extends BackupChoice {
  dump: Artifact;
  tables: Record<string, number>;
}

/**
 * `backup.walTo`: the database recovered from a base backup (its id is `backupId`, its end
 * `takenAt`) and the WAL archive. `imagesTakenAt` is when the newest image backup started: every
 * file the source held then is in the mirror or a later increment.
 */
export interface WalRecoveryChoice extends BackupChoice {
  wal: WalChoice;
  imagesTakenAt?: string;
}

export type ChosenBackup = DumpChoice | WalRecoveryChoice;

/** Step 3's outcome from the WAL archive: the checklist's evidence and the report's recovery point. */
export interface DatabaseRecovery {
  summary: string;
  baseBackup: string;
  /** The commit time of the last transaction replayed. */
  reachedAt?: string;
}

/** Step 4's outcome: the report's image section (core/dr-report.ts says what its fields hold). */
export type ImageRestoreResult = DrReport['images'];

/** The recovery's environment overrides, beside the restored .env (which stays as backed up). */
export const RECOVERY_ENV_FILE = '.env.recovery';

/** pg_restore as every database step runs it: all or nothing, stopping at the first error. */
const RESTORE_ARGS = ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error'];

/** Between two readiness probes of the database or the app: a probe is cheap, and the runbook's clock runs meanwhile. */
const POLL_MS = 100;
/**
 * Rows checked between two progress marks of the image check: files in a directory; more in a
 * bucket, where a chunk costs two rclone runs.
 */
const CHECK_CHUNK = { directory: 32, bucket: 256 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createDrActivities(deps: ActivityDeps) {
  const { config, commands, secrets } = deps;
  const root = config.repository.root;
  const checker = createArtifactChecker(deps);
  const scratch = createScratchRecovery(deps);

  async function targetPassword(target: Target): Promise<string | undefined> {
    const db = target.database;
    return db.transport === 'direct' && db.password ? secrets.resolve(db.password, 'target.database.password') : undefined;
  }

  async function psql(target: Target, sql: string): Promise<string[][]> {
    return psqlRows(commands, target.database as DatabaseConfig, sql, await targetPassword(target));
  }

  /** A dump's stream into the target database, in one transaction. */
  async function restoreInto(target: Target, stream: AsyncIterable<unknown>, onBytes: (n: number) => void): Promise<void> {
    await pgRestoreFromStream(commands, target.database as DatabaseConfig, RESTORE_ARGS, stream, await targetPassword(target), onBytes);
  }

  /** Fails naming every table whose row count in the restored target differs from what it was restored from. */
  async function checkRowCounts(target: Target, expected: Record<string, number>, from: string): Promise<void> {
    const restored = await tableRowCounts(commands, target.database as DatabaseConfig, await targetPassword(target));
    const differences = Object.entries(expected).filter(([t, n]) => restored[t] !== n).map(([t, n]) => `${t}: ${restored[t] ?? 'missing'} rows, ${from} ${n}`);
    if (differences.length) throw fail('VerificationFailed', `restored database differs from the ${from}: ${differences.join('; ')}`);
  }

  /**
   * The folders step 4 lays into the storage, in order, later ones winning: the mirror, then for a
   * recovery to a moment the increments of that UTC day and after (what the runs since deleted or
   * replaced), newest first so the version nearest the moment is the one left.
   */
  async function imageLayers(asOf: string | undefined): Promise<string[]> {
    if (!asOf) return [layout.imagesCurrent];
    const fromDay = incrementDay(backupIdFor(new Date(asOf)));
    const days = (await readdir(join(root, layout.imagesIncrementsDir)).catch(() => [] as string[])).filter((d) => isIncrementDay(d) && d >= fromDay);
    return [layout.imagesCurrent, ...days.sort().reverse().map(layout.imagesIncrementOfDay)];
  }

  /** Streams an artifact's plaintext (decrypting when needed) into a consumer, checking its sha256. */
  async function withPlaintext(artifact: Artifact, consume: (stream: NodeJS.ReadableStream) => Promise<void>): Promise<void> {
    const file = await artifactFile(root, artifact.path);
    const { sha256 } = await sha256File(file);
    if (sha256 !== artifact.sha256) throw fail('VerificationFailed', `${artifact.path}: sha256 ${sha256} differs from the manifest's ${artifact.sha256}`);
    const { stream, done } = checker.openPlaintext(artifact, file);
    const consumed = consume(stream);
    await done();
    await consumed;
  }

  /**
   * The mirror (then any increments laid over it) into a storage directory, each live original
   * hashed as it is written; then one syncfs, so what the step reports restored is on disk (a crash before it means a rerun,
   * which checks what is in place). Returns the originals' hashes for the check.
   */
  async function copyIntoDirectory(storageRoot: string, layers: string[], rows: LiveRow[], progress: MirrorCopyProgress): Promise<ReadonlyMap<string, string>> {
    const expected = new Map(rows.flatMap(([key, hash]): Array<[string, string]> => {
      const file = storageFile(storageRoot, key);
      return file ? [[file, hash]] : [];
    }));
    const hashes = new Map<string, string>();
    for (const layer of layers) {
      const copied = await copyMirror(join(root, layer), storageRoot, expected, { signal: cancellationSignal(), progress });
      for (const [file, sha256] of copied.hashes) hashes.set(file, sha256);
    }
    await commands.run('sync', ['--file-system', storageRoot]);
    return hashes;
  }

  async function runArgv(argv: string[], cwd: string): Promise<void> {
    await commands.run(argv[0] as string, argv.slice(1), { cwd });
  }

  /** Runs a start command, then probes until the service answers, heartbeating meanwhile. */
  async function startAndWait(target: Target, argv: string[], step: string, ready: string, probe: () => Promise<boolean>): Promise<string> {
    await runArgv(argv, target.appDir);
    let probes = 0;
    return withHeartbeat(
      () => ({ step, probes }),
      async () => {
        for (probes = 1; !(await probe()); probes += 1) await sleep(POLL_MS);
        return `${ready} after ${probes} probe(s)`;
      },
    );
  }

  /** The target's overrides, secrets resolved here on the worker, written 0600 beside the .env. */
  async function writeRecoveryEnvironment(t: Target): Promise<string[]> {
    const file = join(t.appDir, RECOVERY_ENV_FILE);
    const names = Object.keys(t.environment);
    if (!names.length) {
      await rm(file, { force: true }); // a stale file from an earlier attempt would still be read
      return [];
    }
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(t.environment)) {
      values[name] = typeof value === 'string' ? value : await secrets.resolve(value, `target.environment.${name}`);
    }
    await writeFileDurable(file, formatEnvFile(values, 'Written by promptbox-backup for this recovery: what differs on this host.\nRead after .env, which stays as it was backed up.'));
    return names;
  }

  /** THUMBNAIL_SIZE and THUMBNAIL_QUALITY as the recovered app will read them. */
  async function thumbnailRule(t: Target): Promise<ThumbnailRule> {
    const read = async (name: string) => parseEnvFile(await readFile(join(t.appDir, name), 'utf8').catch(() => ''));
    const env = { ...(await read('.env')), ...(await read(RECOVERY_ENV_FILE)) };
    const size = Number(env.THUMBNAIL_SIZE);
    const quality = Number(env.THUMBNAIL_QUALITY);
    return {
      size: Number.isInteger(size) && size > 0 ? size : APP_THUMBNAIL_RULE.size,
      quality: Number.isInteger(quality) && quality > 0 && quality <= 100 ? quality : APP_THUMBNAIL_RULE.quality,
    };
  }

  /** Leases what was chosen; when retention removed it meanwhile, fails the attempt, and the retry chooses again. */
  async function leasedOrChooseAgain(...args: Parameters<typeof leaseChosen>): Promise<void> {
    const gone = await leaseChosen(...args);
    if (gone.length) throw new Error(`${gone.join(', ')}: removed by retention as this recovery chose it; the next attempt chooses again`);
  }

  return {
    /**
     * The newest verified backup with a dump, or the one asked for by id or point in time; for
     * `walTo`, the base backup a recovery to that moment starts from, with the config as it was then.
     * What it chose is leased for the recovery's whole run: retention keeps it meanwhile.
     */
    async drChooseBackup(input: { backupId?: string; pointInTime?: string; walTo?: string; scratchDir?: string }): Promise<ChosenBackup> {
      const catalog = await readCatalog(root);
      if (input.walTo) {
        const base = await scratch.chooseBaseBackup(input.walTo);
        const until = input.walTo === 'latest' ? Infinity : Date.parse(input.walTo);
        const configSource = catalog.manifests.filter((m) => m.parts.includes('config') && backupTime(m.backupId).getTime() <= until).pop() ?? latestGood(catalog, 'config');
        const imageRun = catalog.manifests.filter((m) => m.images).pop();
        await leasedOrChooseAgain(root, 'point-in-time recovery', { backupIds: configSource ? [configSource.backupId] : [], baseBackups: [base.id] });
        return {
          backupId: base.id,
          takenAt: base.endedAt,
          config: configSource?.config.map((c) => c.artifact) ?? [],
          wal: { to: input.walTo, baseBackup: base.id, ...(input.scratchDir ? { scratchDir: input.scratchDir } : {}) },
          ...(imageRun ? { imagesTakenAt: imageRun.startedAt } : {}),
        };
      }
      const withDump = catalog.manifests.filter((m) => m.database);
      let chosen: Manifest | undefined;
      if (input.backupId) chosen = withDump.find((m) => m.backupId === input.backupId);
      else if (input.pointInTime) chosen = withDump.filter((m) => backupTime(m.backupId).getTime() <= Date.parse(input.pointInTime!)).pop();
      else chosen = withDump[withDump.length - 1];
      if (!chosen) {
        throw fail('ConfigInvalid', `backup: no verified backup with a dump matches ${JSON.stringify(input)} in ${root}`);
      }
      // Config as it was at that backup: the newest config part not newer than it.
      const configSource = catalog.manifests.filter((m) => m.parts.includes('config') && m.backupId <= chosen.backupId).pop() ?? latestGood(catalog, 'config');
      await leasedOrChooseAgain(root, 'recovery', { backupIds: [chosen.backupId, ...(configSource ? [configSource.backupId] : [])] });
      return {
        backupId: chosen.backupId,
        takenAt: chosen.startedAt,
        dump: chosen.database!.artifact,
        tables: chosen.database!.tables,
        config: configSource?.config.map((c) => c.artifact) ?? [],
      };
    },

    /** Before step 1, before anything is written: the target is empty and is not the source. */
    async drCheckTarget(input: { target: Target; overwrite: boolean }): Promise<string> {
      const bucket = input.target.s3 ? await (await openTargetBucket(deps, input.target.s3)).prepare() : undefined;
      const checked = await checkRecoveryTarget(config.source, input.target, input.overwrite, bucket?.entries);
      return bucket?.created ? `bucket ${input.target.s3!.bucket} created; ${checked}` : checked;
    },

    /** Step 1: copy the app, restore .env and the compose file, create the storage (a directory) and import folders. */
    async drPrepare(input: { target: Target; config: Artifact[] }): Promise<string> {
      const t = input.target;
      await mkdir(t.appDir, { recursive: true });
      if (t.appSource) await runArgv(['rsync', '--archive', `${t.appSource.replace(/\/+$/, '')}/`, `${t.appDir}/`], t.appDir);
      const restored: string[] = [];
      for (const artifact of input.config) {
        const name = artifact.path.replace(/^config\//, '').replace(/\.\d{8}_\d{6}(\.gpg)?$/, '');
        const chunks: Buffer[] = [];
        await withPlaintext(artifact, async (stream) => {
          for await (const c of stream) chunks.push(c as Buffer);
        });
        const content = Buffer.concat(chunks);
        const sha = createHash('sha256').update(content).digest('hex');
        if (sha !== artifact.plaintextSha256) throw fail('VerificationFailed', `${artifact.path}: decrypted content does not match the manifest`);
        await writeFileDurable(join(t.appDir, name), content);
        restored.push(name);
      }
      const overrides = await writeRecoveryEnvironment(t);
      if (t.storageRoot) await mkdir(t.storageRoot, { recursive: true });
      await mkdir(t.importDir ?? join(t.appDir, 'import'), { recursive: true });
      return `restored ${restored.join(', ') || 'no config files'} into ${t.appDir}${overrides.length ? `; ${RECOVERY_ENV_FILE} sets ${overrides.join(', ')}` : ''}`;
    },

    /**
     * Step 2: start the database and wait until it accepts connections (polled, no fixed sleep);
     * then, unless `overwrite`, make sure it holds no tables a restore would clobber.
     */
    async drStartDatabase(input: { target: Target; overwrite?: boolean }): Promise<string> {
      const ready = await startAndWait(input.target, input.target.startDatabase, 'startDatabase', 'accepting connections', async () => {
        try {
          await psql(input.target, 'select 1');
          return true;
        } catch (err) {
          if ((err as { type?: string }).type === 'DatabaseAuthFailed') throw err; // up, but refusing us: waiting cannot help
          return false;
        }
      });
      if (input.overwrite) return ready;
      const tables = (await psql(input.target, "select schemaname || '.' || tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema') order by 1")).map((r) => r[0] as string);
      if (tables.length) {
        throw fail('ConfigInvalid', `target database ${input.target.database.database} is not empty (${tables.length} tables: ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', ...' : ''}); restore into an empty database, or set "overwrite": true in the input`);
      }
      return `${ready}; the database is empty`;
    },

    /** Step 3: pg_restore the dump in one transaction, then compare row counts with the manifest. */
    async drRestoreDatabase(input: { target: Target; backup: DumpChoice }): Promise<string> {
      let bytes = 0;
      await withHeartbeat(
        (): HeartbeatProgress => ({ step: 'restoreDatabase', bytesDone: bytes, bytesTotal: input.backup.dump.plaintextBytes }),
        () => withPlaintext(input.backup.dump, (stream) => restoreInto(input.target, stream, (n) => (bytes += n))),
      );
      await checkRowCounts(input.target, input.backup.tables, 'manifest');
      return `${bytes} bytes restored; ${Object.keys(input.backup.tables).length} tables with the manifest's row counts`;
    },

    /**
     * Step 3 for `backup.walTo`: the database recovered to that moment in a scratch cluster
     * (activities/dr-wal-restore.ts), streamed into the target the way a dump is restored, row
     * counts compared with the scratch's; the scratch cluster is gone when this returns or fails.
     */
    async drRecoverDatabase(input: { target: Target; wal: WalChoice }): Promise<DatabaseRecovery> {
      const workflowId = currentWorkflowId() ?? 'recovery';
      let phase = 'choose the base backup';
      let bytes = 0;
      return withHeartbeat(
        (): HeartbeatProgress & { phase: string } => ({ step: 'restoreDatabase', phase, bytesDone: bytes }),
        () =>
          scratch.withRecovered(input.wal, workflowId, (p) => (phase = p), async (db) => {
            phase = 'copy the recovered database into the target';
            const tables = await tableRowCounts(commands, db.db, db.password);
            const dump = await scratch.dump(db);
            // pg_dump's failure first: a dump cut short makes pg_restore fail too, less clearly.
            const [restored, dumped] = await Promise.allSettled([restoreInto(input.target, dump.stream, (n) => (bytes += n)), dump.finish()]);
            if (dumped.status === 'rejected') throw dumped.reason;
            if (restored.status === 'rejected') throw restored.reason;
            await checkRowCounts(input.target, tables, 'recovered database');
            const { recovered } = db;
            return {
              summary: `recovered to ${recovered.reachedAt ?? 'the base backup (no transaction replayed)'} (target ${input.wal.to}) from base backup ${recovered.baseBackup} and ${recovered.walSegments} WAL segment(s) in a scratch cluster; ${bytes} bytes restored; ${Object.keys(tables).length} tables with the recovered row counts`,
              baseBackup: recovered.baseBackup,
              ...(recovered.reachedAt ? { reachedAt: recovered.reachedAt } : {}),
            };
          }),
      );
    },

    /**
     * Step 4: copy the originals and thumbnails back (into a directory reading each file once and
     * hashing it as it is written, or into a bucket through the S3 API), then check every live
     * row's original against images.file_hash and its thumbnail. A rerun after a worker restart
     * copies only what is not in place, and the check resumes from the last heartbeat.
     */
    async drRestoreImages(input: { target: Target; workflowId?: string; asOf?: string }): Promise<ImageRestoreResult> {
      const t = input.target;
      const state = previousProgress<{ copied: boolean; index: number; missing: BoundedNames; corrupt: BoundedNames; rebuilt: BoundedNames }>() ?? {
        copied: false,
        index: 0,
        missing: noNames(),
        corrupt: noNames(),
        rebuilt: noNames(),
      };
      // Every name, one `kind<TAB>path` line each, beside the DR report; the payload keeps counts.
      const listFile = layout.drImageList(input.workflowId ?? 'recovery');
      const bucket = t.s3 ? await openTargetBucket(deps, t.s3) : undefined;
      const copying: MirrorCopyProgress = { filesDone: 0, bytesDone: 0 };
      let rows: LiveRow[] = [];
      return withHeartbeat(
        (): HeartbeatProgress => ({ ...state, step: 'restoreImages', bytesDone: copying.bytesDone, filesDone: state.index, ...(rows.length ? { filesTotal: rows.length } : {}) }),
        async () => {
          const rule = await thumbnailRule(t);
          // The size only where it is checked: an object's listing gives it, a file's hash is enough.
          rows = (await psql(t, `select storage_path, file_hash, thumbnail_path${bucket ? ', file_size_bytes' : ''} from images where deleted_at is null order by storage_path`)) as LiveRow[];
          let copied: ReadonlyMap<string, string> = new Map();
          const layers = await imageLayers(input.asOf);
          if (!state.copied) {
            // rclone copy is itself resumable, and so is the directory copy: a rerun after a lost
            // worker copies only what is missing.
            if (bucket) for (const layer of layers) await bucket.restoreFrom(join(root, layer));
            else copied = await copyIntoDirectory(t.storageRoot!, layers, rows, copying);
            await rm(join(root, listFile), { force: true });
            state.copied = true;
          }
          await ensureDir(join(root, dirname(listFile)));
          const chunkSize = bucket ? CHECK_CHUNK.bucket : CHECK_CHUNK.directory;
          // Checked a chunk at a time; the heartbeat's index resumes a chunk.
          while (state.index < rows.length) {
            const chunk = rows.slice(state.index, state.index + chunkSize);
            const verdicts: Verdict[] = bucket ? await bucketVerdicts(bucket, chunk, rule) : await directoryVerdicts(t.storageRoot!, chunk, rule, copied);
            const lines: string[] = [];
            const note = (list: BoundedNames, kind: string, path: string) => {
              addName(list, path);
              lines.push(`${kind}\t${path}\n`);
            };
            chunk.forEach(([path, , thumbnailPath], i) => {
              const v = verdicts[i]!;
              if (v.original !== 'ok') note(v.original === 'missing' ? state.missing : state.corrupt, v.original, path);
              if (v.thumbnail === 'missing') note(state.missing, 'missing', thumbnailPath);
              if (v.thumbnail === 'rebuilt') note(state.rebuilt, 'rebuilt', thumbnailPath);
            });
            // A chunk re-checked after a lost worker appends its lines again: the file is de-duplicated at the end.
            if (lines.length) await appendFile(join(root, listFile), lines.join(''), { mode: 0o600 });
            state.index += chunk.length;
          }
          const listed = state.missing.count + state.corrupt.count + state.rebuilt.count > 0;
          if (listed) {
            const unique = [...new Set((await readFile(join(root, listFile), 'utf8')).split('\n').filter(Boolean))];
            await writeFileDurable(join(root, listFile), `${unique.join('\n')}\n`);
          }
          return {
            checked: rows.length,
            missing: state.missing.first,
            corrupt: state.corrupt.first,
            thumbnailsRebuilt: state.rebuilt.first,
            missingCount: state.missing.count,
            corruptCount: state.corrupt.count,
            thumbnailsRebuiltCount: state.rebuilt.count,
            ...(listed ? { listFile } : {}),
            ...(input.asOf ? { increments: layers.slice(1) } : {}),
          };
        },
      );
    },

    /** Step 5: start the app and wait for /health to answer {"status":"ok"}. */
    async drStartApp(input: { target: Target }): Promise<string> {
      return startAndWait(input.target, input.target.startApp, 'startApp', 'healthy', async () => {
        const res = await fetch(new URL('/health', input.target.appUrl), { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
        return Boolean(res?.ok && ((await res.json()) as { status?: string }).status === 'ok');
      });
    },

    /** Step 6: the checklist items that need the running app, asked of its real API. */
    async drVerify(input: { target: Target; importWaitMs: number }): Promise<ChecklistItem[]> {
      const t = input.target;
      return verifyRecoveredApp({
        appUrl: t.appUrl,
        admin: { username: t.admin.username, password: await secrets.resolve(t.admin.password, 'target.admin.password') },
        removeStored: async (keys) => {
          if (t.s3) await (await openTargetBucket(deps, t.s3)).remove(keys.flatMap((k) => bucketKey(k) ?? []));
          else for (const key of keys) await rm(join(t.storageRoot!, key), { force: true });
        },
        importDir: t.importDir ?? join(t.appDir, 'import'),
        importWaitMs: input.importWaitMs,
        query: (sql) => psql(t, sql),
      });
    },

    /**
     * Stops what the runbook started (abort, cancellation), and a scratch cluster a lost worker left
     * behind (`wal`); each command runs even if one fails.
     */
    async drStop(input: { target: Target; wal?: WalChoice }): Promise<string[]> {
      const errors: string[] = [];
      if (input.wal) await scratch.discard(input.wal, currentWorkflowId() ?? 'recovery').catch((err: Error) => errors.push(`scratch cluster: ${err.message}`));
      for (const argv of input.target.stop) {
        await runArgv(argv, input.target.appDir).catch((err: Error) => errors.push(`${argv.join(' ')}: ${err.message}`));
      }
      return errors;
    },

    /** Writes the report as JSON and Markdown next to the backups (repository/dr-reports.ts). */
    async drWriteReport(input: { workflowId: string; json: unknown; markdown: string }): Promise<string> {
      return writeDrReport(root, input.workflowId, input.json, input.markdown);
    },
  };
}
