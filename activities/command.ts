// Runs external programs with argument arrays (never a shell), kills them when the activity is
// cancelled, and turns a failure into a typed, secret-free ApplicationFailure.
import { execa, type Options, type ResultPromise } from 'execa';
import type { Logger } from 'pino';
import type { ErrorType } from '../core/errors.js';
import { fail } from './failure.js';
import { cancellationSignal } from './heartbeat.js';
import { endGroupOnCancel } from './process-group.js';
import type { SecretStore } from './secrets.js';

export interface CommandOptions {
  env?: Record<string, string>;
  /** `env` is the child's whole environment, not additions to the worker's: drops what it lacks (rclone and AWS_CA_BUNDLE). */
  exactEnv?: boolean;
  cwd?: string;
  /** Maps a failed command's stderr to a specific error type; default CommandFailed. */
  classify?: (stderr: string) => ErrorType | undefined;
  /** Exit codes that count as success (rsync 24: files vanished while copying). */
  okExitCodes?: number[];
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const STDERR_TAIL = 2_000;
const FORCE_KILL_AFTER_MS = 5_000;

/**
 * Starts a command in its own process group, ended as a whole when the activity is cancelled
 * (activities/process-group.ts). Being detached also keeps execa's exit hook away: it re-raised a
 * worker's SIGTERM, so the worker died (143) instead of stopping cleanly.
 */
function startInGroup<O extends Options>(file: string, args: string[], options: O) {
  const cancelSignal = cancellationSignal();
  const child = execa(file, args, { ...options, cancelSignal, forceKillAfterDelay: FORCE_KILL_AFTER_MS, detached: true });
  endGroupOnCancel(child, cancelSignal, FORCE_KILL_AFTER_MS);
  return child;
}

export class CommandRunner {
  constructor(
    private readonly secrets: SecretStore,
    private readonly logger: Logger,
  ) {}

  /** Starts a command whose stdout the caller streams; await `finish` for the outcome. */
  spawn(file: string, args: string[], opts: CommandOptions & { stdin?: 'pipe' | 'ignore' } = {}): {
    child: ResultPromise;
    finish: () => Promise<CommandResult>;
  } {
    this.logger.debug({ cmd: file, args: args.map((a) => this.secrets.redact(a)) }, 'run');
    const child = startInGroup(file, args, {
      env: opts.env,
      extendEnv: !opts.exactEnv,
      cwd: opts.cwd,
      stdin: opts.stdin ?? 'ignore',
      stdout: 'pipe',
      buffer: { stdout: false, stderr: true },
      reject: false,
    } satisfies Options);
    return { child, finish: async () => this.check(file, await child, opts) };
  }

  async run(file: string, args: string[], opts: CommandOptions & { input?: string } = {}): Promise<CommandResult> {
    this.logger.debug({ cmd: file, args: args.map((a) => this.secrets.redact(a)) }, 'run');
    const result = await startInGroup(file, args, { env: opts.env, extendEnv: !opts.exactEnv, cwd: opts.cwd, input: opts.input, reject: false });
    return this.check(file, result, opts);
  }

  private check(
    file: string,
    result: { exitCode?: number; stdout?: unknown; stderr?: unknown; isCanceled?: boolean; failed: boolean; code?: string; signal?: string },
    opts: CommandOptions,
  ): CommandResult {
    const stderr = typeof result.stderr === 'string' ? result.stderr : '';
    const stdout = typeof result.stdout === 'string' ? result.stdout : '';
    const exitCode = result.exitCode ?? -1;
    if (!result.failed || opts.okExitCodes?.includes(exitCode)) return { stdout, stderr, exitCode };
    if (result.isCanceled) throw fail('CommandFailed', `${file} was cancelled`);
    if (result.code === 'ENOENT') throw fail('ToolMissing', `${file} is not installed on the worker (not found on PATH)`);
    const tail = this.secrets.redact(stderr.trim().slice(-STDERR_TAIL));
    const type = opts.classify?.(stderr) ?? 'CommandFailed';
    const how = result.signal ? `was killed by ${result.signal}` : `exited with ${exitCode}`;
    this.logger.warn({ cmd: file, exitCode, type, stderr: tail }, 'command failed');
    throw fail(type, `${file} ${how}${tail ? `: ${tail}` : ''}`);
  }
}
