// Config snapshots (.env, docker-compose.yml): taken only when a file's content differs from
// the snapshot the latest good backup points at. The secret values of .env files (core/env-file.ts)
// are registered so they are scrubbed from every log line and error message.
import { chmod, copyFile, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseEnvFile, secretValues } from '../core/env-file.js';
import { layout } from '../repository/layout.js';
import type { ConfigSnapshotItem } from '../core/staged.js';
import { latestGood, readCatalog } from '../repository/catalog.js';
import type { ActivityDeps } from './deps.js';
import { FILE_MODE, commitFile, ensureDir, exists, temporaryNameFor } from '../repository/fs-durable.js';
import { fail } from './failure.js';
import { sha256File } from './hash.js';

export function createConfigSnapshotActivities(deps: ActivityDeps) {
  const { config, secrets, logger } = deps;
  const root = config.repository.root;

  return {
    async snapshotConfig(input: { backupId: string; encrypted: boolean }): Promise<ConfigSnapshotItem[]> {
      const files = config.source.configFiles;
      const names = files.map((f) => basename(f));
      const clash = names.find((n, i) => names.indexOf(n) !== i);
      if (clash) throw fail('ConfigInvalid', `source.configFiles: two files are named ${clash}; snapshots are keyed by file name`);

      const previous = latestGood(await readCatalog(root), 'config');
      const items: ConfigSnapshotItem[] = [];
      for (const source of files) {
        const name = basename(source);
        if (!(await exists(source))) throw fail('SourceMissing', `source.configFiles: ${source} does not exist`);
        if (name.startsWith('.env') || name.endsWith('.env')) {
          for (const value of secretValues(parseEnvFile(await readFile(source, 'utf8')))) secrets.remember(value);
        }
        const { sha256, bytes } = await sha256File(source);
        const last = previous?.config.find((c) => c.source === source);
        if (last && last.artifact.plaintextSha256 === sha256 && (await exists(join(root, last.artifact.path)))) {
          items.push({ name, source, changed: false, previous: last.artifact });
          continue;
        }
        const staged = layout.stagedConfig(input.backupId, name);
        const target = join(root, staged);
        await ensureDir(dirname(target));
        const tmp = temporaryNameFor(target);
        await copyFile(source, tmp);
        await chmod(tmp, FILE_MODE);
        await commitFile(tmp, target);
        // The copy is what gets encrypted and recorded: hash it, not the source, which may have moved on.
        const copied = await sha256File(target);
        items.push({
          name,
          source,
          changed: true,
          plain: {
            kind: 'config',
            staged,
            finalPath: layout.configSnapshot(name, input.backupId, input.encrypted),
            plaintextSha256: copied.sha256,
            plaintextBytes: copied.bytes,
          },
        });
      }
      logger.info({ backupId: input.backupId, changed: items.filter((i) => i.changed).map((i) => i.name) }, 'config checked');
      return items;
    },
  };
}
