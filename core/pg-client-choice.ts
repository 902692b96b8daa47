// Which PostgreSQL client installation talks to a server in the direct transport. pg_dump refuses
// a server newer than itself and pg_restore cannot read a dump written by a newer pg_dump, while
// both handle older servers: so the client of the server's own major version, else the newest
// newer one, else a clear refusal naming both versions and where we looked.
//
// Pure module: the worker finds the installations and reads their versions (activities/pg-binaries.ts).

export interface PgVersion {
  /** As PostgreSQL prints it, e.g. "16.15". */
  text: string;
  major: number;
}

/** One directory holding the client tools (pg_dump, pg_restore, psql) of one version. */
export interface PgClientInstall {
  dir: string;
  version: PgVersion;
}

export type PgClientChoice = { ok: true; client: PgClientInstall } | { ok: false; message: string };

/** `show server_version_num` (e.g. "160015") as a version; undefined when it is not one. */
export function parseServerVersionNum(value: string | undefined): PgVersion | undefined {
  const num = Number(value?.trim());
  if (!value?.trim() || !Number.isInteger(num) || num < 100_000) return undefined;
  const major = Math.floor(num / 10_000);
  return { text: `${major}.${num % 10_000}`, major };
}

/** A client tool's `--version` line, e.g. "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)". */
export function parseClientVersion(stdout: string): PgVersion | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
  return m ? { text: m[2] === undefined ? (m[1] as string) : `${m[1]}.${m[2]}`, major: Number(m[1]) } : undefined;
}

/**
 * The highest major version, the first of equals (search order decides). Its pg_restore reads
 * every dump the others' pg_dump write: archive formats are read by later versions, never earlier.
 */
export function newestPgClient(clients: readonly PgClientInstall[]): PgClientInstall | undefined {
  return clients.reduce<PgClientInstall | undefined>((best, c) => (!best || c.version.major > best.version.major ? c : best), undefined);
}

/**
 * `clients` in search order (the first wins among equal majors). `searched` names the places
 * looked in, for the message; `configuredDir` is the config's clientBinDir, when it is the only one.
 */
export function choosePgClient(
  clients: readonly PgClientInstall[],
  server: PgVersion,
  where: { searched: readonly string[]; configuredDir?: string },
): PgClientChoice {
  const same = clients.find((c) => c.version.major === server.major);
  if (same) return { ok: true, client: same };
  const newest = newestPgClient(clients.filter((c) => c.version.major > server.major));
  if (newest) return { ok: true, client: newest };

  const places = where.searched.join(', ') || 'no place';
  const remedy = where.configuredDir
    ? `point clientBinDir at a PostgreSQL ${server.major} client (install postgresql-client-${server.major}) or remove it to search the usual places`
    : `install postgresql-client-${server.major} or set clientBinDir in the database config (e.g. source.database.clientBinDir)`;
  const best = newestPgClient(clients); // all older than the server here
  const problem = best
    ? `pg_dump ${best.version.text} on the worker (${best.dir}) is older than the server (PostgreSQL ${server.text}); no PostgreSQL client >= ${server.major} found in ${places}`
    : `no PostgreSQL client found in ${places} for the server (PostgreSQL ${server.text})`;
  return { ok: false, message: `${problem}; ${remedy}, or use the docker transport` };
}
