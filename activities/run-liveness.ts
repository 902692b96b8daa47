// Whether a workflow run is still running, asked of the Temporal server: how the repository lock
// and recovery leases, which outlive a run that was killed, are known to be stale.
import { Connection, WorkflowClient, WorkflowNotFoundError } from '@temporalio/client';
import type { Config } from '../config/schema.js';

export async function runIsRunning(temporal: Config['temporal'], run: { workflowId: string; runId: string }): Promise<boolean> {
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const client = new WorkflowClient({ connection, namespace: temporal.namespace });
    const d = await client.getHandle(run.workflowId, run.runId).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    // Unknown to the server: it is not running. Any other error is no proof it stopped: the
    // caller must not act as if it had.
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  } finally {
    await connection.close();
  }
}
