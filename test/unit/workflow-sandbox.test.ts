// Covers: workflows/ (determinism guard). Workflow code runs in Temporal's deterministic
// sandbox: it may import only @temporalio/workflow, pure core/ modules, zod, and types.
// This test is the lint that keeps I/O out of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function importsOf(file: string): Array<{ spec: string; typeOnly: boolean }> {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)].map((m) => ({ spec: m[2] as string, typeOnly: Boolean(m[1]) }));
}

function reachable(start: string, seen = new Set<string>()): Set<string> {
  if (seen.has(start)) return seen;
  seen.add(start);
  for (const { spec, typeOnly } of importsOf(start)) {
    if (!typeOnly && spec.startsWith('.')) reachable(join(start, '..', spec.replace(/\.js$/, '.ts')), seen);
  }
  return seen;
}

test('workflow code imports no Node builtin, no process runner and no activity implementation', () => {
  const entry = join(root, 'workflows/index.ts');
  const files = [...reachable(entry)];
  assert.ok(files.some((f) => f.endsWith('full-backup.ts')));
  for (const file of files) {
    for (const { spec, typeOnly } of importsOf(file)) {
      if (typeOnly) continue;
      const where = `${file.slice(root.length)} imports ${spec}`;
      assert.ok(!spec.startsWith('node:') && !['fs', 'path', 'child_process', 'crypto', 'os'].includes(spec), where);
      assert.ok(!['execa', 'pino', 'sharp', '@temporalio/activity', '@temporalio/worker', '@temporalio/client'].includes(spec), where);
      assert.ok(!spec.includes('/activities/') && !spec.includes('/worker/') && !spec.includes('/client/'), where);
    }
  }
});

test('workflow files contain no floating timers or wall-clock reads beyond the sandbox', () => {
  for (const name of readdirSync(join(root, 'workflows'))) {
    const text = readFileSync(join(root, 'workflows', name), 'utf8');
    assert.ok(!/setTimeout\(|setInterval\(|Math\.random\(|process\./.test(text), `${name} uses a non-deterministic API`);
  }
});
