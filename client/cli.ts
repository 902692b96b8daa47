// The promptbox-backup command line. Exit codes follow core/errors.ts (documented in docs/operations.md).
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { rootFailure } from '../core/alerts.js';
import { ERRORS, EXIT_OK, EXIT_UNKNOWN_FAILURE, EXIT_USAGE, exitCodeFor } from '../core/errors.js';
import { startWorker } from '../worker/start.js';
import { connectClient, webUiLink } from './connect.js';
import { startDemo } from './demo.js';
import { formatBackupResult } from './report.js';
import { writeHtmlReport } from './report-html.js';
import { startFullBackup } from './start-backup.js';
import { collectStatus, formatStatus } from './status.js';
import { formatProgress, signalDr, startDr, watchDr } from './dr.js';
import { progressQuery } from '../workflows/dr-runbook.js';
import { restoreTest } from '../workflows/restore-test.js';
import type { BackupResult } from '../core/backup-result.js';
import { waitWithProgress } from './progress.js';
import { readRestoreTestHistory, type RestoreTestResult } from '../repository/restore-tests.js';
import { startCodecServer } from './codec-server.js';
import { applySchedules, controlSchedule, listSchedules, type ApplyResult } from './schedules.js';
import { collectPitrStatus, formatPitrStatus } from './pitr-status.js';
import { gatherLocalHealthFacts } from '../activities/health.js';
import { evaluateHealth, healthExitCode } from '../core/health.js';
import { backupIdFor, layout } from '../repository/layout.js';
import { applyRetention, type RetentionReport } from '../workflows/retention.js';

const USAGE = `usage: promptbox-backup <command> [options]

commands:
  run        the main job: run a worker and one full backup, print what was written and verified.
             Without a config it brings up a local Temporal dev server and a demo Prompt Box.
  backup     start a full backup on the running workers (waits for the result unless --no-wait)
  worker     run a worker until interrupted
  status     recent runs (from Temporal), the newest good backup and a capacity estimate
  health     is the newest dump recent, big enough, no anomaly, last runs ok, disk free, mirror
             complete? One line; exit 0 ok, 1 warning, 2 critical. Works without Temporal.
  retention  apply GFS retention now (--dry-run: list what would go and why the rest stays)
  schedules  apply | list | pause KIND | unpause KIND | trigger KIND | delete KIND
  pitr       status: the WAL archiver running?, the archive's lag, the newest base backup
  dr         start --input FILE [--id ID] [--no-wait] | status ID [--watch] | approve ID |
             retry ID STEP | skip ID STEP --reason TEXT | abort ID --reason TEXT
             the six-step disaster-recovery runbook (see docs/disaster-recovery.md)
  restore-test run integrity|partial|full [--partial database|images] | history
             prove the backups restore: weekly integrity, monthly partial, quarterly full
  report     --out FILE.html [--days 30]: one self-contained page with charts of backup sizes and
             durations, RPO age, DR drill step times against budgets and restore tests
  codec-server [--port 8888] [--ui-origin URL]
             decode encrypted payloads for the Temporal Web UI (needs temporal.payloadKeyFile)
  config     validate the configuration and print it (secrets are references, never values)

options:
  --config FILE     JSON config (default: $PROMPTBOX_BACKUP_CONFIG)
  --reason TEXT     why this backup runs (shown in the result and the Web UI)
  --no-wait         backup: return once started
  --keep-running    run: keep the demo's Temporal server (and Web UI) up until Ctrl-C
  --json            machine-readable output (backup, run, restore-test run, dr start|status --watch:
                    one JSON object per line, live progress first, the result last)
  --limit N         status: how many runs (default 10)
  --dry-run         retention: decide and report, delete nothing
  --verbose         health: every check, not just the summary line
  --input FILE      dr start: the recovery's target and budgets (JSON, see docs/disaster-recovery.md)
  --id ID           dr start: the workflow id (default dr-<source>-<time>)
  --watch           dr status: refresh until the recovery ends
  --out FILE        report: the HTML file to write
  --days N          report: how many days back (default 30)
`;

const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

function configPath(values: { config?: string }): string | undefined {
  return values.config ?? (process.env.PROMPTBOX_BACKUP_CONFIG || undefined);
}

function requireConfig(values: { config?: string }): Config {
  const file = configPath(values);
  if (!file) throw new ConfigError('the command line', ['--config: required (or set PROMPTBOX_BACKUP_CONFIG)']);
  return loadConfigFile(file);
}

async function untilInterrupted(): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

function formatApply(r: ApplyResult): string {
  const line = (what: string, ids: string[]) => (ids.length ? [`${what}: ${ids.join(', ')}`] : []);
  const archiver = r.archiver ? [`wal archiver ${r.archiver.workflowId}: ${r.archiver.action}`] : [];
  return [...line('created', r.created), ...line('updated', r.updated), ...line('unchanged', r.unchanged), ...line('deleted', r.deleted), ...archiver].join('\n');
}

function formatRetention(r: RetentionReport): string {
  return [
    r.dryRun ? 'Retention (dry run): nothing was deleted' : 'Retention applied',
    ...(r.blocked ? [`  deletion suspended: ${r.blocked}`] : []),
    ...r.keep.map((k) => `  keep   ${k.backupId}  ${k.reasons.join(', ')}`),
    ...(r.dryRun || r.blocked ? r.wouldRemove : r.remove).map((id) => `  ${r.dryRun || r.blocked ? 'would remove' : 'removed'} ${id}`),
    ...r.expiredIncrements.map((d) => `  ${r.dryRun ? 'would remove' : 'removed'} ${layout.imagesIncrementOfDay(d)}`),
    ...r.invalidManifests.map((m) => `  invalid manifest (ignored): ${m}`),
    ...r.ignored.map((i) => `  ignored ${i.backupId} (neither counted nor deleted): ${i.reason}`),
  ].join('\n');
}

async function withClient<T>(config: Config, use: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(config);
  try {
    return await use(client);
  } finally {
    await close();
  }
}

/** Runs a worker just long enough for one full backup, and prints its summary. */
async function backupOnce(config: Config, reason: string | undefined, json: boolean): Promise<void> {
  const running = await startWorker(config);
  try {
    await withClient(config, async (client) => {
      const handle = await startFullBackup(client, config, reason);
      note(`started ${handle.workflowId}${config.temporal.webUi ? ` (${webUiLink(config, handle.workflowId)})` : ''}`);
      await running.worker.runUntil(waitWithProgress<BackupResult>(client, handle, { json, format: (r) => formatBackupResult(r, webUiLink(config, handle.workflowId)) }));
    });
  } finally {
    await running.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      reason: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      'keep-running': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      limit: { type: 'string', default: '10' },
      'dry-run': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      input: { type: 'string' },
      id: { type: 'string' },
      watch: { type: 'boolean', default: false },
      partial: { type: 'string' },
      port: { type: 'string', default: '8888' },
      'ui-origin': { type: 'string', default: 'http://localhost:8233' },
      out: { type: 'string' },
      days: { type: 'string', default: '30' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? 'run';
  if (values.help || command === 'help') {
    say(USAGE);
    return EXIT_OK;
  }
  switch (command) {
    case 'run': {
      if (configPath(values)) {
        await backupOnce(requireConfig(values), values.reason, values.json);
        return EXIT_OK;
      }
      const demo = await startDemo(note);
      try {
        note(`demo config: ${demo.configFile}`);
        await backupOnce(demo.config, values.reason ?? 'demo run', values.json);
        if (values['keep-running']) {
          note(`Temporal Web UI: ${demo.uiUrl} (Ctrl-C to stop)`);
          // Signal listeners do not keep node alive: without the race, a dead dev server ended the
          // process at once, exit 0, skipping the `finally` that stops the demo PostgreSQL.
          const serverDied = await Promise.race([untilInterrupted().then(() => undefined), demo.temporalExited]);
          if (serverDied) throw new Error(`${serverDied}; the demo PostgreSQL has been stopped`);
        } else {
          note(`Browse this run later with: promptbox-backup run --keep-running (data in ${demo.home})`);
        }
      } finally {
        await demo.stop();
      }
      return EXIT_OK;
    }
    case 'backup': {
      const config = requireConfig(values);
      return withClient(config, async (client) => {
        const handle = await startFullBackup(client, config, values.reason);
        note(`started ${handle.workflowId}`);
        if (values['no-wait']) {
          say(values.json ? JSON.stringify({ workflowId: handle.workflowId, runId: (handle as { firstExecutionRunId?: string }).firstExecutionRunId }) : handle.workflowId);
          return EXIT_OK;
        }
        await waitWithProgress<BackupResult>(client, handle, { json: values.json, format: (r) => formatBackupResult(r, webUiLink(config, handle.workflowId)) });
        return EXIT_OK;
      });
    }
    case 'worker': {
      const running = await startWorker(requireConfig(values));
      note('worker running; Ctrl-C to stop');
      // SIGINT/SIGTERM end run() once running steps are cancelled and cleaned up (worker/stop-signals.ts).
      await running.worker.run();
      await running.close();
      return EXIT_OK;
    }
    case 'status': {
      const config = requireConfig(values);
      return withClient(config, async (client) => {
        const report = await collectStatus(client, config, Number(values.limit));
        say(values.json ? JSON.stringify(report, null, 2) : formatStatus(report));
        return EXIT_OK;
      });
    }
    case 'health': {
      const config = requireConfig(values);
      const report = evaluateHealth(await gatherLocalHealthFacts(config), config.health);
      if (values.json) say(JSON.stringify(report, null, 2));
      else {
        say(report.summary);
        if (values.verbose) for (const c of report.checks) say(`  ${c.status.padEnd(8)} ${c.name}: ${c.detail}`);
      }
      return healthExitCode(report.status);
    }
    case 'retention': {
      const config = requireConfig(values);
      return withClient(config, async (client) => {
        const report = await client.workflow.execute(applyRetention, {
          taskQueue: config.temporal.taskQueue,
          workflowId: `retention-${config.source.name}-${backupIdFor(new Date())}`,
          args: [{ dryRun: values['dry-run'] }],
          staticSummary: `GFS retention of ${config.source.name}${values['dry-run'] ? ' (dry run: nothing deleted)' : ''}, started from the CLI`,
        });
        say(values.json ? JSON.stringify(report, null, 2) : formatRetention(report));
        return EXIT_OK;
      });
    }
    case 'schedules': {
      const config = requireConfig(values);
      const [, action = 'list', name] = positionals;
      return withClient(config, async (client) => {
        if (action === 'apply') {
          const r = await applySchedules(client, config);
          say(values.json ? JSON.stringify(r, null, 2) : formatApply(r));
        } else if (action === 'list') {
          const rows = await listSchedules(client, config);
          say(values.json ? JSON.stringify(rows, null, 2) : rows.map((r) => `${r.id.padEnd(40)} ${r.paused ? 'PAUSED ' : 'active '} ${r.cron} (${r.timezone}) next ${r.next ?? '-'}`).join('\n') || 'no schedules: run `schedules apply`');
        } else if (['pause', 'unpause', 'trigger', 'delete'].includes(action) && name) {
          say(`${action}: ${await controlSchedule(client, config, action as 'pause', name, values.reason)}`);
        } else {
          note(`schedules: expected apply, list, or pause|unpause|trigger|delete KIND\n\n${USAGE}`);
          return EXIT_USAGE;
        }
        return EXIT_OK;
      });
    }
    case 'pitr': {
      const config = requireConfig(values);
      if (positionals[1] !== 'status') {
        note(`pitr: expected status\n\n${USAGE}`);
        return EXIT_USAGE;
      }
      return withClient(config, async (client) => {
        const s = await collectPitrStatus(client, config);
        say(values.json ? JSON.stringify(s, null, 2) : formatPitrStatus(s));
        return EXIT_OK;
      });
    }
    case 'dr': {
      const config = requireConfig(values);
      const [, action, id, step] = positionals;
      return withClient(config, async (client) => {
        if (action === 'start') {
          if (!values.input) throw new ConfigError('the command line', ['--input: dr start needs the recovery input file']);
          const handle = await startDr(client, config, values.input, values.id);
          note(`started ${handle.workflowId}${config.temporal.webUi ? ` (${webUiLink(config, handle.workflowId)})` : ''}`);
          if (values['no-wait']) return EXIT_OK;
          const report = await watchDr(client, handle.workflowId, values.json);
          return report.outcome === 'succeeded' ? EXIT_OK : EXIT_UNKNOWN_FAILURE;
        }
        if (!id) {
          note(`dr ${action ?? ''}: name the recovery's workflow id\n\n${USAGE}`);
          return EXIT_USAGE;
        }
        if (action === 'status') {
          if (values.watch) {
            await watchDr(client, id, values.json);
          } else {
            const p = await client.workflow.getHandle(id).query(progressQuery);
            say(values.json ? JSON.stringify(p, null, 2) : formatProgress(p));
          }
          return EXIT_OK;
        }
        say(await signalDr(client, id, action ?? '', step, values.reason));
        return EXIT_OK;
      });
    }
    case 'restore-test': {
      const config = requireConfig(values);
      const [, action, kind] = positionals;
      if (action === 'history') {
        const { results, invalid } = await readRestoreTestHistory(config.repository.root);
        say(values.json ? JSON.stringify(results, null, 2) : results.map((r) => `${r.finishedAt}  ${r.passed ? 'PASS' : 'FAIL'}  ${r.kind.padEnd(17)} ${r.failures.length} problem(s), ${r.checked} checked`).join('\n') || 'no restore tests yet');
        for (const i of invalid) note(`restore-test history: left out ${i.file}: ${i.reason}`);
        return EXIT_OK;
      }
      if (action !== 'run' || !['integrity', 'partial', 'full'].includes(kind ?? '')) {
        note(`restore-test: expected run integrity|partial|full, or history\n\n${USAGE}`);
        return EXIT_USAGE;
      }
      return withClient(config, async (client) => {
        const handle = await client.workflow.start(restoreTest, {
          taskQueue: config.temporal.taskQueue,
          workflowId: `restore-test-${kind}-${config.source.name}-${backupIdFor(new Date())}`,
          args: [{ kind: kind as 'integrity', ...(values.partial ? { partial: values.partial as 'database' } : {}) }],
          staticSummary: `${kind}${values.partial ? ` (${values.partial})` : ''} restore test of ${config.source.name}, started from the CLI`,
        });
        note(`started ${handle.workflowId}`);
        const result = await waitWithProgress<RestoreTestResult>(client, handle, {
          json: values.json,
          format: (result) =>
            [
              `${result.kind} restore test ${result.passed ? 'PASSED' : 'FAILED'} (${result.checked} checked)`,
              ...result.checklist.map((c) => `  ${c.result.padEnd(4)} ${c.item}: ${c.evidence}`),
              ...result.failures.map((f) => `  FAIL ${f.artifact}: ${f.check}: ${f.detail}`),
            ].join('\n'),
        });
        return result.passed ? EXIT_OK : ERRORS.VerificationFailed.exitCode;
      });
    }
    case 'report': {
      const config = requireConfig(values);
      const days = Number(values.days);
      const problems = [
        ...(values.out ? [] : ['--out: report needs the HTML file to write']),
        ...(Number.isInteger(days) && days > 0 ? [] : [`--days: must be a whole number of days above 0, got ${JSON.stringify(values.days)}`]),
      ];
      if (problems.length) throw new ConfigError('the command line', problems);
      const input = await writeHtmlReport(config, values.out as string, days);
      if (input.runsUnavailable) note(`report: run times left out: ${input.runsUnavailable}`);
      for (const i of input.invalidRecords) note(`report: left out ${i.file}: ${i.reason}`);
      say(values.out as string);
      return EXIT_OK;
    }
    case 'codec-server': {
      const config = requireConfig(values);
      if (!config.temporal.payloadKeyFile) throw new ConfigError('the configuration', ['temporal.payloadKeyFile: the codec server needs the payload key']);
      startCodecServer({ keyFile: config.temporal.payloadKeyFile, port: Number(values.port), allowOrigin: values['ui-origin'] });
      note(`codec server on http://127.0.0.1:${values.port} for ${values['ui-origin']}; Ctrl-C to stop`);
      await untilInterrupted();
      return EXIT_OK;
    }
    case 'config': {
      say(JSON.stringify(requireConfig(values), null, 2));
      return EXIT_OK;
    }
    default:
      note(`unknown command: ${command}\n\n${USAGE}`);
      return EXIT_USAGE;
  }
}


main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      note(err.message);
      process.exit(ERRORS.ConfigInvalid.exitCode);
    }
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      note(`${(err as Error).message}\n\n${USAGE}`);
      process.exit(EXIT_USAGE);
    }
    const failure = rootFailure(err);
    note(`promptbox-backup: ${failure.type ? `${failure.type}: ` : ''}${failure.message}`);
    if (process.argv.includes('--json')) note(JSON.stringify({ error: failure }));
    process.exit(exitCodeFor(failure.type));
  },
);
