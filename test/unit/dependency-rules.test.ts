// Covers: .dependency-cruiser.cjs, the layer rules of docs/architecture.md checked on the real
// import graph (dependency-cruiser resolves imports as TypeScript does), including one seeded
// violation per kind to prove the rules can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rules = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as IConfiguration;

async function violations(dirs: string[], baseDir = root): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(baseDir); // dependency-cruiser reads paths and tsconfig relative to the working directory
  try {
    const { output } = await cruise(dirs, { validate: true, ruleSet: rules, tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' } });
    return (output as ICruiseResult).summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  } finally {
    process.chdir(previous);
  }
}

test('the import graph keeps the layer rules: deterministic workflows, pure core, no cycles, product code apart from tests', async () => {
  const product = ['activities', 'client', 'config', 'core', 'repository', 'worker', 'workflows', 'local'].filter((dir) => existsSync(join(root, dir)));
  assert.deepEqual(await violations(product), []);
});

test('each rule catches its violation: a workflow running a command, core reading a file, a cycle, product code importing a test helper or a local server, the repository calling an activity, an impure layout', async () => {
  const dir = await mkdtemp(join(root, '.scratch-deps-'));
  try {
    for (const sub of ['workflows', 'core', 'activities', 'repository', 'test', 'local']) await mkdir(join(dir, sub));
    await writeFile(join(dir, 'workflows/w.ts'), "import { execa } from 'execa';\nimport { readFileSync } from 'node:fs';\nimport { run } from '../activities/a.js';\nexport const w = [execa, readFileSync, run];\n");
    await writeFile(join(dir, 'core/c.ts'), "import { readFileSync } from 'node:fs';\nexport const c = readFileSync;\n");
    await writeFile(join(dir, 'activities/a.ts'), "import { b } from './b.js';\nimport { helper } from '../test/h.js';\nexport const run = () => [b, helper];\n");
    await writeFile(join(dir, 'activities/b.ts'), "import { run } from './a.js';\nexport const b = () => run;\n");
    await writeFile(join(dir, 'test/h.ts'), 'export const helper = 1;\n');
    await writeFile(join(dir, 'local/l.ts'), 'export const devServer = 1;\n');
    await writeFile(join(dir, 'repository/uses-local.ts'), "import { devServer } from '../local/l.js';\nexport const u = devServer;\n");
    await writeFile(join(dir, 'repository/r.ts'), "import { run } from '../activities/a.js';\nexport const r = run;\n");
    await writeFile(join(dir, 'repository/layout.ts'), "import { join } from 'node:path';\nexport const layout = { db: join('db') };\n");
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    const found = (await violations(['workflows', 'core', 'activities', 'repository'], dir)).map((v) => v.split(':')[0]);
    for (const rule of ['workflows-deterministic', 'workflows-no-io-packages', 'workflows-no-node-or-io-packages', 'core-no-node', 'no-cycles', 'product-not-test-code', 'product-not-local-services', 'repository-below-its-callers', 'repository-layout-pure']) {
      assert.ok(found.includes(rule), `${rule} not reported: ${found.join(', ')}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * What a workflow loads with it, following the imports that run at load time: not type-only ones
 * (erased) and not `import()` (evaluated when called). Each new run evaluates all of it again
 * (worker/workflow-bundle.ts).
 */
async function loadedWithWorkflows(baseDir = root): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(baseDir);
  try {
    const { output } = await cruise(['workflows'], { tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' } });
    const modules = new Map((output as ICruiseResult).modules.map((m) => [m.source, m]));
    const loaded = new Set<string>();
    const visit = (source: string) => {
      if (loaded.has(source)) return;
      loaded.add(source);
      for (const d of modules.get(source)?.dependencies ?? []) {
        if (d.dynamic || d.dependencyTypes.includes('type-only')) continue;
        visit(d.resolved);
      }
    };
    for (const source of modules.keys()) if (source.startsWith('workflows/')) visit(source);
    return [...loaded];
  } finally {
    process.chdir(previous);
  }
}

test('workflows load zod only when they validate input: no import that runs at load time reaches it', async () => {
  assert.deepEqual((await loadedWithWorkflows()).filter((m) => m.includes('node_modules/zod/')), []);

  // The walk can fail: a static import through core/ is found, a dynamic one is not.
  const dir = await mkdtemp(join(root, '.scratch-deps-'));
  try {
    await mkdir(join(dir, 'workflows'));
    await mkdir(join(dir, 'core'));
    await writeFile(join(dir, 'core/schema.ts'), "import { z } from 'zod';\nexport const s = z.string();\n");
    await writeFile(join(dir, 'core/dynamic.ts'), "import { z } from 'zod';\nexport const d = z.number();\n");
    await writeFile(join(dir, 'workflows/w.ts'), "import { s } from '../core/schema.js';\nexport async function w() {\n  const { d } = await import('../core/dynamic.js');\n  return [s, d];\n}\n");
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    const loaded = await loadedWithWorkflows(dir);
    assert.ok(loaded.includes('core/schema.ts'), loaded.join(', '));
    assert.ok(!loaded.includes('core/dynamic.ts'), loaded.join(', '));
    assert.ok(loaded.some((m) => m.includes('node_modules/zod/')), loaded.join(', '));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
