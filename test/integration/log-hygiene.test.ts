// Covers: worker/logger.ts and core/redact.ts on a real run (issue 16, item 13): every line the
// worker writes during a full backup is JSON (the jq filters of docs/operations.md read it), and
// no secret of the fixture is in it, against the real Temporal server and PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, runBackup } from '../helpers.js';

const services = useServices();

test('every worker log line of a real backup is JSON and carries no secret, even when a secret is also a JSON word', async () => {
  const fixture = await makeFixture(services, 4);
  // Secret-named settings whose values are also JSON words and numbers: they are scrubbed as
  // secrets (the name says so), which must not break the lines that hold `true` or 3600.
  await appendFile(fixture.envFile, 'PASSWORD_RESET_ENABLED=true\nTOKEN_TTL_SECONDS=3600\n');
  const setup = await makeConfig(services, fixture, 'log hygiene');
  assertSucceeded(await runBackup(services, setup));
  services.logger.flush();
  await new Promise((r) => setTimeout(r, 200));

  const text = await readFile(services.logFile, 'utf8');
  const lines = text.split('\n').filter(Boolean);
  assert.ok(lines.length > 10, `only ${lines.length} log lines`);
  const parsed = lines.map((line, i) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`log line ${i + 1} is not JSON (${(err as Error).message}): ${line}`);
    }
  });
  assert.ok(parsed.some((l) => l.msg === 'config checked'), 'the .env was read, so its secrets were registered');
  // The SDK's lines carry `"sdk":true`, and the worker stops after the .env was read.
  assert.ok(parsed.some((l) => l.sdk === true), 'the run logged a boolean true, the word the .env made a secret');

  // Searched in the decoded values too: JSON escapes would hide a secret from a search of the raw text.
  const decoded: string[] = [];
  JSON.stringify(parsed, (key, value: unknown) => {
    decoded.push(key, ...(typeof value === 'string' ? [value] : []));
    return value;
  });
  for (const [name, secret] of Object.entries(fixture.secrets)) {
    assert.ok(!text.includes(secret) && !decoded.some((s) => s.includes(secret)), `${name} is in the worker log`);
  }

  // The documented filters over the same file.
  const doc = await readFile(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const block = /<!-- log-filters -->\s*```bash\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const filters = [...block.matchAll(/jq -c '([^']+)'/g)].map((m) => m[1]!);
  assert.ok(filters.includes('select(.level >= 50)'), `the error filter is among the documented ones: ${filters.join('; ')}`);
  for (const filter of filters) {
    const run = await execa('jq', ['-c', filter, services.logFile], { reject: false });
    assert.equal(run.exitCode, 0, `${filter}: ${run.stderr}`);
  }
});
