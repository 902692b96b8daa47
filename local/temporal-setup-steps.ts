// What turns an empty PostgreSQL server into a Temporal cluster our workflows can run on: the
// schema steps (temporal-sql-tool) and the namespace steps (`temporal operator`). One list for the
// two places that run them: docker-compose.temporal.yml's one-shot jobs in temporalio/admin-tools,
// and the production-shape harness (temporal-production-server.ts). test/unit/compose-file.test.ts
// holds the compose file to this list.
import { cliTypeName, SEARCH_ATTRIBUTES } from '../core/search-attributes.js';

/** The sql tool's plugin for PostgreSQL 12 and later (the server config names the same). */
export const TEMPORAL_SQL_PLUGIN = 'postgres12';

/** The two databases a SQL-backed Temporal needs, and the schema directory each is migrated from. */
export const TEMPORAL_DATABASES = [
  { name: 'temporal', schema: 'temporal' },
  { name: 'temporal_visibility', schema: 'visibility' },
] as const;

/**
 * Fixed at a cluster's creation and never changeable: plenty for a few runs a day, and few enough
 * that a small server is not busy with idle shards.
 */
export const HISTORY_SHARDS = 4;

/**
 * How long closed runs stay visible (400 days, in hours for every CLI version): the README's audit
 * queries look back a year, and the last quarterly restore test is always among them.
 */
export const NAMESPACE_RETENTION = '9600h';

/**
 * temporal-sql-tool arguments, in order; the connection comes from its SQL_* environment
 * (SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD). Each is idempotent: creating an existing
 * database does nothing, and update-schema applies only the versions a database lacks, which is
 * also how a Temporal upgrade migrates it. `schemaRoot` holds postgresql/v12/... (the server module's
 * schema/ directory; /etc/temporal/schema in admin-tools).
 */
export function schemaSteps(schemaRoot: string): string[][] {
  return TEMPORAL_DATABASES.flatMap(({ name, schema }) => [
    ['--db', name, 'create-database'],
    ['--db', name, 'setup-schema', '-v', '0.0'],
    ['--db', name, 'update-schema', '-d', `${schemaRoot}/postgresql/v12/${schema}/versioned`],
  ]);
}

/** `temporal` CLI arguments that create the namespace and register our search attributes, in order. */
export function namespaceSteps(namespace: string): string[][] {
  return [
    ['operator', 'namespace', 'create', '--namespace', namespace, '--retention', NAMESPACE_RETENTION],
    ...SEARCH_ATTRIBUTES.map((key) => ['operator', 'search-attribute', 'create', '--namespace', namespace, '--name', key.name, '--type', cliTypeName(key)]),
  ];
}
