// Covers: docs/operations.md "Audit in Temporal Web" (its queries, parsed from the page) and the DR
// launch command of docs/disaster-recovery.md (run verbatim), core/audit-summary.ts, the audit search attributes and memo summaries
// of workflows/full-backup.ts and dr-runbook.ts, and what the dev server's Web UI shows of them,
// in headless Chromium (screenshots in test-artifacts/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Page } from 'playwright-core';
import { startDr } from '../../client/dr.js';
import { temporalCli } from '../../local/temporal-dev-server.js';
import { freePort, waitFor } from '../../local/ports.js';
import type { DrReport } from '../../core/dr-report.js';
import { backupIdFor, backupTime } from '../../repository/layout.js';
import type { PromptBoxFixture } from '../../fixtures/promptbox.js';
import { BACKUP_SOURCE, DR_OVER_BUDGET, DR_RPO_SECONDS } from '../../core/search-attributes.js';
import { launchBrowser } from '../browser.js';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeRealPromptBox, recordHistory, rootFailure, runBackup, testWorker, type TestSetup } from '../helpers.js';
import { makeSandbox, type Sandbox } from '../../fixtures/dr-sandbox.js';

// Always on the dev server, which serves the Web UI these tests read (scripts/test.sh leaves this file
// out of its production pass); the audit queries on PostgreSQL visibility are test/production's.
const services = useServices({ webUi: true });

/** The text after `<!-- marker -->` in a page of docs/, so the tests run what the documentation says. */
async function docAfter(page: 'operations.md' | 'disaster-recovery.md', marker: string): Promise<string> {
  const text = await readFile(new URL(`../../docs/${page}`, import.meta.url), 'utf8');
  const at = text.indexOf(`<!-- ${marker} -->`);
  assert.ok(at >= 0, `docs/${page} has a <!-- ${marker} --> marker`);
  return text.slice(at);
}

async function documentedQueries(): Promise<Map<string, string>> {
  const section = await docAfter('operations.md', 'audit-queries');
  const table = section.slice(0, section.indexOf('<!-- /audit-queries -->'));
  const rows = table.split('\n').filter((line) => line.startsWith('| ') && line.includes('`'));
  return new Map(rows.map((row) => {
    const [, question, filter] = row.split('|') as [string, string, string];
    return [question.trim(), /`(.+)`/.exec(filter)![1]!];
  }));
}

interface AuditRuns {
  setup: TestSetup;
  backupId: string;
  backupWorkflowId: string;
  failedWorkflowId: string;
  /** Launched with the documented Temporal CLI command; within budget. */
  drInBudget: string;
  drInBudgetReport: DrReport;
  /** Started as our CLI's `dr start` does, with a step budget far too short: over budget, yet succeeded. */
  drOverBudget: string;
  /** A recovery of a backup taken two days before (in a repository made to look so). */
  drOfOldData: string;
  /** A backup whose previous good backup (in that repository) was two days old. */
  gapClosingBackup: string;
  /** A config snapshot of a 1.1 GB file. */
  largeBackup: string;
}

let shared: Promise<AuditRuns> | undefined;

/** One good and one failed backup, then two recoveries of the good one; built once per file. */
function auditRuns(): Promise<AuditRuns> {
  shared ??= (async () => {
    const fixture = await makeRealPromptBox(services, 4);
    const setup = await makeConfig(services, fixture, 'audit', { overrides: (raw) => void (raw.temporal!.taskQueue = 'promptbox-backup') });
    const good = await runBackup(services, setup);
    const { backupId } = assertSucceeded(good);
    const closedPort = await freePort();
    const unreachable = await makeConfig(services, fixture, 'audit unreachable database', {
      overrides: (raw) => void Object.assign(raw.source.database, { port: closedPort }),
    });
    const failed = await runBackup(services, unreachable);
    assert.ok(failed.error, 'the backup of an unreachable database failed');

    // Each sandbox is stopped once its recovery is done: the pages below need only the records.
    const recover = async <T>(name: string, run: (sandbox: Sandbox) => Promise<T>): Promise<T> => {
      const sandbox = await makeSandbox(fixture, services.dir, name);
      try {
        return await run(sandbox);
      } finally {
        await sandbox.stop();
      }
    };
    const runs = await (await testWorker(services, setup)).runUntil(async () => {
      const inBudget = await recover('audit-readme', async (sandbox) => {
        const id = await launchDrAsDocumented(sandbox.input);
        return { drInBudget: id, drInBudgetReport: (await services.client.workflow.getHandle(id).result()) as DrReport };
      });
      // Started as `dr start` does.
      const drOverBudget = await recover('audit-over-budget', async ({ input }) => {
        const inputFile = join(services.dir, 'over-budget.json');
        await writeFile(inputFile, JSON.stringify({ ...input, budgets: { ...input.budgets, startDatabase: '20ms' }, timeoutFactor: 3000 }));
        const handle = await startDr(services.client, setup.config, inputFile);
        await handle.result();
        return handle.workflowId;
      });
      return { ...inBudget, drOverBudget };
    });
    // What the remaining three documented questions must find, each in a repository of its own.
    const aged = await repositoryTwoDaysOld(fixture);
    const drOfOldData = await (await testWorker(services, aged)).runUntil(() =>
      recover('audit-old-data', async ({ input }) => {
        const inputFile = join(services.dir, 'old-data.json');
        await writeFile(inputFile, JSON.stringify(input));
        const handle = await startDr(services.client, aged.config, inputFile, 'dr-promptbox-old-data');
        await handle.result();
        return handle.workflowId;
      }),
    );
    const gapClosing = await runBackup(services, aged);
    assertSucceeded(gapClosing);
    const bigFile = join(services.dir, 'audit-big.conf');
    await execa('truncate', ['-s', '1100M', bigFile]);
    const big = await makeConfig(services, fixture, 'audit large backup', { encrypted: false, overrides: (raw) => void (raw.source.configFiles = [bigFile]) });
    const large = await runBackup(services, big, 'configSnapshot');
    assertSucceeded(large);
    await recordHistory(services, runs.drInBudget, 'dr-recovery-with-summary');
    await recordHistory(services, failed.handle.workflowId, 'full-backup-failed-with-summary');
    return {
      setup, backupId, backupWorkflowId: good.handle.workflowId, failedWorkflowId: failed.handle.workflowId, ...runs,
      drOfOldData, gapClosingBackup: gapClosing.handle.workflowId, largeBackup: large.handle.workflowId,
    };
  })();
  return shared;
}

/** A repository whose one good backup looks two days old: its manifest renamed and its times moved back. */
async function repositoryTwoDaysOld(fixture: PromptBoxFixture): Promise<TestSetup> {
  const setup = await makeConfig(services, fixture, 'audit aged repository');
  const { backupId, manifest } = assertSucceeded(await runBackup(services, setup));
  const root = setup.config.repository.root;
  const TWO_DAYS_MS = 2 * 86_400_000;
  const earlier = (iso: string) => new Date(Date.parse(iso) - TWO_DAYS_MS).toISOString();
  const doc = JSON.parse(await readFile(join(root, manifest!), 'utf8'));
  const agedId = backupIdFor(new Date(backupTime(backupId).getTime() - TWO_DAYS_MS));
  Object.assign(doc, { backupId: agedId, startedAt: earlier(doc.startedAt), finishedAt: earlier(doc.finishedAt) });
  await writeFile(join(root, 'manifests', `${agedId}.json`), JSON.stringify(doc, null, 2), { mode: 0o600 });
  await rm(join(root, manifest!));
  return setup;
}

/**
 * Runs the documented `temporal workflow start` block as an operator would: in a shell, in the
 * directory holding recovery.json, with `temporal` on PATH and TEMPORAL_ADDRESS set.
 */
async function launchDrAsDocumented(input: unknown): Promise<string> {
  const command = /```bash\n([\s\S]*?)```/.exec(await docAfter('disaster-recovery.md', 'dr-launch-command'))![1]!;
  const cwd = join(services.dir, 'operator');
  await mkdir(cwd, { recursive: true });
  await writeFile(join(cwd, 'recovery.json'), JSON.stringify(input));
  const { stdout } = await execa('bash', ['-c', command], {
    cwd,
    env: { TEMPORAL_ADDRESS: services.temporal.address, PATH: `${dirname(temporalCli())}:${process.env.PATH}` },
  });
  const id = /WorkflowId\s+(\S+)/.exec(stdout)?.[1];
  assert.ok(id, `the command printed the workflow id:\n${stdout}`);
  return id;
}

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const run of services.client.workflow.list({ query })) ids.push(run.workflowId);
  return ids;
}

/** Visibility is updated shortly after a run closes: wait for it to settle, then compare. */
async function assertListed(query: string, expected: string[]): Promise<void> {
  await waitFor(query, 10_000, async () => JSON.stringify(await listIds(query)) === JSON.stringify(expected)).catch(() => undefined);
  assert.deepEqual(await listIds(query), expected, query);
}

test('the documented DR launch command, run verbatim, starts a recovery with a readable id that completes', async () => {
  const runs = await auditRuns();
  assert.match(runs.drInBudget, /^dr-promptbox-\d{8}_\d{6}$/);
  assert.equal(runs.drInBudgetReport.outcome, 'succeeded', JSON.stringify(runs.drInBudgetReport.steps));
  assert.equal(runs.drInBudgetReport.backupId, runs.backupId);
  const described = await services.client.workflow.getHandle(runs.drInBudget).describe();
  assert.equal(described.status.name, 'COMPLETED');
  assert.deepEqual(described.typedSearchAttributes.get(BACKUP_SOURCE), 'promptbox');
  assert.equal(await described.staticSummary(), 'Disaster recovery of promptbox');
});

test('a recovery started as `dr start` does has a readable id, its source and a summary from the start', async () => {
  const runs = await auditRuns();
  assert.match(runs.drOverBudget, /^dr-promptbox-\d{8}_\d{6}$/);
  const described = await services.client.workflow.getHandle(runs.drOverBudget).describe();
  assert.deepEqual(described.typedSearchAttributes.get(BACKUP_SOURCE), 'promptbox');
  assert.match(String(await described.staticSummary()), /^Disaster recovery of promptbox into \/.*sandbox-audit-over-budget\/app$/);
});

test('every run ends with a one-line summary in its memo, and recoveries carry their RPO and budget figures', async () => {
  const runs = await auditRuns();
  const memo = async (id: string) => (await services.client.workflow.getHandle(id).describe()).memo?.summary;
  assert.match(String(await memo(runs.backupWorkflowId)), new RegExp(`^full backup ${runs.backupId} of promptbox: succeeded, \\d+ bytes in \\d+ artifact\\(s\\), verified`));
  assert.match(String(await memo(runs.failedWorkflowId)), /^full run failed \(backup \d{8}_\d{6}\); earlier backups are untouched: /);
  assert.match(String(await memo(runs.drInBudget)), new RegExp(`^recovery succeeded from backup ${runs.backupId}: RTO met: .*every step within its budget; RPO met: .*; checklist \\d+/\\d+ passed$`));
  assert.match(String(await memo(runs.drOverBudget)), /^recovery succeeded .*over budget: 2 start database/);
  for (const [id, over] of [[runs.drInBudget, false], [runs.drOverBudget, true]] as const) {
    const attributes = (await services.client.workflow.getHandle(id).describe()).typedSearchAttributes;
    assert.equal(attributes.get(DR_OVER_BUDGET), over, `${id} DrOverBudget`);
    const rpoSeconds = attributes.get(DR_RPO_SECONDS);
    assert.ok(rpoSeconds !== undefined && rpoSeconds >= 0 && rpoSeconds < 3600, `${id} DrRpoSeconds is the restored data's age: ${rpoSeconds}`);
  }
});

test('each documented audit query returns exactly the expected runs, newest first', async () => {
  const runs = await auditRuns();
  const now = new Date();
  const placeholders: Record<string, string> = {
    monthStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
    backupId: runs.backupId,
  };
  const expected: Record<string, string[]> = {
    'last successful full restore': [runs.drOfOldData, runs.drOverBudget, runs.drInBudget],
    'failed backups this month': [runs.failedWorkflowId],
    'DR drills over budget': [runs.drOverBudget],
    'backups that closed a gap longer than the 24 h RPO': [runs.gapClosingBackup],
    'recoveries whose data was older than the 24 h RPO': [runs.drOfOldData],
    'every run that took or restored one backup': [runs.drOverBudget, runs.drInBudget, runs.backupWorkflowId],
    'backups of one source larger than 1 GB': [runs.largeBackup],
  };
  const queries = await documentedQueries();
  assert.deepEqual([...queries.keys()].map((q) => Object.keys(expected).find((e) => q.startsWith(e))), Object.keys(expected), 'documented questions');
  for (const [question, filter] of queries) {
    const query = filter.replace(/\{(\w+)\}/g, (_, name: string) => placeholders[name] ?? assert.fail(`undocumented placeholder {${name}}`));
    await assertListed(query, expected[Object.keys(expected).find((e) => question.startsWith(e))!]!);
  }
});

test('in the Web UI, a documented filter lists only the matching recovery, and a recovery page shows its steps and result', async () => {
  const runs = await auditRuns();
  const overBudget = (await documentedQueries()).get('DR drills over budget')!;
  await assertListed(overBudget, [runs.drOverBudget]);
  const browser = await launchBrowser();
  try {
    const page = await browser.page();
    await page.goto(`${services.temporal.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(overBudget)}`);
    await page.getByRole('link', { name: runs.drOverBudget, exact: true }).first().waitFor();
    await browser.screenshot(page, 'audit-list-dr-over-budget');
    assert.equal(await page.getByText(runs.drInBudget).count(), 0, 'the in-budget recovery is not listed');
    assert.equal(await page.getByText(runs.backupWorkflowId).count(), 0, 'no backup is listed');

    await page.goto(`${services.temporal.uiUrl}/namespaces/default/workflows/${runs.drInBudget}`);
    await visible(page, 'Completed');
    await browser.screenshot(page, 'audit-dr-run');
    for (const step of runs.drInBudgetReport.steps) await visible(page, `${step.title} (budget`);
    await visible(page, `"backupId": "${runs.backupId}"`);
    await visible(page, '"outcome": "succeeded"');
    await page.getByRole('tab', { name: 'Memo' }).click();
    await visible(page, `recovery succeeded from backup ${runs.backupId}: RTO met`);
    await browser.screenshot(page, 'audit-dr-memo');
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await visible(page, 'Disaster recovery of promptbox');
    await browser.screenshot(page, 'audit-dr-user-metadata');
  } finally {
    await browser.close();
  }
});

test('the Web UI starts a recovery from the pre-filled form the documentation links, and an invalid input fails naming the field', async () => {
  const { setup } = await auditRuns();
  const link = /`(http:\/\/localhost:8233\/namespaces\/default\/workflows\/start-workflow\?[^`]+)`/.exec(await docAfter('disaster-recovery.md', 'dr-web-ui-start'))?.[1];
  assert.ok(link, 'docs/disaster-recovery.md gives the pre-filled Start Workflow link');
  const browser = await launchBrowser();
  try {
    const page = await browser.page();
    await page.goto(link.replace('http://localhost:8233', services.temporal.uiUrl!));
    const id = 'dr-promptbox-from-web-ui';
    await page.getByLabel('Workflow ID').fill(id);
    // The form offers the latest drRecovery run's input: replace it.
    await page.locator('.cm-content').first().click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ target: { storageRoot: 'relative/path' } }));
    await browser.screenshot(page, 'audit-start-workflow-form');
    await page.getByRole('button', { name: 'Start Workflow' }).click();
    const handle = services.client.workflow.getHandle(id);
    // The form submits asynchronously: the run exists once the UI's request went through.
    const started = waitFor(`${id}, started by the Web UI`, 30_000, async () => (await listIds(`WorkflowId = '${id}'`)).length > 0);
    await assert.rejects((await testWorker(services, setup)).runUntil(started.then(() => handle.result())), (err: Error) => {
      const cause = rootFailure(err);
      assert.equal(cause.type, 'ConfigInvalid');
      assert.match(cause.message, /target\.appDir: .*target\.storageRoot: /);
      return true;
    });
    assert.equal((await handle.describe()).type, 'drRecovery');
    await page.goto(`${services.temporal.uiUrl}/namespaces/default/workflows/${id}`);
    await visible(page, 'invalid drRecovery input: target.appDir');
    await browser.screenshot(page, 'audit-dr-started-from-web-ui');
  } finally {
    await browser.close();
  }
});

/** Waits until `text` shows on the page or in one of its frames (the UI renders summaries, Markdown, in an iframe). */
async function visible(page: Page, text: string): Promise<void> {
  await waitFor(`"${text}" on ${page.url()}`, 30_000, async () => {
    for (const frame of page.frames()) if (await frame.getByText(text).first().isVisible()) return true;
    return false;
  });
}
