// Delivers alerts to the configured webhooks (JSON POST with a Slack-compatible `text`) and
// pings the success URL (healthchecks-style). Each webhook that accepted an alert is remembered
// in the heartbeat, so a retry after a partial failure does not alert the others twice.
import { alertPayload, type Alert } from '../core/alerts.js';
import type { ActivityDeps } from './deps.js';
import { fail } from './failure.js';
import { previousProgress, withHeartbeat } from './heartbeat.js';

export function createNotifyActivities(deps: ActivityDeps) {
  const { config, logger, secrets } = deps;
  const timeout = () => AbortSignal.timeout(config.alerts.timeout);

  return {
    async sendAlert(alert: Alert): Promise<{ delivered: number }> {
      const payload = alertPayload(alert);
      logger.warn({ alert: payload }, 'alert');
      const delivered = new Set(previousProgress<number[]>() ?? []);
      const errors: string[] = [];
      await withHeartbeat(
        () => [...delivered],
        async () => {
          for (const [i, hook] of config.alerts.webhooks.entries()) {
            if (delivered.has(i)) continue;
            try {
              const res = await fetch(hook.url, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(payload),
                signal: timeout(),
              });
              if (!res.ok) throw new Error(`HTTP ${res.status}`);
              delivered.add(i);
            } catch (err) {
              // The URL may carry a token: name the webhook by position, never by URL.
              errors.push(`webhook #${i + 1}: ${secrets.redact((err as Error).message)}`);
            }
          }
        },
      );
      if (errors.length) throw fail('AlertDeliveryFailed', `alert not delivered to ${errors.join('; ')}`);
      return { delivered: delivered.size };
    },

    async pingSuccess(): Promise<void> {
      if (!config.alerts.pingUrl) return;
      const res = await fetch(config.alerts.pingUrl, { signal: timeout() }).catch((err: Error) => {
        throw fail('AlertDeliveryFailed', `success ping failed: ${err.message}`);
      });
      if (!res.ok) throw fail('AlertDeliveryFailed', `success ping answered HTTP ${res.status}`);
    },
  };
}
