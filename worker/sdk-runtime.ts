// The SDK's runtime, set up once per process before any connection (it cannot be reconfigured once
// it exists): its log lines go into our scrubbed pino log and, with `metrics`, it serves the
// Prometheus endpoint our gauges join (worker/metrics.ts). It hooks no signals: the process
// decides what a signal stops (worker/stop-signals.ts), exactly once.
import { DefaultLogger, Runtime, type LogLevel, type TelemetryOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { MetricsConfig } from '../config/schema.js';

let installed: { metricsAddress?: string } | undefined;

/** Installs the runtime on the first call; later calls (tests share a process) must ask for no other metrics address. */
export function installSdkRuntime(logger: Logger, metrics?: MetricsConfig): void {
  if (installed) {
    if (metrics && installed.metricsAddress !== metrics.address) throw new Error(`metrics.address: the SDK runtime of this process was already set up without metrics on ${metrics.address}`);
    return;
  }
  try {
    Runtime.install({
      logger: sdkLogsToPino(logger),
      ...(metrics ? { telemetryOptions: prometheusExporter(metrics) } : {}),
      shutdownSignals: [],
    });
  } catch (err) {
    throw metrics ? new Error(`metrics.address ${metrics.address}: ${(err as Error).message}`) : err;
  }
  installed = metrics ? { metricsAddress: metrics.address } : {};
}

/** The SDK's own log lines (worker lifecycle, workflow `log`), marked `sdk`, as pino lines. */
function sdkLogsToPino(logger: Logger): DefaultLogger {
  const toPino = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  return new DefaultLogger('INFO' as LogLevel, (entry) => {
    logger[toPino[entry.level]]({ sdk: true, ...entry.meta }, entry.message);
  });
}

/** The SDK's worker metrics, and the gauges created on its meter, served for Prometheus. */
function prometheusExporter(metrics: MetricsConfig): TelemetryOptions {
  return { metrics: { prometheus: { bindAddress: metrics.address } } };
}
