// Covers: docker-compose.temporal.yml, the production Temporal the README sets up. There is no
// Docker here, so the file is read as data and held to what test/production/ runs without it:
// pinned current images, the server version scripts/build-temporal-server.sh builds, and the
// schema and namespace steps of local/temporal-setup-steps.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULT_POSTGRES_MAJOR } from '../../local/postgres-cluster.js';
import { HISTORY_SHARDS, namespaceSteps, schemaSteps, TEMPORAL_SQL_PLUGIN } from '../../local/temporal-setup-steps.js';
import { DEPLOYED_DYNAMIC_CONFIG, deployedDynamicConfig } from '../../local/temporal-dynamic-config.js';

interface Service {
  image: string;
  environment?: Record<string, string | number>;
  command?: string | string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

async function services(): Promise<Record<string, Service>> {
  const text = await readFile(new URL('../../docker-compose.temporal.yml', import.meta.url), 'utf8');
  return (parse(text) as { services: Record<string, Service> }).services;
}

/** The version scripts/build-temporal-server.sh builds for the production-shape tests. */
async function builtServerVersion(): Promise<string> {
  const script = await readFile(new URL('../../scripts/build-temporal-server.sh', import.meta.url), 'utf8');
  return /^VERSION=v(\S+)/m.exec(script)![1]!;
}

/** The one service whose script runs `tool`, with its name. */
async function job(tool: string): Promise<[string, Service]> {
  const found = Object.entries(await services()).filter(([, s]) => scriptLines(s).some((line) => line.startsWith(`${tool} `)));
  assert.equal(found.length, 1, `one service runs ${tool}`);
  return found[0]!;
}

function scriptLines(service: Service): string[] {
  return [service.command ?? []].flat().join('\n').split('\n').map((line) => line.trim());
}

/** The arguments of each line of `service`'s script that runs `tool` with `prefix`, split as the shell splits these plain words. */
function invocations(service: Service, tool: string, prefix: RegExp = /./): string[][] {
  return scriptLines(service).filter((line) => line.startsWith(`${tool} `)).map((line) => line.split(/\s+/).slice(1)).filter((args) => prefix.test(args.join(' ')));
}

test('every image is pinned to a version, and the deprecated temporalio/auto-setup image is gone', async () => {
  for (const [name, service] of Object.entries(await services())) {
    assert.match(service.image, /^[\w./-]+:\d[\w.-]*$/, `${name}: an image with a version tag, not latest or a variable`);
    assert.doesNotMatch(service.image, /auto-setup/, name);
  }
});

test('the server is the version the production-shape tests build, on PostgreSQL of the version they run', async () => {
  const version = await builtServerVersion();
  const all = Object.values(await services());
  const images = all.map((s) => s.image);
  assert.ok(images.includes(`temporalio/server:${version}`), `temporalio/server:${version} in ${images.join(', ')}`);
  const adminTools = images.filter((image) => image.startsWith('temporalio/admin-tools:'));
  assert.ok(adminTools.length > 0);
  for (const image of adminTools) assert.ok(image.startsWith(`temporalio/admin-tools:${version}-`), `${image}: admin tools of the server's version`);
  assert.ok(images.includes(`postgres:${DEFAULT_POSTGRES_MAJOR}`), `postgres:${DEFAULT_POSTGRES_MAJOR} in ${images.join(', ')}`);
  const server = all.find((s) => s.image.startsWith('temporalio/server:'))!;
  assert.equal(server.environment?.DB, TEMPORAL_SQL_PLUGIN);
  assert.equal(Number(server.environment?.NUM_HISTORY_SHARDS), HISTORY_SHARDS);
});

test('the schema job runs the same steps as the production-shape harness, on the server\'s database, before the server starts', async () => {
  const [name, schemaJob] = await job('temporal-sql-tool');
  assert.deepEqual(invocations(schemaJob, 'temporal-sql-tool'), schemaSteps('/etc/temporal/schema'));
  const server = Object.values(await services()).find((s) => s.image.startsWith('temporalio/server:'))!;
  assert.equal(schemaJob.environment?.SQL_PLUGIN, TEMPORAL_SQL_PLUGIN);
  assert.equal(schemaJob.environment?.SQL_HOST, server.environment?.POSTGRES_SEEDS);
  assert.equal(schemaJob.environment?.SQL_USER, server.environment?.POSTGRES_USER);
  assert.equal(schemaJob.environment?.SQL_PASSWORD, server.environment?.POSTGRES_PWD);
  assert.deepEqual(server.depends_on?.[name], { condition: 'service_completed_successfully' });
});

test('the namespace job creates the namespace and registers every search attribute, as the production-shape harness does', async () => {
  const [, namespaceJob] = await job('temporal');
  const creations = invocations(namespaceJob, 'temporal', /^operator (namespace|search-attribute) create /);
  assert.deepEqual(creations, namespaceSteps('default'));
});

test('the server reads the dynamic config the production-shape harness starts its server with, and it raises the transfer queue limit', async () => {
  const [, server] = Object.entries(await services()).find(([, s]) => s.image.startsWith('temporalio/server:'))!;
  // The image resolves DYNAMIC_CONFIG_FILE_PATH against its working directory, /etc/temporal.
  const inContainer = posix.resolve('/etc/temporal', String(server.environment?.DYNAMIC_CONFIG_FILE_PATH));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const mounted = (server.volumes ?? []).map((v) => v.split(':')).find(([, to]) => to === inContainer);
  assert.ok(mounted, `a volume mounted at ${inContainer}, the file DYNAMIC_CONFIG_FILE_PATH names`);
  assert.equal(posix.normalize(mounted[0]!), relative(root, DEPLOYED_DYNAMIC_CONFIG), 'the same file the harness gives its server');
  const settings = parse(await readFile(DEPLOYED_DYNAMIC_CONFIG, 'utf8')) as Record<string, Array<{ value: unknown }>>;
  assert.deepEqual(settings['history.transferProcessorMaxPollRPS'], [{ value: 1000 }]);
  // The dev servers this project starts (demo, tests, benchmark) run with the same settings.
  assert.deepEqual(await deployedDynamicConfig(), { 'history.transferProcessorMaxPollRPS': 1000 });
});

test('a deployed setting the dev server could not apply as such is refused, naming the file and the key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbb-dynconfig-'));
  try {
    const file = join(dir, 'dynamicconfig.yaml');
    await writeFile(file, 'history.transferProcessorMaxPollRPS:\n  - value: 1000\n    constraints:\n      namespace: default\n');
    await assert.rejects(deployedDynamicConfig(file), (err: Error) => err.message.includes(file) && err.message.includes('history.transferProcessorMaxPollRPS'));
    await writeFile(file, 'limit.a:\n  - value: 1\n  - value: 2\n');
    await assert.rejects(deployedDynamicConfig(file), /limit\.a must be a single unconstrained value/);
    await writeFile(file, 'limit.b:\n  - value: 5\nflag.c:\n  - value: true\n');
    assert.deepEqual(await deployedDynamicConfig(file), { 'limit.b': 5, 'flag.c': true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
