// Starts a worker process from a validated config: scrubbed pino log, SDK logs routed into it,
// and a native connection to the configured Temporal cluster.
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { SecretStore } from '../activities/secrets.js';
import type { Config } from '../config/schema.js';
import { createLogger } from './logger.js';
import { createBackupWorker, installRuntimeLogger } from './worker.js';

export interface RunningWorker {
  worker: Worker;
  logger: Logger;
  close: () => Promise<void>;
}

export async function startWorker(config: Config): Promise<RunningWorker> {
  const secrets = new SecretStore();
  const logger = createLogger({ level: config.logging.level, file: config.logging.file, secrets });
  installRuntimeLogger(logger);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createBackupWorker({ config, logger, secrets, connection });
  return { worker, logger, close: () => connection.close() };
}
