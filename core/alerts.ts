// What an alert says. Built in workflows (deterministic, from results and failures), delivered by
// the notify activity to every configured webhook as JSON with a Slack-compatible `text`.
export type AlertEvent = 'backup_failed' | 'offsite_failed' | 'retention_failed' | 'restore_test_failed' | 'health_warning' | 'health_critical';

export interface Alert {
  event: AlertEvent;
  severity: 'warning' | 'critical';
  source: string;
  summary: string;
  workflowId: string;
  backupId?: string;
  error?: { type?: string; message: string };
  details?: string[];
  at: string;
}

/** The JSON body POSTed to webhooks: the alert's fields plus `text` for chat tools. */
export function alertPayload(alert: Alert): Alert & { text: string } {
  const lines = [
    `${alert.severity === 'critical' ? ':rotating_light:' : ':warning:'} promptbox-backup ${alert.source}: ${alert.summary}`,
    ...(alert.error ? [`${alert.error.type ? `${alert.error.type}: ` : ''}${alert.error.message}`] : []),
    ...(alert.details ?? []),
    `workflow ${alert.workflowId}`,
  ];
  return { ...alert, text: lines.join('\n') };
}

/** Type and message at the bottom of a Temporal failure chain (messages are already scrubbed). */
export function rootFailure(err: unknown): { type?: string; message: string } {
  let cur = err as { cause?: unknown; message?: string; type?: string } | undefined;
  while (cur?.cause) cur = cur.cause as typeof cur;
  return { ...(cur?.type ? { type: cur.type } : {}), message: cur?.message ?? String(err) };
}
