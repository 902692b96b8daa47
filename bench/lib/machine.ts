// What the figures were measured on: they mean little without the machine and tool versions.
import { cpus, totalmem, release } from 'node:os';
import { execa } from 'execa';
import { temporalCli } from '../../local/temporal-dev-server.js';

async function firstLine(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false });
  return r.exitCode === 0 ? (`${r.stdout}`.split('\n')[0] ?? '').trim() : 'not installed';
}

export async function describeMachine(): Promise<Record<string, string>> {
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kernel: release(),
    node: process.version,
    temporal: await firstLine(temporalCli(), ['--version']),
    pg_dump: await firstLine('pg_dump', ['--version']),
    rsync: await firstLine('rsync', ['--version']),
    gpg: await firstLine('gpg', ['--version']),
    sha256sum: await firstLine('sha256sum', ['--version']),
    restic: await firstLine('restic', ['version']),
    rclone: await firstLine('rclone', ['version']),
  };
}
