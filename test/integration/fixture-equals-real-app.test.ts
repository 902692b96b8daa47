// Covers: fixtures/promptbox.ts, fixtures/schema.ts (promptbox-upstream/schema.sql),
// fixtures/metadata.ts, fixtures/png.ts against the real Prompt Box binary (fixtures/real-app.ts):
// the fixture most backup tests and the demo run on may stand in for the app only because these
// prove it equals what the app itself makes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import bcrypt from 'bcryptjs';
import sharp from 'sharp';
import { freePort } from '../../local/ports.js';
import { startPostgresCluster, type PostgresCluster } from '../../local/postgres-cluster.js';
import { createPromptBox, seededRandom, type PromptBoxFixture } from '../../fixtures/promptbox.js';
import { renderPng, renderThumbnailWebp } from '../../fixtures/png.js';
import { thumbnailDimensions } from '../../core/thumbnail-rule.js';
import { startRealPromptBox, type RealApp } from '../../fixtures/real-app.js';
import { clusterRows, promptboxBinary, waitUntil } from '../../fixtures/real-promptbox.js';
import { dumpSchema } from '../../fixtures/schema.js';
import { scratchDir } from '../scratch.js';

let dir: string;
let cluster: PostgresCluster;
let fixture: PromptBoxFixture;
/** The real app on a database it migrated itself, with its own storage and import folders. */
let real: RealApp;
const realStorage = () => join(dir, 'real', 'storage');
const realImport = () => join(dir, 'real', 'import');
const cleanups: Array<() => Promise<void>> = [];

const rows = (database: string, query: string) => clusterRows(cluster, database, query);

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

/** Drops a file into the real app's watched folder whole (written aside, then renamed in). */
async function dropForImport(name: string, bytes: Buffer): Promise<void> {
  const aside = join(dir, 'real', `incoming-${randomBytes(4).toString('hex')}`);
  await writeFile(aside, bytes);
  await rename(aside, join(realImport(), name));
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** The first chunk of a WebP file: `VP8 ` lossy, `VP8L` lossless, `VP8X` extended. */
const webpKind = (bytes: Buffer) => `${bytes.toString('latin1', 0, 4)}/${bytes.toString('latin1', 8, 12)}/${bytes.toString('latin1', 12, 16)}`;

before(async () => {
  promptboxBinary(); // a missing binary fails every test here with how to build it
  dir = scratchDir('pbb-fixture-real-');
  await chmod(dir, 0o711); // the cluster runs as `postgres` when we are root: it must reach its directory
  cluster = await startPostgresCluster({ dir: join(dir, 'pg'), port: await freePort(), superPassword: randomBytes(12).toString('hex'), major: 16 });
  cleanups.push(() => cluster.stop());
  // Larger than a thumbnail, so thumbnails are shrunk; ten images: all three tools and one in the trash.
  fixture = await createPromptBox({ dir: join(dir, 'fixture'), cluster, images: 10, imageSize: 320, seed: 11 });

  await rows('postgres', "create role promptbox_real login password 'real-app'");
  await rows('postgres', 'create database promptbox_real owner promptbox_real');
  await mkdir(realStorage(), { recursive: true });
  await mkdir(realImport(), { recursive: true });
  real = await startRealPromptBox({
    databaseUrl: `postgres://promptbox_real:real-app@127.0.0.1:${cluster.port}/promptbox_real`,
    storagePath: realStorage(),
    importPath: realImport(),
    port: await freePort(),
    adminPasswordHash: bcrypt.hashSync('real-admin', 8),
    logFile: join(dir, 'real', 'promptbox.log'),
  });
  cleanups.push(() => real.stop());
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('a fixture database has the schema and the migration ledger the real app gives a database it migrates', async () => {
  const schema = await dumpSchema(cluster, fixture.database.name);
  assert.match(schema, /CREATE TABLE public\.images \(/);
  assert.equal(schema, await dumpSchema(cluster, 'promptbox_real'));
  const ledger = 'select version, description, success, encode(checksum, \'hex\') from _sqlx_migrations order by version';
  const realLedger = await rows('promptbox_real', ledger);
  assert.ok(realLedger.length >= 5, JSON.stringify(realLedger));
  assert.deepEqual(await rows(fixture.database.name, ledger), realLedger);
});

test('images the real app imports get the rows, paths, hashes and thumbnails the fixture gives its own', async () => {
  // One original of each tool the fixture writes (A1111, ComfyUI, NovelAI), dropped in under its name.
  const picked = await rows(fixture.database.name, 'select file_hash, storage_path, original_filename from images where deleted_at is null order by created_at limit 3');
  assert.deepEqual((await rows(fixture.database.name, 'select distinct source_tool from images order by 1')).flat(), ['a1111', 'comfyui', 'novelai']);
  for (const [, storagePath, filename] of picked) await dropForImport(filename as string, await readFile(join(fixture.storageRoot, storagePath as string)));
  await waitUntil('the real app to import 3 images', 60_000, async () => Number((await rows('promptbox_real', 'select count(*) from images'))[0]?.[0]) === 3 && (await readdir(realImport())).length === 0);

  // What the import derives (paths, hash, size, dimensions, every parsed metadata column),
  // leaving out the id, the times and what a user edits afterwards.
  const imported = (database: string, hash: string) =>
    rows(database, `select to_jsonb(i) - 'id' - 'created_at' - 'updated_at' - 'deleted_at' - 'rating' - 'is_favorite' - 'needs_improvement' - 'user_tags' - 'user_memo' from images i where file_hash = '${hash}'`);
  for (const [hash, storagePath] of picked) {
    const [[realRow]] = (await imported('promptbox_real', hash as string)) as [[string]];
    assert.deepEqual(JSON.parse((await imported(fixture.database.name, hash as string))[0]![0]!), JSON.parse(realRow), `row of ${storagePath}`);
    const original = await readFile(join(realStorage(), storagePath as string));
    assert.equal(sha256(original), hash, 'file_hash is the sha256 of the original');
    assert.deepEqual(original, await readFile(join(fixture.storageRoot, storagePath as string)));
  }

  // The same storage layout: `ab/cd/<sha>.png` and `thumbnails/ab/cd/<sha>.webp` from the root.
  const layoutOf = (hash: string) => [`${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}.png`, `thumbnails/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}.webp`];
  assert.deepEqual(await filesUnder(realStorage()), picked.flatMap(([hash]) => layoutOf(hash as string)).sort());
  const fixtureFiles = await filesUnder(fixture.storageRoot);
  assert.deepEqual(fixtureFiles, fixture.images.flatMap((img) => layoutOf(img.fileHash)).sort());
  assert.deepEqual(fixtureFiles, (await rows(fixture.database.name, 'select storage_path from images union all select thumbnail_path from images')).flat().sort());

  // Thumbnails: lossy WebP of the same geometry (300×300 for these 320×320 originals).
  for (const [hash] of picked) {
    const [, thumb] = layoutOf(hash as string) as [string, string];
    const [ours, theirs] = [await readFile(join(fixture.storageRoot, thumb)), await readFile(join(realStorage(), thumb))];
    assert.equal(webpKind(ours), webpKind(theirs));
    assert.equal(webpKind(theirs), 'RIFF/WEBP/VP8 ');
    const [a, b] = [await sharp(ours).metadata(), await sharp(theirs).metadata()];
    assert.deepEqual([a.format, a.width, a.height], [b.format, b.width, b.height]);
    assert.deepEqual([b.width, b.height], [300, 300]);
  }
});

test("the fixture's thumbnails fit inside 300×300 like the app's: wide and tall shrink with the app's rounding, small ones are never enlarged", async () => {
  const shapes = [[640, 200], [150, 401], [200, 120]] as const;
  const random = seededRandom(5);
  const pngs = await Promise.all(shapes.map(([w, h]) => renderPng(w, h, random)));
  for (const [i, png] of pngs.entries()) await dropForImport(`shape-${i}.png`, png);
  const hashes = pngs.map(sha256);
  await waitUntil('the real app to import the shapes', 60_000, async () => Number((await rows('promptbox_real', `select count(*) from images where file_hash in (${hashes.map((h) => `'${h}'`).join(', ')})`))[0]?.[0]) === shapes.length);
  for (const [i, png] of pngs.entries()) {
    const [[thumbPath]] = (await rows('promptbox_real', `select thumbnail_path from images where file_hash = '${hashes[i]}'`)) as [[string]];
    const theirs = await sharp(await readFile(join(realStorage(), thumbPath))).metadata();
    const ours = await sharp(await renderThumbnailWebp(png)).metadata();
    const [w, h] = shapes[i]!;
    assert.deepEqual([ours.format, ours.width, ours.height], ['webp', theirs.width, theirs.height], `${w}x${h}`);
    assert.deepEqual({ width: theirs.width, height: theirs.height }, thumbnailDimensions(w, h));
  }
  assert.deepEqual(shapes.map(([w, h]) => thumbnailDimensions(w, h)), [{ width: 300, height: 94 }, { width: 112, height: 299 }, { width: 200, height: 120 }]);
});

test('the real app takes a fixture as its own library: no migration to apply, the admin logs in, images and files are served', async () => {
  const envText = await readFile(fixture.envFile, 'utf8');
  const hash = /^ADMIN_PASSWORD_HASH='(\$2[aby]\$\d\d\$.{53})'$/m.exec(envText)?.[1];
  assert.ok(hash, `a bcrypt ADMIN_PASSWORD_HASH in ${envText.replace(/=.*/g, '=…')}`);
  await mkdir(join(dir, 'fixture-import'), { recursive: true });
  const app = await startRealPromptBox({
    databaseUrl: `postgres://${fixture.database.user}:${fixture.database.password}@127.0.0.1:${cluster.port}/${fixture.database.name}`,
    storagePath: fixture.storageRoot,
    importPath: join(dir, 'fixture-import'),
    port: await freePort(),
    adminPasswordHash: hash,
    logFile: join(dir, 'fixture-app.log'),
  });
  try {
    const login = await fetch(`${app.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: fixture.secrets.adminPassword }) });
    assert.equal(login.status, 200, await login.clone().text());
    const cookie = login.headers.get('set-cookie')?.match(/session=[^;]+/)?.[0] ?? '';
    const get = (path: string) => fetch(`${app.url}${path}`, { headers: { cookie } });

    const list = (await (await get('/api/images?per_page=120')).json()) as { total: number; items: Array<{ id: string }> };
    const live = fixture.images.filter((img) => !img.deleted);
    assert.equal(list.total, live.length);
    assert.deepEqual(list.items.map((i) => i.id).sort(), live.map((img) => img.id).sort());

    const sample = live[1]!;
    const [[prompt]] = (await rows(fixture.database.name, `select positive_prompt from images where id = '${sample.id}'`)) as [[string]];
    const detail = (await (await get(`/api/images/${sample.id}`)).json()) as { positive_prompt: string; raw_metadata: unknown };
    assert.equal(detail.positive_prompt, prompt);
    assert.ok(detail.raw_metadata, 'metadata readable');
    for (const path of [sample.storagePath, sample.thumbnailPath]) {
      const served = await get(`/storage/${path}`);
      assert.equal(served.status, 200, path);
      assert.deepEqual(Buffer.from(await served.arrayBuffer()), await readFile(join(fixture.storageRoot, path)), path);
    }
    assert.equal(Number((await rows(fixture.database.name, 'select count(*) from _sqlx_migrations'))[0]?.[0]), 5, 'the app applied nothing');
  } finally {
    await app.stop();
  }
});

test("the fixture's .env sets every variable its docker-compose.yml (Prompt Box's own) needs", async () => {
  const compose = await readFile(fixture.composeFile, 'utf8');
  const required = [...new Set([...compose.matchAll(/(?<!\$)\$\{([A-Z_]+)\}/g)].map((m) => m[1] as string))].sort();
  assert.ok(required.includes('ADMIN_PASSWORD_HASH') && required.includes('DB_PASSWORD'), required.join(' '));
  const env = await readFile(fixture.envFile, 'utf8');
  const set = new Set([...env.matchAll(/^([A-Z_]+)=./gm)].map((m) => m[1]));
  assert.deepEqual(required.filter((name) => !set.has(name)), []);
  assert.match(env, /^STORAGE_BACKEND=fs$/m);
});
