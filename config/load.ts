// Loads the configuration from a JSON file plus environment overrides and validates it,
// reporting every bad field at once (with the file it came from) rather than the first one.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  readonly type = 'ConfigInvalid';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables that override file settings, for containers and CI. */
export const ENV_OVERRIDES: ReadonlyArray<[string, string[]]> = [
  ['TEMPORAL_ADDRESS', ['temporal', 'address']],
  ['TEMPORAL_NAMESPACE', ['temporal', 'namespace']],
  ['PROMPTBOX_BACKUP_TASK_QUEUE', ['temporal', 'taskQueue']],
  ['PROMPTBOX_BACKUP_REPOSITORY', ['repository', 'root']],
  ['PROMPTBOX_BACKUP_LOG_LEVEL', ['logging', 'level']],
  ['PROMPTBOX_BACKUP_LOG_FILE', ['logging', 'file']],
];

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
}

/** Validates an already-parsed object; `source` names where it came from in errors. */
export function parseConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, ['(top level): expected a JSON object']);
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  for (const [name, path] of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(merged, path, value);
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error));
  return result.data;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  return parseConfig(raw, file, env);
}
