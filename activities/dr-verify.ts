// DR step 6: the checklist items that need the running app, asked of the real Prompt Box API and
// compared with the restored database: login, the whole listing paged through, one original's
// bytes against file_hash, its metadata, every live image's thumbnail, and a new image imported
// through the watched folder. What it sees is judged by core/checklist-verdicts.ts. An unexpected
// answer fails its item with what was received; it never fails the step. The probe image is
// removed again, whatever happened.
import { createHash, randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ChecklistItem, ChecklistItemName } from '../core/checklist.js';
import { checklistVerdicts, type Observation, type ObservationOf, type Observations } from '../core/checklist-verdicts.js';
import { ensureDir } from '../repository/fs-durable.js';
import { withHeartbeat } from './heartbeat.js';
import { encodePng } from './image-codec.js';
import { inPool } from './pool.js';
import { AppAnswerError, PromptBoxApi } from './promptbox-api.js';

export interface VerifyContext {
  appUrl: string;
  admin: { username: string; password: string };
  /** Removes objects from the restored storage (a directory or a bucket); absent ones are no error. */
  removeStored: (keys: string[]) => Promise<void>;
  importDir: string;
  importWaitMs: number;
  /** Rows of a query against the restored database. */
  query: (sql: string) => Promise<string[][]>;
}

/** Between two looks for the imported probe image: the runbook's clock runs meanwhile. */
const POLL_MS = 100;
/**
 * Thumbnails fetched at once: the app streams them outside its API concurrency limit, and each
 * answer waits on its storage more than on a core (400 thumbnails: 2.8 s four at a time, 0.7 s
 * sixteen at a time, on 2 cores).
 */
const THUMBNAIL_PARALLELISM = 16;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
const isWebp = (bytes: Buffer) => bytes.length > 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Runs a probe; an unexpected answer (or any error) fails its item, with what was received. */
async function probe<K extends ChecklistItemName>(item: K, observe: () => Promise<Observations[K]>): Promise<ObservationOf<K>> {
  try {
    return { item, observed: await observe() };
  } catch (err) {
    return { item, observed: { failed: err instanceof AppAnswerError ? err.message : `check failed: ${(err as Error).message}` } };
  }
}

export async function verifyRecoveredApp(ctx: VerifyContext): Promise<ChecklistItem[]> {
  const api = new PromptBoxApi(ctx.appUrl);
  const seen: Observation[] = [];
  seen.push(await probe('login works', async () => ({ answer: await api.login(ctx.admin.username, ctx.admin.password) })));

  const live = (await ctx.query('select id, storage_path, thumbnail_path, file_hash from images where deleted_at is null order by id')).map(([id, storagePath, thumbnailPath, fileHash]) => ({
    id: id as string,
    storagePath: storagePath as string,
    thumbnailPath: thumbnailPath as string,
    fileHash: fileHash as string,
  }));

  seen.push(
    await probe('images listed', async () => {
      const { items: listed, total, pages } = await api.listAll();
      const ids = new Set(listed.map((i) => i.id));
      return { pages, listed: ids.size, total, liveRows: live.length, notListed: live.filter((row) => !ids.has(row.id)).map((row) => row.id) };
    }),
  );

  // The sample: a live image with a prompt, so metadata has something to show.
  const [sample] = (await ctx.query('select id, positive_prompt, raw_metadata::text from images where deleted_at is null order by positive_prompt is null, id limit 1')).map(([id, prompt, raw]) => ({
    id: id as string,
    prompt: prompt === '' ? null : (prompt as string),
    raw: raw ? (JSON.parse(raw) as unknown) : null,
  }));
  const sampleRow = live.find((row) => row.id === sample?.id);
  if (!sample || !sampleRow) {
    const none = { skipped: 'the restored database has no live image' };
    seen.push({ item: 'image served byte-identical', observed: none }, { item: 'metadata readable', observed: none });
  } else {
    seen.push(
      await probe('image served byte-identical', async () => {
        const bytes = await api.storage(sampleRow.storagePath);
        return { storagePath: sampleRow.storagePath, bytes: bytes.length, sha256: sha256(bytes), fileHash: sampleRow.fileHash };
      }),
    );
    seen.push(
      await probe('metadata readable', async () => {
        const detail = await api.detail(sample.id);
        return {
          imageId: sample.id,
          positivePrompt: detail.positive_prompt,
          rawMetadata: Boolean(detail.raw_metadata),
          asInDatabase: detail.positive_prompt === sample.prompt && isDeepStrictEqual(detail.raw_metadata ?? null, sample.raw),
          fileHashMatches: detail.file_hash === sampleRow.fileHash,
        };
      }),
    );
  }

  seen.push(
    await probe('thumbnails served', async () => {
      const problems: string[] = [];
      await inPool(live, THUMBNAIL_PARALLELISM, async (row) => {
        try {
          if (!isWebp(await api.storage(row.thumbnailPath))) problems.push(`${row.thumbnailPath}: not a WebP image`);
        } catch (err) {
          problems.push((err as Error).message);
        }
      });
      return { live: live.length, problems };
    }),
  );

  seen.push(await importProbe(ctx, api));
  return checklistVerdicts(seen);
}

/** A new, unique PNG dropped into the watched folder must be imported and served; then removed. */
async function importProbe(ctx: VerifyContext, api: PromptBoxApi): Promise<Observation> {
  const png = await encodePng(randomBytes(32 * 32 * 3), 32, 32);
  const hash = sha256(png);
  const dropped = join(ctx.importDir, `promptbox-backup-verify-${hash.slice(0, 12)}.png`);
  const findRow = async () => (await ctx.query(`select id, storage_path, thumbnail_path from images where file_hash = ${literal(hash)}`))[0] as [string, string, string] | undefined;
  let row: [string, string, string] | undefined;
  try {
    return await probe('new image imported', async () => {
      await ensureDir(ctx.importDir);
      // Written aside and renamed in would need a second name in the watched folder; the app
      // waits for a file to stop growing before importing it, so one write is safe.
      await writeFile(dropped, png);
      const deadline = Date.now() + ctx.importWaitMs;
      await withHeartbeat(
        () => ({ step: 'verify', waitingForImport: hash }),
        async () => {
          while (!(row = await findRow()) && Date.now() < deadline) await sleep(POLL_MS);
        },
      );
      const probed = { hash, importDir: ctx.importDir, waitedMs: ctx.importWaitMs };
      if (!row) return probed;
      const servedSha256 = sha256(await api.storage(row[1]));
      const thumbnail = await api.storage(row[2]);
      return { ...probed, imported: { id: row[0], servedSha256, thumbnailWebp: isWebp(thumbnail) } };
    });
  } finally {
    row ??= await findRow().catch(() => undefined);
    await removeProbe(ctx, api, dropped, row);
  }
}

/** The probe leaves no trace: its row (through the app when logged in), its objects, its events, its file. */
async function removeProbe(ctx: VerifyContext, api: PromptBoxApi, dropped: string, row: [string, string, string] | undefined): Promise<void> {
  await rm(dropped, { force: true });
  if (!row) return;
  const [id, storagePath, thumbnailPath] = row;
  // The app's permanent delete removes the row and both objects, in a directory or a bucket alike.
  const deletedByApp = api.loggedIn && (await api.deletePermanently(id).then(() => true, () => false));
  // Without a session (or if the app refused), as the app would have done it.
  await ctx.query(`delete from images where id = ${literal(id)}`);
  await ctx.query(`delete from image_events where image_id = ${literal(id)}`);
  if (!deletedByApp) await ctx.removeStored([storagePath, thumbnailPath]);
}
