// pino JSON logs with secrets removed twice over: known secret-bearing fields are redacted by
// path, and every known secret value (resolved passwords, .env secrets) is scrubbed from the
// string values of each line before it is written, leaving every line JSON (core/redact.ts).
import { createWriteStream } from 'node:fs';
import pino, { type Logger } from 'pino';
import { REDACTED, redactJsonLine } from '../core/redact.js';
import type { SecretStore } from '../activities/secrets.js';

const REDACT_PATHS = ['password', '*.password', 'passphrase', '*.passphrase', 'PGPASSWORD', '*.PGPASSWORD', 'env.*'];

export function createLogger(opts: { level: string; file?: string; secrets: SecretStore; base?: Record<string, unknown> }): Logger {
  const sink = opts.file ? createWriteStream(opts.file, { flags: 'a', mode: 0o600 }) : process.stderr;
  const scrubbing = {
    write(line: string) {
      sink.write(redactJsonLine(line, opts.secrets.values()));
    },
  };
  return pino(
    {
      level: opts.level,
      base: { service: 'promptbox-backup', ...opts.base },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // The SDK passes failures as `error`; without a serializer they log as {}.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    scrubbing,
  );
}
