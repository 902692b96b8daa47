// The layer rules of docs/architecture.md as a dependency graph check (dependency-cruiser resolves
// every import as TypeScript does: multi-line, re-exports, type-only imports told apart), run by
// test/unit/dependency-rules.test.ts. A rule here is a promise the design makes; break one and
// the test names the file and the import.
/** Where the product's own code lives (tests, benchmarks and fixtures are outside it). */
const PRODUCT = '^(activities|client|config|core|repository|worker|workflows)/';
/** The repository's layout: pure (rule repository-layout-pure), so workflows and core may name paths with it. */
const LAYOUT = '^repository/layout\\.ts$';
/** Modules whose loading does I/O or reads the clock and environment: never in workflow or core code. */
const IO_PACKAGES = 'node_modules/(execa|pino|sharp|bcryptjs|@temporalio/(activity|worker|client|testing))/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'An import cycle makes load order matter and hides which module owns what (type-only imports load nothing).',
      severity: 'error',
      from: { path: '^(activities|client|config|core|repository|worker|workflows|fixtures|local)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'workflows-deterministic',
      comment: "Workflow code runs in Temporal's deterministic sandbox: only @temporalio/workflow, pure core/ (zod only through import(): test/unit/dependency-rules.test.ts), the repository's layout and config types; activities, worker, client and the rest of the repository only as types.",
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^(activities|client|worker|repository|fixtures|test|bench)/', pathNot: LAYOUT, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-no-node-or-io-packages',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { dependencyTypes: ['core'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-no-io-packages',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: IO_PACKAGES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-pure',
      comment: "core/ holds decisions: no Node built-ins, no I/O packages, nothing from the layers above it but the repository's pure layout.",
      severity: 'error',
      from: { path: '^core/' },
      to: { path: `^(activities|client|worker|workflows|repository|fixtures|test|bench)/|${IO_PACKAGES}`, pathNot: LAYOUT, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'repository-below-its-callers',
      comment: "The repository is called by activities, the CLI and the worker's metrics, never the other way round; of activities/ it uses only the typed failures (and types).",
      severity: 'error',
      from: { path: '^repository/' },
      to: { path: '^(client|worker|workflows)/|^activities/(?!failure\\.ts$)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'repository-layout-pure',
      comment: 'Workflows and core import the layout as a value: it imports nothing, so it can never bring I/O with it.',
      severity: 'error',
      from: { path: LAYOUT },
      to: {},
    },
    {
      name: 'core-no-node',
      severity: 'error',
      from: { path: '^core/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'activities-not-above-them',
      comment: 'Activities are called by the worker; they never reach up into workflows (but for types), the CLI or the worker.',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^(client|worker)/|^workflows/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'product-not-test-code',
      comment: 'Tests and benchmarks use the product, never the other way round; the demo data generator (fixtures/promptbox.ts and what it uses) is the one shared part.',
      severity: 'error',
      from: { path: PRODUCT, pathNot: '^client/demo\\.ts$' },
      to: { path: '^(test|bench|fixtures)/' },
    },
    {
      name: 'product-not-local-services',
      comment: 'local/ starts servers on this machine (Temporal dev and production-shaped servers, PostgreSQL clusters, the S3 server) for the demo, the tests and the benchmarks; the product reaches Temporal, PostgreSQL and S3 through its config only.',
      severity: 'error',
      from: { path: PRODUCT, pathNot: '^client/demo\\.ts$' },
      to: { path: '^local/' },
    },
    {
      name: 'demo-only-the-data-generator',
      severity: 'error',
      from: { path: '^client/demo\\.ts$' },
      to: { path: '^(test|bench)/|^fixtures/(?!promptbox\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
