// Covers: bench/ (run.ts, scenarios, baseline-backup.sh). The benchmark itself is not a test (its
// figures are ratios printed for people); this tiny run keeps every scenario working, so the
// `npm run bench` of bench/README.md does not rot between measurements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Results } from '../../bench/lib/output.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Each row the benchmark prints, and how many times (the DR rows at two sizes, the overhead probe on four servers). */
const SCENARIOS: Array<[RegExp, number]> = [
  [/^full backup workflow/, 1],
  [/^incremental image backup after replacing 1 %/, 1],
  [/^full backup after the same change/, 1],
  [/^integrity check throughput/, 1],
  [/^DR runbook end to end at [\d.]+ GB/, 2],
  [/^DR steps 2-4 at [\d.]+ GB/, 2],
  [/^restic backup/, 1],
  [/^restic check --read-data/, 1],
  [/^image backup from a bucket, first copy/, 1],
  [/^image increment from a bucket after 1 % change/, 1],
  [/^worker peak RSS/, 1],
  [/^incremental image backup at \d+ and \d+ files/, 1],
  [/^integrity check at \d+ and \d+ files/, 1],
  [/^WAL archive lag under a steady write load/, 1],
  [/^overhead of one activity in a workflow, dev server \(/, 1],
  [/^overhead of one activity in a workflow, dev server, history\.transferProcessorMaxPollRPS raised/, 1],
  [/^overhead of one activity in a workflow, production-shaped server \([^)]*\) \(\d+ no-op/, 1],
  [/^overhead of one activity in a workflow, production-shaped server .*, history\.transferProcessorMaxPollRPS raised/, 1],
];

test('a smoke-sized benchmark runs every scenario and writes its table, results.json and RESULTS.md', async () => {
  const outParent = await mkdtemp(join(tmpdir(), 'pbb-bench-out-'));
  const out = join(outParent, 'results', 'today'); // made by the run: it need not exist
  // Its own --dir: another benchmark's files (one running, or left by a killed run) are not this run's to answer for.
  const dir = await mkdtemp(join('/var/tmp', 'pbb-smoke-'));
  await chmod(dir, 0o711); // PostgreSQL runs as `postgres` when we are root: it must pass through
  try {
    const run = await execa('node', ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out, '--dir', dir], { cwd: root, reject: false });
    assert.equal(run.exitCode, 0, run.stderr.slice(-3000));
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    for (const [pattern, count] of SCENARIOS) {
      const rows = results.rows.filter((r) => pattern.test(r.scenario));
      assert.equal(rows.length, count, `${count} row(s) for ${pattern} in ${results.rows.map((r) => r.scenario).join('; ')}`);
      for (const row of rows) {
        for (const [k, v] of Object.entries(row.data)) assert.ok(Number.isFinite(v) && v >= 0, `${row.scenario}: ${k} = ${v}`);
        assert.ok(run.stdout.includes(row.scenario), `the printed table lists ${row.scenario}`);
      }
    }
    assert.equal(results.rows.length, SCENARIOS.reduce((n, [, count]) => n + count, 0));

    // Every target is judged, and a missed one is printed as such.
    for (const row of results.rows.filter((r) => r.met === false)) assert.match(run.stdout, new RegExp(`${row.target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+MISSED`));
    const markdown = await readFile(join(out, 'RESULTS.md'), 'utf8');
    assert.match(markdown, /^# Benchmark results/);
    // The figures name the code they measured, and say when the tree differed from it.
    if (results.code.commit) {
      assert.ok(markdown.includes(`commit ${results.code.commit}`), 'RESULTS.md names the commit');
      assert.equal(markdown.includes('uncommitted changes'), results.code.changedFiles > 0);
    }
    for (const key of ['node', 'temporal', 'pg_dump', 'rsync', 'restic', 'rclone']) assert.match(markdown, new RegExp(`^- ${key}: \\S`, 'm'));
    // The benchmark cleans up after itself: no fixture, cluster or repository is left in its --dir.
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(outParent, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});

test('a benchmark whose --out cannot be written fails at once, naming it, before measuring anything', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'pbb-bench-out-'));
  const dir = await mkdtemp(join('/var/tmp', 'pbb-smoke-'));
  try {
    const file = join(parent, 'a-file');
    await writeFile(file, '');
    const out = join(file, 'results');
    const run = await execa('node', ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out, '--dir', dir], { cwd: root, reject: false });
    assert.notEqual(run.exitCode, 0);
    assert.ok(run.stderr.includes(`--out ${out}: the results cannot be written there`), run.stderr.slice(-2000));
    assert.deepEqual(await readdir(dir), [], 'no service was started, no source built');
  } finally {
    await rm(parent, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});
