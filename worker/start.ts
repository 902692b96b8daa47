// Starts a worker process from a validated config: scrubbed pino log, SDK logs routed into it,
// a native connection to the configured Temporal cluster, when configured Prometheus metrics, and
// SIGINT/SIGTERM stopping it cleanly until closed.
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { SecretStore } from '../activities/secrets.js';
import type { Config } from '../config/schema.js';
import { createLogger } from './logger.js';
import { startWorkerMetrics } from './metrics.js';
import { stopOnSignals } from './stop-signals.js';
import { installSdkRuntime } from './sdk-runtime.js';
import { createBackupWorker } from './worker.js';

export interface RunningWorker {
  worker: Worker;
  logger: Logger;
  close: () => Promise<void>;
}

export async function startWorker(config: Config): Promise<RunningWorker> {
  const secrets = new SecretStore();
  const logger = createLogger({ level: config.logging.level, file: config.logging.file, secrets });
  installSdkRuntime(logger, config.metrics);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const metrics = config.metrics ? await startWorkerMetrics({ ...config, metrics: config.metrics }, logger, secrets) : undefined;
  const worker = await createBackupWorker({ config, logger, secrets, connection, ...(metrics ? { metrics } : {}) });
  const stopListening = stopOnSignals(worker, logger);
  return {
    worker,
    logger,
    close: async () => {
      stopListening();
      metrics?.stop();
      await connection.close();
    },
  };
}
