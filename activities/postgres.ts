// Activities that drive the PostgreSQL client tools: the custom-format dump, the server version
// check, table row counts and the list of image files the database references.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { layout } from '../repository/layout.js';
import type { ActivityDeps } from './deps.js';
import { commitFile, ensureDir, temporaryNameFor } from '../repository/fs-durable.js';
import { fail } from './failure.js';
import { withHeartbeat } from './heartbeat.js';
import type { HeartbeatProgress } from '../core/progress.js';
import { pgCommand, type PgCommandOptions } from './pg-command.js';
import { classifyPgError, pgBinDirFor, psqlRows, tableRowCounts } from './psql.js';
import { parseClientVersion, parseServerVersionNum, type PgVersion } from '../core/pg-client-choice.js';

export interface DumpResult {
  /** Relative to the repository root, inside the run's staging area. */
  staged: string;
  plaintextSha256: string;
  plaintextBytes: number;
  serverVersion: string;
  pgDumpVersion: string;
  tables: Record<string, number>;
}

export interface LiveImage {
  storagePath: string;
  fileHash: string;
  bytes: number;
}

const LIVE_IMAGES_SQL = `select storage_path, file_hash, file_size_bytes from images where deleted_at is null order by storage_path`;

export function createPostgresActivities(deps: ActivityDeps) {
  const { config, commands, secrets } = deps;
  const db = config.source.database;
  const root = config.repository.root;

  async function password(): Promise<string | undefined> {
    return db.transport === 'direct' && db.password ? secrets.resolve(db.password, 'source.database.password') : undefined;
  }

  async function pg(tool: 'pg_dump', args: string[], opts: PgCommandOptions = {}) {
    const inv = pgCommand(db, tool, args, opts, await password());
    return { inv, runOpts: { env: inv.env, classify: classifyPgError } };
  }

  const query = async (sql: string) => psqlRows(commands, db, sql, await password());

  async function serverVersion(): Promise<PgVersion> {
    const rows = await query('show server_version_num');
    const version = parseServerVersionNum(rows[0]?.[0]);
    if (!version) throw fail('CommandFailed', `unexpected server_version_num: ${rows[0]?.[0]}`);
    return version;
  }

  /** The version of the pg_dump in `binDir` (direct) or in the container (docker). */
  async function pgDumpVersion(binDir: string | undefined): Promise<PgVersion> {
    const { inv } = await pg('pg_dump', ['--version'], { connect: false, binDir });
    const { stdout } = await commands.run(inv.file, inv.args);
    const version = parseClientVersion(stdout);
    if (!version) throw fail('CommandFailed', `cannot read pg_dump version from: ${stdout}`);
    return version;
  }

  return {
    /** Every live image row's file, for checking that the image copy covers the database. */
    async listLiveImages(): Promise<LiveImage[]> {
      const rows = await query(LIVE_IMAGES_SQL);
      return rows.map(([storagePath, fileHash, bytes]) => ({
        storagePath: storagePath as string,
        fileHash: fileHash as string,
        bytes: Number(bytes),
      }));
    },

    /** `pg_dump -Fc` into the run's staging area, hashed while it streams. */
    async dumpDatabase(input: { backupId: string }): Promise<DumpResult> {
      // Direct: the client chosen for this server's version, which refuses one older than the server.
      const binDir = await pgBinDirFor(commands, db, await password());
      const server = await serverVersion();
      const client = await pgDumpVersion(binDir);
      const tables = await tableRowCounts(commands, db, await password());

      await ensureDir(join(root, layout.staging(input.backupId)));
      const staged = layout.stagedDump(input.backupId);
      const finalPath = join(root, staged);
      const tmp = temporaryNameFor(finalPath);

      const { inv, runOpts } = await pg('pg_dump', ['-Fc'], { binDir });
      const hash = createHash('sha256');
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      await withHeartbeat(
        (): HeartbeatProgress => ({ step: 'dump', bytesDone: bytes }),
        async () => {
          const { child, finish } = commands.spawn(inv.file, inv.args, runOpts);
          const copying = pipeline(child.stdout!, counter, createWriteStream(tmp, { mode: 0o600 }));
          try {
            await finish(); // throws a typed failure on a non-zero exit
            await copying;
          } catch (err) {
            await copying.catch(() => undefined);
            await rm(tmp, { force: true });
            throw err;
          }
        },
      );
      await commitFile(tmp, finalPath);
      deps.logger.info({ backupId: input.backupId, bytes, tables: Object.keys(tables).length }, 'database dumped');
      return {
        staged,
        plaintextSha256: hash.digest('hex'),
        plaintextBytes: bytes,
        serverVersion: server.text,
        pgDumpVersion: client.text,
        tables,
      };
    },
  };
}
