// Covers: client/schedules.ts, workflows/health-check.ts, workflows/run-outcome.ts (alerts),
// activities/notify.ts, activities/health.ts, against the real Temporal server and PostgreSQL,
// with a real HTTP server on loopback as the webhook.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, recordHistory, runBackup, runWorkflow, testWorker } from '../helpers.js';
import { applySchedules, controlSchedule, scheduleId } from '../../client/schedules.js';
import { freePort } from '../../local/ports.js';
import { gatherHealthFacts } from '../../activities/health.js';
import { evaluateHealth, type HealthReport } from '../../core/health.js';

const services = useServices();

/** A webhook receiver on loopback that keeps every JSON body it gets. */
const received: Array<Record<string, any>> = [];
const webhook = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    received.push(JSON.parse(body));
    res.writeHead(204).end();
  });
});
const webhookUrl = (async () => {
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  const address = webhook.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
})();
after(() => webhook.close());

async function settle(ms = 500): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

test('schedules apply creates every schedule with its cron, time zone and skip overlap; applying twice changes nothing; a schedule removed from the config is deleted', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'schedules apply', {
    overrides: (raw) => {
      raw.schedules = { timezone: 'Europe/Berlin', catchupWindow: '30m', images: { cron: '45 4 * * *' } };
    },
  });
  const first = await applySchedules(services.client, setup.config);
  assert.deepEqual(first.created.sort(), ['config', 'database', 'health', 'images', 'integrity', 'partialRestore', 'retention'].map((k) => `promptbox-backup-promptbox-${k}`));
  const weekly = await services.client.schedule.getHandle(scheduleId(setup.config, 'integrity')).describe();
  assert.deepEqual(weekly.spec.calendars?.[0]?.dayOfWeek, [{ start: 'SUNDAY', end: 'SUNDAY', step: 1 }]);
  assert.deepEqual(weekly.action.type === 'startWorkflow' && weekly.action.args, [{ kind: 'integrity' }]);
  const db = await services.client.schedule.getHandle(scheduleId(setup.config, 'database')).describe();
  assert.equal(db.spec.timezone, 'Europe/Berlin');
  assert.deepEqual(db.spec.calendars?.[0]?.hour, [{ start: 3, end: 3, step: 1 }]);
  assert.deepEqual(db.spec.calendars?.[0]?.minute, [{ start: 0, end: 0, step: 1 }]);
  assert.equal(db.policies.overlap, ScheduleOverlapPolicy.SKIP);
  assert.equal(db.policies.catchupWindow, 30 * 60_000);
  assert.equal(db.action.type === 'startWorkflow' && db.action.workflowType, 'databaseBackup');
  const images = await services.client.schedule.getHandle(scheduleId(setup.config, 'images')).describe();
  assert.deepEqual(images.spec.calendars?.[0]?.minute, [{ start: 45, end: 45, step: 1 }]);

  await controlSchedule(services.client, setup.config, 'pause', 'health', 'maintenance window');
  const second = await applySchedules(services.client, setup.config);
  assert.deepEqual(second.created, []);
  assert.deepEqual(second.updated, []);
  assert.equal(second.unchanged.length, 7);
  assert.equal((await services.client.schedule.getHandle(scheduleId(setup.config, 'health')).describe()).state.paused, true, 'apply never unpauses');

  const changed = structuredClone(setup.config);
  changed.schedules.database = { cron: '30 2 * * *' };
  changed.schedules.config = null;
  const third = await applySchedules(services.client, changed);
  assert.deepEqual(third.updated, [scheduleId(setup.config, 'database')]);
  assert.deepEqual(third.deleted, [scheduleId(setup.config, 'config')]);
  const updated = await services.client.schedule.getHandle(scheduleId(setup.config, 'database')).describe();
  assert.deepEqual(updated.spec.calendars?.[0]?.hour, [{ start: 2, end: 2, step: 1 }]);
  for (const kind of ['database', 'images', 'retention', 'health', 'integrity', 'partialRestore'] as const) await controlSchedule(services.client, setup.config, 'delete', kind);
});

test('triggering the database schedule runs a verified database backup', async () => {
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'schedule trigger');
  setup.config.source.name = 'triggered';
  await applySchedules(services.client, setup.config);
  const worker = await testWorker(services, setup);
  const result = await worker.runUntil(async () => {
    await controlSchedule(services.client, setup.config, 'trigger', 'database');
    const handle = services.client.schedule.getHandle(scheduleId(setup.config, 'database'));
    for (let i = 0; i < 120; i += 1) {
      const recent = (await handle.describe()).info.recentActions;
      const started = recent[0]?.action;
      if (started) return services.client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId).result();
      await settle(250);
    }
    throw new Error('the schedule did not start a workflow');
  });
  assert.equal(result.kind, 'database');
  assert.deepEqual(result.parts, ['database']);
  assert.ok(result.artifacts.some((a: { kind: string }) => a.kind === 'dump'));
  assert.ok(result.verification.some((c: { check: string; ok: boolean }) => c.check === 'pg_restore --list' && c.ok));
  for (const kind of ['database', 'images', 'config', 'retention', 'health', 'integrity', 'partialRestore'] as const) await controlSchedule(services.client, setup.config, 'delete', kind);
});

test('a failed backup sends exactly one alert carrying the error to the webhook', async () => {
  const fixture = await makeFixture(services, 3);
  const closedPort = await freePort();
  const setup = await makeConfig(services, fixture, 'failure alert', {
    overrides: async (raw) => {
      (raw.source.database as { port?: number }).port = closedPort;
      raw.alerts = { webhooks: [{ url: await webhookUrl }] };
    },
  });
  const before = received.length;
  const run = await runBackup(services, setup);
  assert.ok(run.error, 'the backup must fail');
  await settle();
  const alerts = received.slice(before);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  const [alert] = alerts as [Record<string, any>];
  assert.equal(alert.event, 'backup_failed');
  assert.equal(alert.severity, 'critical');
  assert.equal(alert.error.type, 'DatabaseUnreachable');
  assert.equal(alert.workflowId, run.handle.workflowId);
  assert.match(alert.text, /promptbox-backup promptbox: full run failed .*earlier backups are untouched/);
  assert.match(alert.text, /DatabaseUnreachable: .*(refused|failed)/);
});

test('health is ok on a fresh good backup; the hourly check alerts when a threshold is breached', async () => {
  const fixture = await makeFixture(services, 40);
  const setup = await makeConfig(services, fixture, 'health', {
    overrides: async (raw) => {
      raw.alerts = { webhooks: [{ url: await webhookUrl }] };
    },
  });
  assertSucceeded(await runBackup(services, setup));
  const report = evaluateHealth(await gatherHealthFacts(setup.config), setup.config.health);
  assert.equal(report.status, 'ok', report.summary);
  assert.ok(report.checks.some((c) => c.name === 'image mirror' && c.status === 'ok'));

  const strict = structuredClone(setup);
  strict.config.health.minDumpBytes = 10 * 1024 ** 2;
  const before = received.length;
  const check = await runWorkflow<HealthReport>(services, strict, 'healthCheck');
  assert.ifError(check.error);
  assert.equal(check.result?.status, 'critical');
  await recordHistory(services, check.handle.workflowId, 'health-check');
  await settle();
  const alerts = received.slice(before);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.event, 'health_critical');
  assert.match(alerts[0]!.text, /newest dump size/);
});
