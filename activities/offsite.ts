// Off-site copies of the repository, after each verified backup: rsync over SSH (key file,
// pinned known_hosts, never a password prompt, resumable with --partial) or rclone sync to any
// configured remote (optionally a crypt remote), each verified after it is made, by content
// (rsync --checksum dry run; rclone check or cryptcheck). A copy of an empty repository is
// refused: with --delete it would wipe the off-site copy.
import { stat } from 'node:fs/promises';
import { exposedKeyFileProblem } from '../core/passphrase-file.js';
import type { Config, OffsiteTarget } from '../config/schema.js';
import type { ErrorType } from '../core/errors.js';
import type { CommandRunner } from './command.js';
import { latestGood, readCatalog, writeManifest } from '../repository/catalog.js';
import { layout } from '../repository/layout.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { withHeartbeat } from './heartbeat.js';

export interface OffsiteResult {
  target: string;
  type: OffsiteTarget['type'];
  copiedAt: string;
  verified: boolean;
  detail: string;
}

/** A host key or login refused is configuration to fix, not a network blip to retry. */
export function classifySshError(stderr: string): ErrorType | undefined {
  return /Host key verification failed|Permission denied \(publickey|No such file or directory.*identity|Could not resolve hostname/i.test(stderr) ? 'ConfigInvalid' : undefined;
}

function sshCommand(t: Extract<OffsiteTarget, { type: 'ssh' }>): string {
  // rsync splits this on spaces itself (no shell is involved); our paths are checked to have none.
  return ['ssh', '-i', t.identityFile, '-p', String(t.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${t.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes'].join(' ');
}

// Paths, destinations and remotes come after "--", where neither rsync nor rclone reads options:
// the config allows a remote or destination that begins with "-".
export function rsyncArgs(t: Extract<OffsiteTarget, { type: 'ssh' }>, from: string, to: string, extra: string[] = []): string[] {
  if (/\s/.test(t.identityFile + t.knownHostsFile)) throw fail('ConfigInvalid', `offsite ${t.name}: identityFile and knownHostsFile must not contain spaces`);
  // rsync passes the user and host of user@host:/path to ssh as arguments of its own, which "--"
  // does not reach: ssh would read a host like "-Ffile" as an option.
  if (/^-|@-/.test(t.destination)) throw fail('ConfigInvalid', `offsite ${t.name}: the user and host of destination must not begin with "-"`);
  return ['--archive', '--partial', '--mkpath', ...extra, '-e', sshCommand(t), '--', `${from.replace(/\/+$/, '')}/`, `${to.replace(/\/+$/, '')}/`];
}

/** `rclone <command...> <options> -- <from> <to>`, with the target's config file and excludes. */
export function rcloneArgs(command: string[], t: Extract<OffsiteTarget, { type: 'rclone' }>, from: string, to: string, extra: string[] = []): string[] {
  // Anchored at the repository's root ("/"): unanchored, rclone matches a pattern at any depth, and
  // an image folder that happens to be named `.staging` would be left out of the copy.
  const excludes = [...layout.neverCopied.map((d) => `/${d}**`), ...t.excludes].map((e) => `--exclude=${e}`);
  return [...command, ...extra, `--config=${t.configFile}`, ...excludes, '--', from, to];
}

/** Copies an off-site copy back into `dir` (the first step of a restore from off-site). */
export async function fetchOffsite(commands: CommandRunner, t: OffsiteTarget, dir: string): Promise<void> {
  if (t.type === 'ssh') await commands.run('rsync', rsyncArgs(t, t.destination, dir));
  else await commands.run('rclone', rcloneArgs(['copy'], t, t.remote, dir, ['--transfers', String(t.transfers)]));
}

export function findOffsite(config: Config, name: string): OffsiteTarget {
  const t = config.offsite.find((o) => o.name === name);
  if (!t) throw fail('ConfigInvalid', `offsite: no target named ${name} (configured: ${config.offsite.map((o) => o.name).join(', ') || 'none'})`);
  return t;
}

/**
 * The SSH identity and the rclone config (it holds crypt passwords) must be the worker's alone:
 * ssh itself ignores an exposed key with a message that names no setting; we name the field.
 */
async function refuseExposedKeyFile(t: OffsiteTarget): Promise<void> {
  const [field, file, what] = t.type === 'ssh' ? [`offsite ${t.name}: identityFile`, t.identityFile, 'the SSH private key'] : [`offsite ${t.name}: configFile`, t.configFile, "rclone's remotes and crypt passwords"];
  const mode = await stat(file).then((s) => s.mode, (err: NodeJS.ErrnoException) => {
    throw fail('ConfigInvalid', `${field}: cannot read ${file} (${err.code ?? err.message})`);
  });
  const exposed = exposedKeyFileProblem(field, file, mode, what);
  if (exposed) throw fail('ConfigInvalid', exposed);
}

export function createOffsiteActivities(deps: ActivityDeps) {
  const { config, commands, logger } = deps;
  const root = config.repository.root;

  async function copy(t: OffsiteTarget): Promise<string> {
    await refuseExposedKeyFile(t);
    if (t.type === 'ssh') {
      await commands.run('rsync', rsyncArgs(t, root, t.destination, ['--delete', ...layout.neverCopied.map((d) => `--exclude=/${d}`)]), { classify: classifySshError });
      const { stdout } = await commands.run('rsync', rsyncArgs(t, root, t.destination, ['--delete', '--checksum', '--dry-run', '--itemize-changes', ...layout.neverCopied.map((d) => `--exclude=/${d}`)]));
      const differences = stdout.split('\n').filter(Boolean);
      if (differences.length) throw fail('VerificationFailed', `offsite ${t.name}: ${differences.length} file(s) differ after the copy: ${differences.slice(0, 5).join('; ')}`);
      return `rsync over SSH to ${t.destination}; a checksum comparison of every file found no difference`;
    }
    await commands.run('rclone', rcloneArgs(['sync'], t, root, t.remote, ['--transfers', String(t.transfers)]));
    const verify = t.verify === 'download' ? ['check', '--download'] : [t.verify];
    const { stderr } = await commands.run('rclone', rcloneArgs(verify, t, root, t.remote, ['--one-way']), {
      classify: () => 'VerificationFailed',
    });
    const summary = stderr.split('\n').filter((l) => /matching files|differences found/.test(l)).join('; ');
    return `rclone sync to ${t.remote}; rclone ${t.verify}: ${summary || 'no differences'}`;
  }

  return {
    async copyOffsite(input: { target: string }): Promise<OffsiteResult> {
      const t = findOffsite(config, input.target);
      if (!latestGood(await readCatalog(root))) throw fail('VerificationFailed', `offsite ${t.name}: the repository has no good backup; refusing to mirror it`);
      const started = Date.now();
      const detail = await withHeartbeat(() => ({ step: 'offsite', target: t.name, seconds: Math.round((Date.now() - started) / 1000) }), () => copy(t));
      logger.info({ target: t.name, detail }, 'off-site copy verified');
      return { target: t.name, type: t.type, copiedAt: new Date().toISOString(), verified: true, detail };
    },

    /** Adds the off-site copies to the backup's manifest (rewritten atomically). */
    async recordOffsite(input: { backupId: string; copies: OffsiteResult[] }): Promise<void> {
      const manifest = (await readCatalog(root)).manifests.find((m) => m.backupId === input.backupId);
      if (!manifest) throw fail('VerificationFailed', `manifest ${input.backupId} not found`);
      await writeManifest(root, { ...manifest, offsite: [...(manifest.offsite ?? []), ...input.copies] });
    },
  };
}
