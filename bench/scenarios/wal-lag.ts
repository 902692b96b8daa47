// Archive lag under a steady write load: issue 15's goal figure, database RPO ≤ 1 minute while the
// archiver runs. A PostgreSQL 16 source of its own (a replication role, a database with one table)
// takes `rate` small transactions a second for `seconds` seconds; the walArchiver workflow streams
// it on a worker process of our CLI, and every second the archive's lag is read as the health check
// and `pitr status` read it (walArchiveStatus, core/wal-lag.ts: time since the archive last got WAL,
// counted while the source has WAL the slot has not confirmed). The yardstick is pg_receivewal
// alone on the same load at the same time (--synchronous, its own slot, a plain directory), its lag
// taken by the same rule: what the orchestration (encrypting and recording segments, heartbeats)
// adds to the tool it drives.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { createActivityDeps } from '../../activities/deps.js';
import { createWalArchiverActivities } from '../../activities/wal-archiver.js';
import { readWalIndex } from '../../repository/wal-index.js';
import { freePort } from '../../local/ports.js';
import { postgresBinDir, startPostgresCluster } from '../../local/postgres-cluster.js';
import { parseConfig } from '../../config/load.js';
import { walArchiverWorkflowId } from '../../core/wal-archiver-id.js';
import { archiveLag } from '../../core/wal-lag.js';
import { startWorkerProcess, type BenchServices } from '../lib/environment.js';
import { seconds, type Row } from '../lib/row.js';

const NAME = 'wallag';
const TARGET_MS = 60_000;
const BASELINE_SLOT = 'bench_pg_receivewal';
/** How long the archiver and pg_receivewal get to connect and receive their first WAL. */
const START_TIMEOUT_MS = 120_000;

export interface WalLoad {
  /** Transactions a second. */
  rate: number;
  /** How long the load runs, and the lag is sampled. */
  seconds: number;
}

interface LagSample {
  lagMs: number;
  behindBytes?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), 0);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When anything in `dir` was last written: what pg_receivewal has received. */
async function lastWritten(dir: string): Promise<string | undefined> {
  const times = await Promise.all((await readdir(dir)).map(async (n) => (await stat(join(dir, n))).mtimeMs));
  return times.length ? new Date(Math.max(...times)).toISOString() : undefined;
}

async function until(what: string, ready: () => Promise<boolean>): Promise<void> {
  for (const end = Date.now() + START_TIMEOUT_MS; !(await ready()); await pause(500)) {
    if (Date.now() > end) throw new Error(`wal-lag: ${what} not within ${START_TIMEOUT_MS / 1000} s`);
  }
}

export async function walLagRow(s: BenchServices, load: WalLoad): Promise<Row> {
  const dir = join(s.dir, NAME);
  await mkdir(join(dir, 'images'), { recursive: true, mode: 0o711 });
  const cluster = await startPostgresCluster({ dir: join(dir, 'pg'), port: await freePort(), superPassword: randomBytes(12).toString('hex'), major: 16 });
  const bin = postgresBinDir(16);
  const password = randomBytes(12).toString('hex');
  const conn = ['-X', '-A', '-t', '-h', cluster.host, '-p', String(cluster.port)];
  const psql = (user: string, db: string, sql: string, pw = password) => execa(join(bin, 'psql'), [...conn, '-U', user, '-d', db, '-c', sql], { env: { PGPASSWORD: pw } });
  const asSuper = (sql: string) => psql('postgres', 'postgres', sql, cluster.superPassword);
  let receiver: ReturnType<typeof execa> | undefined;
  try {
    await asSuper(`create role archiver login replication password '${password}'`);
    await asSuper('create database app owner archiver');
    await psql('archiver', 'app', 'create table writes (id bigserial primary key, at timestamptz not null default clock_timestamp(), payload text not null)');

    const passwordFile = join(dir, 'db.password');
    const passphraseFile = join(dir, 'passphrase');
    await writeFile(passwordFile, password, { mode: 0o600 });
    await writeFile(passphraseFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
    const raw = {
      source: {
        name: NAME,
        database: { transport: 'direct', host: cluster.host, port: cluster.port, user: 'archiver', database: 'app', password: { file: passwordFile } },
        storage: { root: join(dir, 'images') },
      },
      repository: { root: join(dir, 'repo') },
      encryption: { enabled: true, passphraseFile },
      temporal: { address: s.temporal.address, namespace: 'default', taskQueue: `bench-${NAME}` },
      pitr: { enabled: true },
      logging: { level: 'warn', file: join(dir, 'worker.log') },
    };
    const configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(raw, null, 2), { mode: 0o600 });
    const config = parseConfig(raw, configFile);
    const archive = createWalArchiverActivities(createActivityDeps(config, pino({ level: 'silent' })));

    // The yardstick: pg_receivewal into a directory of its own, through a slot of its own.
    const baselineDir = join(dir, 'pg_receivewal');
    await mkdir(baselineDir, { recursive: true, mode: 0o700 });
    const replication = ['-w', '-h', cluster.host, '-p', String(cluster.port), '-U', 'archiver'];
    const env = { PGPASSWORD: password };
    await execa(join(bin, 'pg_receivewal'), [...replication, `--slot=${BASELINE_SLOT}`, '--create-slot', '--if-not-exists'], { env });
    receiver = execa(join(bin, 'pg_receivewal'), [...replication, '-D', baselineDir, `--slot=${BASELINE_SLOT}`, '--no-loop', '--synchronous'], { env, reject: false });
    const baselineLag = async (): Promise<LagSample> => {
      const { stdout } = await psql('archiver', 'app', `select pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) from pg_replication_slots where slot_name = '${BASELINE_SLOT}'`);
      const behindBytes = Math.max(0, Number(stdout.trim()));
      return archiveLag({ now: new Date().toISOString(), lastReceivedAt: await lastWritten(baselineDir), behindBytes }, TARGET_MS);
    };

    const worker = await startWorkerProcess({ name: NAME, configFile });
    const archiver = await s.client.workflow.start('walArchiver', { taskQueue: config.temporal.taskQueue, workflowId: walArchiverWorkflowId(NAME) });
    try {
      await until('the archiver received WAL', async () => (await archive.walArchiveStatus({ maxLagMs: TARGET_MS })).verdict !== 'never received');
      await until('pg_receivewal received WAL', async () => (await lastWritten(baselineDir)) !== undefined);

      // The load: one session committing a small transaction (a row of about 2 kB) `rate` times a second.
      const count = Math.round(load.rate * load.seconds);
      const started = Date.now();
      let loading = true;
      const writes = psql(
        'archiver',
        'app',
        `do $$ begin for i in 1..${count} loop insert into writes (payload) values (repeat(md5(random()::text), 60)); commit; perform pg_sleep(${1 / load.rate}); end loop; end $$`,
      ).finally(() => (loading = false));
      const ours: LagSample[] = [];
      const theirs: LagSample[] = [];
      while (loading) {
        const tick = Date.now();
        const [a, b] = await Promise.all([archive.walArchiveStatus({ maxLagMs: TARGET_MS }), baselineLag()]);
        ours.push(a);
        theirs.push(b);
        await pause(Math.max(0, 1000 - (Date.now() - tick)));
      }
      await writes;
      const loadMs = Date.now() - started;
      const segments = (await readWalIndex(config.repository.root)).records.size;
      const lags = (xs: LagSample[]) => xs.map((x) => x.lagMs);
      const behind = (xs: LagSample[]) => xs.flatMap((x) => (x.behindBytes === undefined ? [] : [x.behindBytes]));
      const oursMax = max(lags(ours));
      const kb = (n: number) => `${(n / 1024).toFixed(0)} kB`;
      return {
        scenario: `WAL archive lag under a steady write load (${load.rate} transactions/s of about 2 kB for ${load.seconds} s, PostgreSQL ${cluster.major})`,
        ours: `median ${seconds(median(lags(ours)))}, max ${seconds(oursMax)} behind (walArchiver on a worker; ${ours.length} samples, one a second; ${segments} WAL file(s) archived; behind by at most ${kb(max(behind(ours)))})`,
        baseline: `pg_receivewal --synchronous alone: median ${seconds(median(lags(theirs)))}, max ${seconds(max(lags(theirs)))} (behind by at most ${kb(max(behind(theirs)))})`,
        result: `max ${seconds(oursMax)}`,
        target: `≤ ${TARGET_MS / 1000} s (database RPO ≤ 1 minute)`,
        met: oursMax <= TARGET_MS,
        data: {
          transactions: count,
          loadMs,
          samples: ours.length,
          archivedFiles: segments,
          oursMedianLagMs: median(lags(ours)),
          oursMaxLagMs: oursMax,
          oursMaxBehindBytes: max(behind(ours)),
          baselineMedianLagMs: median(lags(theirs)),
          baselineMaxLagMs: max(lags(theirs)),
          baselineMaxBehindBytes: max(behind(theirs)),
        },
      };
    } finally {
      await archiver.terminate('benchmark over').catch(() => undefined);
      await worker.stop();
    }
  } finally {
    receiver?.kill('SIGINT');
    await receiver;
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
