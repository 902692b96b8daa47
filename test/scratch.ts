// Temporary directories for tests that need files but no services, removed when the file ends.
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];
// Registered when a test file imports this module, so the hook belongs to the file, not a test.
after(() => created.forEach((d) => rmSync(d, { recursive: true, force: true })));

export function scratchDir(prefix = 'pbb-scratch-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}
