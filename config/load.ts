// Loads the configuration from a JSON file plus environment overrides and validates it,
// reporting every bad field at once (with the file it came from) rather than the first one.
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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

/**
 * `path` with symbolic links resolved as far as it exists, the rest as written: a repository
 * root that is created later still resolves through the links above it.
 */
function resolveThroughLinks(path: string): string {
  const rest: string[] = [];
  for (let current = resolve(path); ; current = dirname(current)) {
    try {
      return join(realpathSync(current), ...rest);
    } catch {
      if (dirname(current) === current) return resolve(path);
      rest.unshift(basename(current));
    }
  }
}

/**
 * Why the repository and the storage root overlap, or undefined when they are apart. The image
 * mirror copies the storage root into the repository: a repository inside it would be mirrored
 * into itself, unencrypted staging dumps included, and a storage root inside the repository
 * would contain its own mirror. Checked at load time and again by the plan on the worker, where
 * the paths may have changed since.
 */
export function overlappingRoots(config: Pick<Config, 'repository' | 'source'>): string | undefined {
  const source = config.source.storage;
  if (!('root' in source)) return undefined; // a bucket is read through the S3 API, never as files here
  const repo = resolveThroughLinks(config.repository.root);
  const store = resolveThroughLinks(source.root);
  const field = (name: string, given: string, real: string) => `${name} (${given}${real === resolve(given) ? '' : `, ${real} after resolving symbolic links`})`;
  const repository = field('repository.root', config.repository.root, repo);
  const storage = field('source.storage.root', source.root, store);
  const within = (inner: string, outer: string) => inner.startsWith(outer.endsWith('/') ? outer : `${outer}/`);
  const fix = 'the image mirror would copy the repository, unencrypted staging dumps included, into itself; use two separate directories';
  if (repo === store) return `${repository} and ${storage} are the same directory: ${fix}`;
  if (within(repo, store)) return `${repository} is inside ${storage}: ${fix}`;
  if (within(store, repo)) return `${storage} is inside ${repository}: ${fix}`;
  return undefined;
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
  const overlap = overlappingRoots(result.data);
  if (overlap) throw new ConfigError(source, [overlap]);
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
