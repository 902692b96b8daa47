// The Temporal server settings promptbox-backup deploys with (deploy/temporal/dynamicconfig.yaml,
// which the compose file mounts and the production-shaped server reads), for the servers this
// project starts itself: a dev server then behaves as the deployed one does (the transfer-queue
// limit costs about 35 ms an activity without it; bench/README.md, "overhead").
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const DEPLOYED_DYNAMIC_CONFIG = fileURLToPath(new URL('../deploy/temporal/dynamicconfig.yaml', import.meta.url));

export type DynamicConfigValues = Record<string, number | string | boolean>;

/**
 * The file's settings as `--dynamic-config-value` takes them: one value per key. A setting with
 * constraints (per namespace, per task queue) has no such form, so it is refused rather than
 * applied everywhere.
 */
export async function deployedDynamicConfig(file = DEPLOYED_DYNAMIC_CONFIG): Promise<DynamicConfigValues> {
  const settings = (parse(await readFile(file, 'utf8')) ?? {}) as Record<string, unknown>;
  const values: DynamicConfigValues = {};
  for (const [key, entries] of Object.entries(settings)) {
    const only = Array.isArray(entries) && entries.length === 1 ? (entries[0] as Record<string, unknown>) : undefined;
    const value = only?.value;
    if (!only || Object.keys(only).length !== 1 || !['number', 'string', 'boolean'].includes(typeof value)) {
      throw new Error(`${file}: ${key} must be a single unconstrained value ("- value: ...") for the dev server to apply it`);
    }
    values[key] = value as number | string | boolean;
  }
  return values;
}
