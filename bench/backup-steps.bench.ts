// Benchmark: each backup step against the raw tool it drives, measured in the same run on the
// same data, printed as ratios (ours / raw). No thresholds: timings belong here, not in tests.
//
//   node --import tsx bench/backup-steps.bench.ts [--images 2000] [--size 256]
//
// Starts a throwaway PostgreSQL cluster, generates a stand-in Prompt Box with N images, then times:
//   dump     dumpDatabase (stream, hash, fsync, rename)  vs  pg_dump -Fc > file
//   images   syncImages (rsync + hash of copied files)    vs  rsync -a
//   verify   integrity re-hash of the mirror              vs  sha256sum of every file
import { mkdtemp, rm, writeFile, chmod, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import pino from 'pino';
import { createActivityDeps } from '../activities/deps.js';
import { createPostgresActivities } from '../activities/postgres.js';
import { createRsyncActivities } from '../activities/rsync.js';
import { sha256File } from '../activities/hash.js';
import { parseConfig } from '../config/load.js';
import { freePort } from '../client/local/ports.js';
import { startPostgresCluster } from '../client/local/postgres-cluster.js';
import { createPromptBox } from '../fixtures/promptbox.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '2000' }, size: { type: 'string', default: '256' } } });

async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; rssMb: number }> {
  const t0 = process.hrtime.bigint();
  await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rssMb: process.memoryUsage().rss / 2 ** 20 };
}

const dir = await mkdtemp(join(tmpdir(), 'pbb-bench-'));
await chmod(dir, 0o711);
const cluster = await startPostgresCluster({ dir: join(dir, 'pg'), port: await freePort(), superPassword: 'bench' });
try {
  const t0 = Date.now();
  const fixture = await createPromptBox({ dir, cluster, images: Number(values.images), imageSize: Number(values.size) });
  console.log(`fixture: ${fixture.images.length} images in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await writeFile(join(dir, 'pw'), fixture.database.password);
  const config = parseConfig(
    {
      source: {
        name: 'bench',
        database: { transport: 'direct', host: cluster.host, port: cluster.port, user: fixture.database.user, database: fixture.database.name, password: { file: join(dir, 'pw') } },
        storage: { root: fixture.storageRoot },
      },
      repository: { root: join(dir, 'repo') },
    },
    'bench',
    {},
  );
  const deps = createActivityDeps(config, pino({ level: 'silent' }));
  const env = { PGPASSWORD: fixture.database.password };
  const rows: Array<[string, number, number, number]> = [];

  const raw = await timed(() => execa('pg_dump', ['-Fc', '-h', cluster.host, '-p', String(cluster.port), '-U', fixture.database.user, '-f', join(dir, 'raw.dump'), fixture.database.name], { env }));
  const ours = await timed(() => createPostgresActivities(deps).dumpDatabase({ backupId: '20261129_030000' }));
  rows.push(['dump', ours.ms, raw.ms, ours.rssMb]);

  const rawSync = await timed(() => execa('rsync', ['-a', '--exclude=/thumbnails/', `${fixture.storageRoot}/`, join(dir, 'raw-mirror/')]));
  const oursSync = await timed(() => createRsyncActivities(deps).syncImages({ backupId: '20261129_030000' }));
  rows.push(['images', oursSync.ms, rawSync.ms, oursSync.rssMb]);

  const mirror = join(config.repository.root, 'images/current');
  const files = (await readdir(mirror, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const rawHash = await timed(() => execa('sha256sum', files));
  const oursHash = await timed(async () => {
    for (const f of files) await sha256File(f);
  });
  rows.push(['verify (hash)', oursHash.ms, rawHash.ms, oursHash.rssMb]);

  console.log('\nstep            ours ms    raw ms   ratio   rss MB');
  for (const [step, o, r, rss] of rows) {
    console.log(`${step.padEnd(14)} ${o.toFixed(0).padStart(8)} ${r.toFixed(0).padStart(9)} ${(o / r).toFixed(2).padStart(7)} ${rss.toFixed(0).padStart(8)}`);
  }
} finally {
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
