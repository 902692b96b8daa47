// A Temporal client for the configured cluster (dev server, docker compose or Temporal Cloud).
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { dataConverterFor } from '../worker/payload-codec.js';

export async function connectClient(config: Config): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: config.temporal.address });
  const dataConverter = dataConverterFor(config.temporal.payloadKeyFile);
  return {
    client: new Client({ connection, namespace: config.temporal.namespace, ...(dataConverter ? { dataConverter } : {}) }),
    close: () => connection.close(),
  };
}

/** The Web UI page of a run, when the UI address is known. */
export function webUiLink(config: Config, workflowId: string, runId?: string): string | undefined {
  if (!config.temporal.webUi) return undefined;
  const base = config.temporal.webUi.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}` : ''}`;
}
