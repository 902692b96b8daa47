// A throwaway (or, for the demo, persistent) PostgreSQL cluster on a loopback port. PostgreSQL 16,
// the version Prompt Box runs, by default (scripts/setup.sh installs it into .tools/postgresql-16);
// Debian's 15 as the second server version. initdb refuses to run as root, so as root the cluster
// runs as the `postgres` user in a directory it owns.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export interface PostgresCluster {
  dir: string;
  /** The server's major version. */
  major: number;
  host: string;
  port: number;
  superuser: string;
  superPassword: string;
  /** Connection env for client tools as the superuser. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The server version clusters get unless a caller asks for another: Prompt Box's. */
export const DEFAULT_POSTGRES_MAJOR = 16;

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where the server binaries of one major version are: the project's own install, then Debian's. */
export function postgresBinDir(major: number = DEFAULT_POSTGRES_MAJOR): string {
  const candidates = [join(projectRoot, '.tools', `postgresql-${major}`, 'bin'), `/usr/lib/postgresql/${major}/bin`];
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')));
  if (!found) throw new Error(`PostgreSQL ${major} server binaries not found in ${candidates.join(' or ')} (run scripts/setup.sh)`);
  return found;
}

/** The major version of an existing cluster (its data directory says), else the default. */
function clusterMajor(dir: string): number {
  const file = join(dir, 'data', 'PG_VERSION');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : DEFAULT_POSTGRES_MAJOR;
}

function asOwner(): { uid: number; gid: number; wrap: (cmd: string, args: string[]) => [string, string[]] } {
  if (process.getuid?.() !== 0) return { uid: -1, gid: -1, wrap: (c, a) => [c, a] };
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid, wrap: (c, a) => ['runuser', ['-u', 'postgres', '--', c, ...a]] };
}

/** The argv that starts or stops a cluster created by startPostgresCluster (as `postgres` when root). */
export function pgCtlArgv(opts: { dir: string; port: number }, action: 'start' | 'stop'): string[] {
  const [cmd, args] = asOwner().wrap(
    join(postgresBinDir(clusterMajor(opts.dir)), 'pg_ctl'),
    action === 'start'
      ? ['-D', join(opts.dir, 'data'), '-l', join(opts.dir, 'postgres.log'), '-w', '-t', '60', '-o', `-c listen_addresses=127.0.0.1 -p ${opts.port} -k ${join(opts.dir, 'sockets')} -c fsync=off -c full_page_writes=off`, 'start']
      : ['-D', join(opts.dir, 'data'), '-m', 'fast', '-w', 'stop'],
  );
  return [cmd, ...args];
}

/** Starts (creating on first use, at `major` or the default version) a cluster in `dir` on 127.0.0.1:`port`. */
export async function startPostgresCluster(opts: { dir: string; port: number; superPassword: string; major?: number }): Promise<PostgresCluster> {
  const bin = postgresBinDir(existsSync(join(opts.dir, 'data', 'PG_VERSION')) ? clusterMajor(opts.dir) : (opts.major ?? DEFAULT_POSTGRES_MAJOR));
  const owner = asOwner();
  const data = join(opts.dir, 'data');
  const sockets = join(opts.dir, 'sockets');
  mkdirSync(sockets, { recursive: true });
  if (owner.uid >= 0) {
    chownSync(opts.dir, owner.uid, owner.gid);
    chownSync(sockets, owner.uid, owner.gid);
  }
  chmodSync(opts.dir, 0o700);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const pwfile = join(opts.dir, 'superuser.pw');
    writeFileSync(pwfile, `${opts.superPassword}\n`, { mode: 0o600 });
    if (owner.uid >= 0) chownSync(pwfile, owner.uid, owner.gid);
    const [cmd, args] = owner.wrap(join(bin, 'initdb'), [
      '-D', data, '-U', 'postgres', '--pwfile', pwfile, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync',
    ]);
    await execa(cmd, args);
  }
  const [cmd, ...args] = pgCtlArgv(opts, 'start');
  await execa(cmd as string, args);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const [c, ...a] = pgCtlArgv(opts, 'stop');
    await execa(c as string, a, { reject: false });
  };
  return {
    dir: opts.dir,
    major: clusterMajor(opts.dir),
    host: '127.0.0.1',
    port: opts.port,
    superuser: 'postgres',
    superPassword: opts.superPassword,
    env: { PGHOST: '127.0.0.1', PGPORT: String(opts.port), PGUSER: 'postgres', PGPASSWORD: opts.superPassword },
    stop,
  };
}
