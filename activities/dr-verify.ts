// DR step 6: the checklist items that need the running app, asked of the real Prompt Box API and
// compared with the restored database: login, the whole listing paged through, one original's
// bytes against file_hash, its metadata, every live image's thumbnail, and a new image imported
// through the watched folder. An unexpected answer fails its item with what was received; it
// never fails the step. The probe image is removed again, whatever happened.
import { createHash, randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ChecklistItem, ChecklistItemName } from '../core/checklist.js';
import { ensureDir } from './fs-durable.js';
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

const POLL_MS = 500;
/** Thumbnails fetched at once: the app streams them outside its API concurrency limit. */
const THUMBNAIL_PARALLELISM = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
const isWebp = (bytes: Buffer) => bytes.length > 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Runs a check; an unexpected answer (or any error) becomes that item's failure, with evidence. */
async function check(item: ChecklistItemName, run: () => Promise<{ pass: boolean; evidence: string }>): Promise<ChecklistItem> {
  try {
    const { pass, evidence } = await run();
    return { item, result: pass ? 'pass' : 'fail', evidence };
  } catch (err) {
    return { item, result: 'fail', evidence: err instanceof AppAnswerError ? err.message : `check failed: ${(err as Error).message}` };
  }
}

export async function verifyRecoveredApp(ctx: VerifyContext): Promise<ChecklistItem[]> {
  const api = new PromptBoxApi(ctx.appUrl);
  const items: ChecklistItem[] = [];
  items.push(await check('login works', async () => ({ pass: true, evidence: await api.login(ctx.admin.username, ctx.admin.password) })));

  const live = (await ctx.query('select id, storage_path, thumbnail_path, file_hash from images where deleted_at is null order by id')).map(([id, storagePath, thumbnailPath, fileHash]) => ({
    id: id as string,
    storagePath: storagePath as string,
    thumbnailPath: thumbnailPath as string,
    fileHash: fileHash as string,
  }));

  items.push(
    await check('images listed', async () => {
      const { items: listed, total, pages } = await api.listAll();
      const ids = new Set(listed.map((i) => i.id));
      const absent = live.filter((row) => !ids.has(row.id));
      return {
        pass: ids.size === live.length && total === live.length && absent.length === 0,
        evidence: `GET /api/images paged through ${pages} page(s): ${ids.size} images (total ${total}); the database has ${live.length} live rows${absent.length ? `; not listed: ${absent.slice(0, 5).map((r) => r.id).join(', ')}` : ''}`,
      };
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
    items.push({ item: 'image served byte-identical', result: 'skip', evidence: 'the restored database has no live image' });
    items.push({ item: 'metadata readable', result: 'skip', evidence: 'the restored database has no live image' });
  } else {
    items.push(
      await check('image served byte-identical', async () => {
        const bytes = await api.storage(sampleRow.storagePath);
        const sha = sha256(bytes);
        return { pass: sha === sampleRow.fileHash, evidence: `GET /storage/${sampleRow.storagePath}: ${bytes.length} bytes, sha256 ${sha.slice(0, 12)}…, images.file_hash ${sampleRow.fileHash.slice(0, 12)}…` };
      }),
    );
    items.push(
      await check('metadata readable', async () => {
        const detail = await api.detail(sample.id);
        const same = detail.positive_prompt === sample.prompt && isDeepStrictEqual(detail.raw_metadata ?? null, sample.raw);
        return {
          pass: same && detail.file_hash === sampleRow.fileHash && Boolean(detail.positive_prompt),
          evidence: `GET /api/images/${sample.id}: positive_prompt ${JSON.stringify(detail.positive_prompt)}, raw_metadata ${detail.raw_metadata ? 'present' : 'null'}${same ? ', as in the database' : '; the database has another value'}`,
        };
      }),
    );
  }

  items.push(
    await check('thumbnails served', async () => {
      const bad: string[] = [];
      await inPool(live, THUMBNAIL_PARALLELISM, async (row) => {
        try {
          if (!isWebp(await api.storage(row.thumbnailPath))) bad.push(`${row.thumbnailPath}: not a WebP image`);
        } catch (err) {
          bad.push((err as Error).message);
        }
      });
      return { pass: bad.length === 0, evidence: `${live.length - bad.length} of ${live.length} live images' thumbnails served as WebP${bad.length ? `; ${bad.slice(0, 5).join('; ')}` : ''}` };
    }),
  );

  items.push(await importProbe(ctx, api));
  return items;
}

/** A new, unique PNG dropped into the watched folder must be imported and served; then removed. */
async function importProbe(ctx: VerifyContext, api: PromptBoxApi): Promise<ChecklistItem> {
  const png = await encodePng(randomBytes(32 * 32 * 3), 32, 32);
  const hash = sha256(png);
  const dropped = join(ctx.importDir, `promptbox-backup-verify-${hash.slice(0, 12)}.png`);
  const findRow = async () => (await ctx.query(`select id, storage_path, thumbnail_path from images where file_hash = ${literal(hash)}`))[0] as [string, string, string] | undefined;
  let row: [string, string, string] | undefined;
  try {
    return await check('new image imported', async () => {
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
      if (!row) return { pass: false, evidence: `image ${hash.slice(0, 12)}… dropped into ${ctx.importDir} was not imported within ${ctx.importWaitMs / 1000}s` };
      const served = sha256(await api.storage(row[1]));
      const thumbnail = await api.storage(row[2]);
      return {
        pass: served === hash && isWebp(thumbnail),
        evidence: `image ${hash.slice(0, 12)}… dropped into ${ctx.importDir} was imported as ${row[0]}; its original served ${served === hash ? 'byte-identical' : `with sha256 ${served.slice(0, 12)}…`}, its thumbnail ${isWebp(thumbnail) ? 'as WebP' : 'not as WebP'}`,
      };
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
