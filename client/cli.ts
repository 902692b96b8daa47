// The promptbox-backup command line. Exit codes follow core/errors.ts (documented in the README).
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ERRORS, EXIT_OK, EXIT_USAGE, exitCodeFor } from '../core/errors.js';
import { startWorker } from '../worker/start.js';
import { connectClient, webUiLink } from './connect.js';
import { startDemo } from './demo.js';
import { formatBackupResult } from './report.js';
import { startFullBackup } from './start-backup.js';
import { collectStatus, formatStatus } from './status.js';

const USAGE = `usage: promptbox-backup <command> [options]

commands:
  run        the main job: run a worker and one full backup, print what was written and verified.
             Without a config it brings up a local Temporal dev server and a demo Prompt Box.
  backup     start a full backup on the running workers (waits for the result unless --no-wait)
  worker     run a worker until interrupted
  status     recent runs (from Temporal) and the newest good backup (from the repository)
  config     validate the configuration and print it (secrets are references, never values)

options:
  --config FILE     JSON config (default: $PROMPTBOX_BACKUP_CONFIG)
  --reason TEXT     why this backup runs (shown in the result and the Web UI)
  --no-wait         backup: return once started
  --keep-running    run: keep the demo's Temporal server (and Web UI) up until Ctrl-C
  --json            machine-readable output
  --limit N         status: how many runs (default 10)
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
      const result = await running.worker.runUntil(handle.result());
      say(json ? JSON.stringify(result, null, 2) : formatBackupResult(result, webUiLink(config, handle.workflowId)));
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
          await untilInterrupted();
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
        const result = await handle.result();
        say(values.json ? JSON.stringify(result, null, 2) : formatBackupResult(result, webUiLink(config, handle.workflowId)));
        return EXIT_OK;
      });
    }
    case 'worker': {
      const running = await startWorker(requireConfig(values));
      note('worker running; Ctrl-C to stop');
      const stopping = untilInterrupted().then(() => running.worker.shutdown());
      await running.worker.run();
      await stopping;
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
    case 'config': {
      say(JSON.stringify(requireConfig(values), null, 2));
      return EXIT_OK;
    }
    default:
      note(`unknown command: ${command}\n\n${USAGE}`);
      return EXIT_USAGE;
  }
}

/** The failure type and message at the bottom of a Temporal failure chain. */
function describeFailure(err: unknown): { type?: string; message: string } {
  let cur = err as { cause?: unknown; message?: string; type?: string };
  while (cur?.cause) cur = cur.cause as typeof cur;
  return { type: cur?.type, message: cur?.message ?? String(err) };
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
    const failure = describeFailure(err);
    note(`promptbox-backup: ${failure.type ? `${failure.type}: ` : ''}${failure.message}`);
    if (process.argv.includes('--json')) note(JSON.stringify({ error: failure }));
    process.exit(exitCodeFor(failure.type));
  },
);
