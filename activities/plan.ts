// The first step of every backup: checks on the worker everything that a retry cannot fix
// (tools installed, source paths present, repository writable, passphrase right) before any
// data moves, and tells the workflow the worker's plan (names and budgets, no secrets).
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { overlappingRoots } from '../config/load.js';
import type { StepsConfig } from '../config/schema.js';
import { BACKUP_PARTS, type BackupPart } from '../core/manifest.js';
import { layout } from '../repository/layout.js';
import { latestGood, readTrustedCatalog } from '../repository/catalog.js';
import type { ActivityDeps } from './deps.js';
import { dumpReaderBinDir } from './pg-binaries.js';
import { createEncryptActivities } from './encrypt.js';
import { ensureDir, exists } from '../repository/fs-durable.js';
import { fail } from './failure.js';
import { describeEndpoint } from './pg-command.js';
import { cachedToolVersions } from './tool-version.js';

export interface BackupPlan {
  source: { name: string; transport: 'direct' | 'docker'; database: string; endpoint: string };
  repository: string;
  encrypted: boolean;
  steps: StepsConfig;
  tools: Record<string, string>;
  /** Names of the off-site targets to copy to after a verified backup. */
  offsite: string[];
  /**
   * The newest good backup holding each part, before this run: the run's RPO figure is its age.
   * Only backups whose artifacts are in place and that are not dated in the future count.
   */
  previousGood?: Partial<Record<BackupPart, string>>;
}

async function previousGoodBackups(root: string): Promise<Partial<Record<BackupPart, string>>> {
  const catalog = await readTrustedCatalog(root, new Date());
  return Object.fromEntries(BACKUP_PARTS.flatMap((part) => {
    const newest = latestGood(catalog, part);
    return newest ? [[part, newest.backupId]] : [];
  }));
}

export function createPlanActivities(deps: ActivityDeps) {
  const { config, commands } = deps;
  const encrypt = createEncryptActivities(deps);

  const toolVersion = cachedToolVersions(async (file, args) => {
    const { stdout } = await commands.run(file, args);
    return stdout.split('\n')[0]?.trim() ?? '';
  });

  /**
   * The versions of the tools this run's parts drive, asked in parallel; an image-only run asks
   * for no PostgreSQL client (nor searches for one) and, encrypting nothing, no gpg.
   */
  async function toolVersions(parts: readonly BackupPart[], encrypts: boolean): Promise<Record<string, string>> {
    const db = config.source.database;
    const storage = config.source.storage;
    const images = parts.includes('images');
    const asked: Array<[string, () => Promise<string>]> = [];
    if ((images && 'root' in storage) || config.offsite.some((o) => o.type === 'ssh')) asked.push(['rsync', () => toolVersion('rsync', ['--version'])]);
    if (parts.includes('database')) {
      if (db.transport === 'docker') asked.push(['docker', () => toolVersion(db.dockerCommand, ['--version'])]);
      // The newest installed client, found without asking the server; a dump records the version
      // of the pg_dump it actually ran.
      else asked.push(['pg_dump', async () => toolVersion(join((await dumpReaderBinDir(commands, db))!, 'pg_dump'), ['--version'])]);
    }
    if (encrypts) asked.push(['gpg', () => toolVersion('gpg', ['--version'])]);
    if ((images && 's3' in storage) || config.offsite.some((o) => o.type === 'rclone')) asked.push(['rclone', () => toolVersion('rclone', ['version'])]);
    return Object.fromEntries(await Promise.all(asked.map(async ([name, version]) => [name, await version()] as const)));
  }

  /** Source paths present, the repository laid out and writable. */
  async function checkPathsAndRepository(): Promise<void> {
    const storage = config.source.storage;
    // A bucket is checked by the image step itself, which has the keys: a plan checks paths only.
    if ('root' in storage && !(await exists(storage.root))) {
      throw fail('SourceMissing', `source.storage.root: ${storage.root} does not exist`);
    }
    for (const file of config.source.configFiles) {
      if (!(await exists(file))) throw fail('SourceMissing', `source.configFiles: ${file} does not exist`);
    }
    // Before the repository is laid out: paths may have changed since the config was loaded.
    const overlap = overlappingRoots(config);
    if (overlap) throw fail('ConfigInvalid', overlap);
    const root = config.repository.root;
    try {
      for (const dir of [layout.dbDir, layout.configDir, layout.manifestsDir, layout.stagingDir]) await ensureDir(join(root, dir));
      await access(root, constants.W_OK);
    } catch (err) {
      throw fail('RepositoryUnwritable', `repository.root: cannot write ${root} (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
  }

  return {
    /** The configured source's name, for runs that need only that (a restore test's alerts). */
    async sourceName(): Promise<string> {
      return config.source.name;
    },

    /**
     * `parts`: what the run takes (all of them when absent, as runs recorded before it ask). Only
     * a dump or a config snapshot is encrypted, so only then is the passphrase checked: the
     * repository's token decrypted, in parallel with the tool checks.
     */
    async planBackup(input: { parts?: BackupPart[] } = {}): Promise<BackupPlan> {
      const parts = input.parts ?? BACKUP_PARTS;
      const encrypts = config.encryption.enabled && parts.some((p) => p !== 'images');
      const db = config.source.database;
      const root = config.repository.root;
      // The catalog is read meanwhile; a failure to read it is told only once the checks, whose
      // errors name the field to fix, have passed.
      const previous = previousGoodBackups(root);
      previous.catch(() => undefined);
      const [tools] = await Promise.all([
        toolVersions(parts, encrypts),
        checkPathsAndRepository().then(() => (encrypts ? encrypt.checkPassphrase() : undefined)),
      ]);
      return {
        source: { name: config.source.name, transport: db.transport, database: db.database, endpoint: describeEndpoint(db) },
        repository: root,
        encrypted: config.encryption.enabled,
        steps: config.steps,
        tools,
        offsite: config.offsite.map((o) => o.name),
        previousGood: await previous,
      };
    },
  };
}
