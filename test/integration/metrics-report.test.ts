// Covers: worker/metrics.ts, the `worker` command's Prometheus endpoint (config `metrics`),
// client/report-html.ts and the `report` command, rendered in headless Chromium.
// Real backups and a real integrity restore test; DR drill records are written by the runbook's
// own writer (drWriteReport), since a real drill needs a stand-in Prompt Box app and minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createDrActivities } from '../../activities/dr.js';
import { createActivityDeps } from '../../activities/deps.js';
import { freePort } from '../../local/ports.js';
import { listRuns } from '../../client/status.js';
import { BACKUP_WORKFLOWS } from '../../core/report-html.js';
import { progressOf, reportMarkdown, rpoVerdict, rtoVerdict, STEP_TITLES, type DrReport } from '../../core/dr-report.js';
import { DR_STEPS } from '../../core/dr-input.js';
import { manifestSchema, type Manifest } from '../../core/manifest.js';
import type { BackupResult } from '../../core/backup-result.js';
import { launchBrowser } from '../browser.js';
import { useServices, type Services } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, runBackup, runWorkflow, type TestSetup } from '../helpers.js';

const services = useServices();
const cli = fileURLToPath(new URL('../../promptbox-backup', import.meta.url));

async function manifestOf(setup: TestSetup, result: BackupResult): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(join(setup.config.repository.root, result.manifest!), 'utf8')));
}

async function configFile(setup: TestSetup): Promise<string> {
  const file = join(setup.config.repository.root, '..', 'config.json');
  await writeFile(file, JSON.stringify(setup.config));
  return file;
}

/** A drill's report as the runbook writes it: each step took `tookMs[i]` of `budgetMs`; the data restored was 3 h old. */
async function recordDrill(services: Services, setup: TestSetup, workflowId: string, startedAt: string, tookMs: number[], budgetMs: number, backupId: string): Promise<DrReport> {
  let at = Date.parse(startedAt);
  const steps = DR_STEPS.map((step, i) => {
    const start = at;
    at += tookMs[i] as number;
    return { step, title: STEP_TITLES[step], budgetMs, status: 'done' as const, attempts: 1, startedAt: new Date(start).toISOString(), endedAt: new Date(at).toISOString() };
  });
  const progress = progressOf({ startedAt, backupId, outcome: 'succeeded', rtoTargetMs: 6 * budgetMs, steps }, new Date(at));
  const report: DrReport = { ...progress, rto: rtoVerdict(progress, true), rpo: rpoVerdict(new Date(Date.parse(startedAt) - 3 * 3_600_000).toISOString(), startedAt, 86_400_000), checklist: [], images: { checked: 3, missing: [], corrupt: [] } };
  await createDrActivities(createActivityDeps(setup.config, services.logger, services.secrets)).drWriteReport({ workflowId, json: report, markdown: reportMarkdown(report, workflowId) });
  return report;
}

/** Prometheus text format: the value of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('the worker serves the SDK\'s metrics and ours on its loopback address, matching the repository and refreshed after each backup', async () => {
  const fixture = await makeFixture(services, 3);
  const address = `127.0.0.1:${await freePort()}`;
  // An hour between timed refreshes: only the refresh after a run can explain a new value.
  const setup = await makeConfig(services, fixture, 'worker metrics', { encrypted: false, overrides: (c) => void (c.metrics = { address, refreshInterval: '1h' }) });
  const first = await manifestOf(setup, assertSucceeded(await runBackup(services, setup)));
  const integrity = await runWorkflow<{ passed: boolean }>(services, setup, 'restoreTest', [{ kind: 'integrity' }]);
  assert.equal(integrity.result?.passed, true, integrity.error?.message);
  const drill = await recordDrill(services, setup, 'dr-metrics', new Date(Date.now() - 3_600_000).toISOString(), [1000, 2000, 3000, 4000, 5000, 6000], 60_000, first.backupId);

  const worker = execa(cli, ['worker', '--config', await configFile(setup)], { reject: false, all: true });
  try {
    const url = `http://${address}/metrics`;
    let text = '';
    // Ready once the worker polls (SDK metrics) and has read the repository (ours).
    while (!/^temporal_num_pollers/m.test(text) || sample(text, 'promptbox_last_good_backup_timestamp_seconds', { kind: 'database' }) === undefined) {
      assert.equal(worker.exitCode, null, 'the worker process exited');
      await new Promise((r) => setTimeout(r, 500));
      text = await fetch(url).then((r) => r.text(), () => '');
    }
    const scrapedAt = Date.now();
    assert.match(text, /^temporal_request\{/m, 'the SDK\'s client metrics');
    assert.match(text, new RegExp(`^temporal_num_pollers\\{.*task_queue="${setup.config.temporal.taskQueue}`, 'm'), 'the SDK\'s worker metrics');

    for (const kind of ['database', 'images', 'config']) {
      assert.equal(sample(text, 'promptbox_last_good_backup_timestamp_seconds', { kind }), Math.floor(Date.parse(first.finishedAt) / 1000), kind);
      const age = sample(text, 'promptbox_last_good_backup_age_seconds', { kind }) as number;
      assert.ok(age >= 0 && age <= (scrapedAt - Date.parse(first.finishedAt)) / 1000, `${kind} age ${age}`);
    }
    assert.equal(sample(text, 'promptbox_backup_bytes', { kind: 'database' }), first.database!.artifact.bytes);
    assert.equal(sample(text, 'promptbox_backup_bytes', { kind: 'images' }), first.images!.bytes);
    assert.equal(sample(text, 'promptbox_backup_bytes', { kind: 'config' }), first.config.reduce((n, c) => n + c.artifact.bytes, 0));
    assert.ok(first.images!.bytes > 0 && first.database!.artifact.bytes > 0);
    assert.equal(sample(text, 'promptbox_restore_test_last_result', { level: 'integrity' }), 1);
    assert.equal(sample(text, 'promptbox_dr_last_rto_seconds'), drill.rto.actualMs / 1000);
    assert.equal(sample(text, 'promptbox_dr_last_rto_target_seconds'), 360);
    for (const line of text.split('\n').filter((l) => l.startsWith('# HELP promptbox_'))) assert.ok(line.length > '# HELP promptbox_x '.length + 10, line);

    // A database backup run by this worker: its gauges change as soon as the run is over.
    const handle = await services.client.workflow.start('databaseBackup', { taskQueue: setup.config.temporal.taskQueue, workflowId: 'metrics-second-backup', args: [{ reason: 'test' }], workflowExecutionTimeout: '5 minutes' });
    const second = await manifestOf(setup, (await handle.result()) as BackupResult);
    assert.ok(Date.parse(second.finishedAt) - Date.parse(first.finishedAt) >= 1000, 'the two backups differ by their finish time');
    text = await fetch(url).then((r) => r.text());
    assert.equal(sample(text, 'promptbox_last_good_backup_timestamp_seconds', { kind: 'database' }), Math.floor(Date.parse(second.finishedAt) / 1000));
    assert.equal(sample(text, 'promptbox_backup_bytes', { kind: 'database' }), second.database!.artifact.bytes);
    assert.equal(sample(text, 'promptbox_last_good_backup_timestamp_seconds', { kind: 'images' }), Math.floor(Date.parse(first.finishedAt) / 1000), 'a database backup takes no images');
  } finally {
    worker.kill('SIGTERM');
    const ended = await worker;
    services.logger.info({ output: ended.all?.slice(-4000) }, 'metrics worker output');
  }
});

test('the report command writes one offline page whose charts a browser draws: sizes, durations, RPO age, DR steps against budgets, restore tests', async () => {
  const fixture = await makeFixture(services, 3);
  // Its own source name: the report lists this source's runs only, not the other test's.
  const setup = await makeConfig(services, fixture, 'html report', { encrypted: false, overrides: (c) => void (c.source.name = 'reportbox') });
  const full = await manifestOf(setup, assertSucceeded(await runBackup(services, setup)));
  assertSucceeded(await runBackup(services, setup, 'databaseBackup'));
  const integrity = await runWorkflow<{ passed: boolean }>(services, setup, 'restoreTest', [{ kind: 'integrity' }]);
  assert.equal(integrity.result?.passed, true, integrity.error?.message);
  const hour = 3_600_000;
  await recordDrill(services, setup, 'dr-drill-october', new Date(Date.now() - 30 * hour).toISOString(), [60_000, 30_000, 50_000, 200_000, 20_000, 40_000], 120_000, full.backupId);
  await recordDrill(services, setup, 'dr-drill-november', new Date(Date.now() - 2 * hour).toISOString(), [60_000, 30_000, 50_000, 90_000, 20_000, 40_000], 120_000, full.backupId);

  // Visibility is eventually consistent: the report should see both finished backup runs.
  while ((await listRuns(services.client, setup.config, 50)).filter((r) => r.closed && BACKUP_WORKFLOWS.includes(r.type)).length < 2) {
    await new Promise((r) => setTimeout(r, 250));
  }

  const out = join(setup.config.repository.root, '..', 'report.html');
  const run = await execa(cli, ['report', '--config', await configFile(setup), '--out', out, '--days', '7'], { reject: false });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.equal(run.stdout.trim(), out);

  const browser = await launchBrowser();
  try {
    const page = await browser.page();
    const fetched: string[] = [];
    page.on('request', (r) => void (r.url().startsWith('file:') || fetched.push(r.url())));
    await page.goto(`file://${out}`);
    const drawn = (chart: string) =>
      page.$$eval(`#${chart} .mark`, (marks) => marks.filter((m) => { const b = m.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length);
    const text = async (selector: string) => (await page.locator(selector).textContent()) ?? '';

    assert.equal(await drawn('chart-sizes'), 4, 'database twice, images and config once');
    assert.match(await text('#chart-sizes .legend'), /database.*images.*config/);
    assert.equal(await page.locator('#chart-sizes + details tr').count(), 3, 'the data table: a header and both backups');
    assert.equal(await drawn('chart-durations'), 2, 'the full and the database backup');
    assert.match(await text('#chart-durations .legend'), /fullBackup.*databaseBackup/);
    assert.ok((await drawn('chart-rpo')) >= 4, 'saw-tooth points: each backup and now');
    assert.match(await text('#chart-rpo'), /RPO target 1d1h|RPO target 25h/);
    assert.equal(await drawn('chart-restore-tests'), 1);
    assert.match(await text('#chart-restore-tests'), /integrity/);
    // Newest drill first; October's image restore took 3m20s of a 2m budget.
    assert.match(await text('h3 >> nth=0'), /dr-drill-november/);
    assert.match(await text('h3 >> nth=1'), /dr-drill-october/);
    for (const chart of ['chart-dr-0', 'chart-dr-1']) {
      assert.equal(await page.locator(`#${chart} .bar`).count(), 6, chart);
      assert.equal(await page.locator(`#${chart} .budget`).count(), 6, chart);
      assert.ok((await drawn(chart)) >= 12, chart);
      assert.match(await text(`#${chart}`), /4 restore images/);
    }
    assert.equal(await page.locator('#chart-dr-0 .bar.over').count(), 0);
    assert.equal(await page.locator('#chart-dr-1 .bar.over').count(), 1);
    for (const chart of ['chart-sizes', 'chart-durations', 'chart-rpo', 'chart-dr-0', 'chart-restore-tests']) {
      assert.equal(await page.locator(`#${chart}`).getAttribute('role'), 'img');
      assert.ok((await text(`#${chart} > title`)).length > 5, `${chart} has a title`);
    }
    assert.deepEqual(fetched, [], 'the page loads nothing from anywhere');
    await browser.screenshot(page, 'html-report');
  } finally {
    await browser.close();
  }
});
