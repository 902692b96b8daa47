// A stand-in `docker` executable for tests (there is no Docker engine on these machines): it
// records its argv and runs the command given to `docker exec promptbox-db-1 ...` against a real
// test cluster, as it would run inside the database container. Optionally it slows pg_dump's
// output (or pg_restore's input) down to a given rate, a fault from outside that makes "during the dump" last seconds.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_POSTGRES_MAJOR, postgresBinDir } from '../local/postgres-cluster.js';

export interface StandInDocker {
  binDir: string;
  recordFile: string;
  /** Holds the database password the "container" uses; write it before a run. */
  passwordFile: string;
}

export async function writeStandInDocker(
  dir: string,
  /** The server the "container" runs; its tools are the server's own version, as in a postgres image. */
  db: { host: string; port: number; major?: number },
  opts: { dumpBytesPerSecond?: number; restoreBytesPerSecond?: number } = {},
): Promise<StandInDocker> {
  const binDir = join(dir, 'bin');
  await mkdir(binDir, { recursive: true });
  const recordFile = join(dir, 'docker-calls.log');
  const passwordFile = join(dir, 'container-db.pw');
  const throttle = join(dir, 'throttle.py');
  await writeFile(
    throttle,
    'import sys, time\nrate = int(sys.argv[1])\nwhile True:\n    b = sys.stdin.buffer.read(8192)\n    if not b:\n        break\n    sys.stdout.buffer.write(b)\n    sys.stdout.buffer.flush()\n    time.sleep(len(b) / rate)\n',
  );
  await writeFile(
    join(binDir, 'docker'),
    `#!/usr/bin/env bash
set -o pipefail
printf '%s\\n' "$*" >> ${JSON.stringify(recordFile)}
if [ "$1" = "--version" ]; then echo "Docker version 0.0.0-stand-in"; exit 0; fi
[ "$1" = "exec" ] || { echo "stand-in docker: only exec is supported" >&2; exit 64; }
shift
[ "$1" = "-i" ] && shift
[ "$1" = "promptbox-db-1" ] || { echo "Error response from daemon: No such container: $1" >&2; exit 1; }
shift
export PATH=${JSON.stringify(postgresBinDir(db.major ?? DEFAULT_POSTGRES_MAJOR))}:"$PATH"
export PGHOST=${db.host} PGPORT=${db.port} PGPASSWORD="$(cat ${JSON.stringify(passwordFile)})"
${opts.dumpBytesPerSecond ? `if [ "$1" = "pg_dump" ] && [ "$2" != "--version" ]; then "$@" | python3 ${JSON.stringify(throttle)} ${opts.dumpBytesPerSecond}; exit $?; fi` : ''}
${opts.restoreBytesPerSecond ? `if [ "$1" = "pg_restore" ]; then python3 ${JSON.stringify(throttle)} ${opts.restoreBytesPerSecond} | "$@"; exit $?; fi` : ''}
exec "$@"
`,
  );
  await chmod(join(binDir, 'docker'), 0o755);
  return { binDir, recordFile, passwordFile };
}
