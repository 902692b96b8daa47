// Covers: workflows/ (determinism guard): no timers, randomness or process state outside the
// sandbox's own. What workflow code may import is checked on the import graph by
// test/unit/dependency-rules.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('workflow files contain no floating timers or wall-clock reads beyond the sandbox', () => {
  for (const name of readdirSync(join(root, 'workflows'))) {
    const text = readFileSync(join(root, 'workflows', name), 'utf8');
    assert.ok(!/setTimeout\(|setInterval\(|Math\.random\(|process\./.test(text), `${name} uses a non-deterministic API`);
  }
});
