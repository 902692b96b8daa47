// What one activity costs in a workflow, and where that time goes: a worker in this process runs
// a workflow of N no-op activities in a row, and the same loop runs on the Go SDK
// (bench/overhead-go) against the same server. The server's history gives each step's phases
// (workflow task waiting for dispatch and running, activity waiting and running), and the CPU time
// of the server and of this process is counted over the run.
//
// The finding it keeps in view (bench/README.md): each task the server hands out is first read
// from the history shard's transfer queue, and those reads are rate-limited per shard
// (history.transferProcessorMaxPollRPS, default 20 a second, with a burst of 20). A long chain of
// steps drains the burst and then waits for the limiter: about 50 ms per read, whichever SDK. So
// each server is measured twice, with its default and with that limit raised.
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { freePort } from '../../local/ports.js';
import { startDevServer } from '../../local/temporal-dev-server.js';
import type { DynamicConfigValues } from '../../local/temporal-dynamic-config.js';
import { startProductionServer } from '../../local/temporal-production-server.js';
import type { BenchServices } from '../lib/environment.js';
import { timed } from '../lib/measure.js';
import { ratio, type Row } from '../lib/row.js';

const WORKFLOWS = fileURLToPath(new URL('../workflows/activity-overhead.ts', import.meta.url));
const GO_PROBE = fileURLToPath(new URL('../overhead-go', import.meta.url));
const RAISED_LIMIT = { 'history.transferProcessorMaxPollRPS': 1000 };

export function overheadActivities() {
  return {
    async nothing(i: number): Promise<number> {
      return i;
    },
  };
}

const overheadBundle = () => bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });

/**
 * The least any workflow adds to work done in one activity, on the benchmark's own server: a
 * workflow of one no-op activity, started and awaited by a client, best of `runs`. No run of the
 * raw tools as a workflow can take less than their own time plus this: the increments' floor.
 */
export async function oneActivityRunMs(s: BenchServices, runs: number): Promise<number> {
  const connection = await NativeConnection.connect({ address: s.temporal.address });
  const taskQueue = `bench-one-activity-${Date.now()}`;
  try {
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: await overheadBundle(), activities: overheadActivities() });
    return await worker.runUntil(async () => {
      const run = (workflowId: string) => s.client.workflow.execute('activityOverhead', { taskQueue, workflowId, args: [1] });
      await run(`${taskQueue}-warm-up`); // connections and pollers up
      let best = Infinity;
      for (let i = 0; i < runs; i += 1) best = Math.min(best, (await timed(() => run(`${taskQueue}-${i}`))).ms);
      return best;
    });
  } finally {
    await connection.close();
  }
}

/** Medians over the steps, from the server's event times (ms). */
interface Phases {
  workflowTaskWait: number;
  workflowTaskRun: number;
  activityWait: number;
  activityRun: number;
}

interface Probe {
  perStepMs: number;
  goPerStepMs?: number;
  goProblem?: string;
  phases: Phases;
  serverCpuPerStepMs: number;
  workerCpuPerStepMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
const eventMs = (e: temporal.api.history.v1.IHistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

function phasesOf(events: temporal.api.history.v1.IHistoryEvent[]): Phases {
  const at = new Map(events.map((e) => [Number(e.eventId), eventMs(e)]));
  const since = (eventId: unknown, e: temporal.api.history.v1.IHistoryEvent) => eventMs(e) - (at.get(Number(eventId)) ?? eventMs(e));
  const gaps: Record<keyof Phases, number[]> = { workflowTaskWait: [], workflowTaskRun: [], activityWait: [], activityRun: [] };
  for (const e of events) {
    if (e.workflowTaskStartedEventAttributes) gaps.workflowTaskWait.push(since(e.workflowTaskStartedEventAttributes.scheduledEventId, e));
    if (e.workflowTaskCompletedEventAttributes) gaps.workflowTaskRun.push(since(e.workflowTaskCompletedEventAttributes.startedEventId, e));
    if (e.activityTaskStartedEventAttributes) gaps.activityWait.push(since(e.activityTaskStartedEventAttributes.scheduledEventId, e));
    if (e.activityTaskCompletedEventAttributes) gaps.activityRun.push(since(e.activityTaskCompletedEventAttributes.startedEventId, e));
  }
  return { workflowTaskWait: median(gaps.workflowTaskWait), workflowTaskRun: median(gaps.workflowTaskRun), activityWait: median(gaps.activityWait), activityRun: median(gaps.activityRun) };
}

/** CPU time (ms) a process has used, from /proc (clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The Go probe built into `dir`, or why it could not be (no Go toolchain, no module proxy). */
async function buildGoProbe(dir: string): Promise<{ binary?: string; problem?: string }> {
  const binary = join(dir, 'overhead-go');
  const built = await execa('go', ['build', '-buildvcs=false', '-o', binary, '.'], { cwd: GO_PROBE, reject: false });
  return built.exitCode === 0 ? { binary } : { problem: `Go SDK loop not built: ${`${built.stderr || built.message}`.split('\n')[0]}` };
}

/** Both loops against the server at `address` (whose process is `serverPid`), `steps` activities each. */
async function probe(address: string, serverPid: number, steps: number, bundle: WorkflowBundle, go: { binary?: string; problem?: string }): Promise<Probe> {
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  const client = new Client({ connection: clientConnection });
  const taskQueue = `bench-overhead-${Date.now()}`;
  try {
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: bundle, activities: overheadActivities() });
    const run = (n: number, workflowId: string) => client.workflow.execute('activityOverhead', { taskQueue, workflowId, args: [n] });
    const measuredId = `${taskQueue}-measured`;
    const measured = await worker.runUntil(async () => {
      await run(5, `${taskQueue}-warm-up`); // connections and pollers up
      await sleep(1_100); // the limiter's burst refilled, as for the Go loop
      const [server0, worker0] = [await cpuMs(serverPid), process.cpuUsage()];
      const loop = await timed(() => run(steps, measuredId));
      const [server1, worker1] = [await cpuMs(serverPid), process.cpuUsage(worker0)];
      return { ms: loop.ms, serverCpuMs: server1 - server0, workerCpuMs: (worker1.user + worker1.system) / 1000 };
    });
    const events = (await client.workflow.getHandle(measuredId).fetchHistory()).events ?? [];
    await sleep(1_100);
    const goRun = go.binary ? await execa(go.binary, [address, String(steps)], { reject: false }) : undefined;
    const goMs = goRun?.exitCode === 0 ? (JSON.parse(goRun.stdout) as { ms: number }).ms : undefined;
    return {
      perStepMs: measured.ms / steps,
      ...(goMs !== undefined ? { goPerStepMs: goMs / steps } : { goProblem: go.problem ?? `Go SDK loop failed: ${goRun?.stderr.split('\n')[0]}` }),
      phases: phasesOf(events),
      serverCpuPerStepMs: measured.serverCpuMs / steps,
      workerCpuPerStepMs: measured.workerCpuMs / steps,
    };
  } finally {
    await connection.close();
    await clientConnection.close();
  }
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

function probeRow(server: string, steps: number, p: Probe, compared: { baseline: string; result: string }): Row {
  const go = p.goPerStepMs !== undefined ? `; Go SDK, same loop: ${ms(p.goPerStepMs)}/step` : `; ${p.goProblem}`;
  const ph = p.phases;
  return {
    scenario: `overhead of one activity in a workflow, ${server} (${steps} no-op steps in a row)`,
    ours: `${ms(p.perStepMs)}/step${go}`,
    baseline: compared.baseline,
    result: `${compared.result}; medians from history: workflow task waits ${ms(ph.workflowTaskWait)}, runs ${ms(ph.workflowTaskRun)}; activity waits ${ms(ph.activityWait)}, runs ${ms(ph.activityRun)}; CPU/step: server ${ms(p.serverCpuPerStepMs)}, this worker ${ms(p.workerCpuPerStepMs)}`,
    target: 'report',
    met: undefined,
    data: {
      steps,
      perStepMs: p.perStepMs,
      ...(p.goPerStepMs !== undefined ? { goPerStepMs: p.goPerStepMs } : {}),
      ...Object.fromEntries(Object.entries(ph).map(([k, v]) => [`${k}Ms`, v])),
      serverCpuPerStepMs: p.serverCpuPerStepMs,
      workerCpuPerStepMs: p.workerCpuPerStepMs,
    },
  };
}

const PRODUCTION = 'production-shaped server (Temporal 1.29.1 on PostgreSQL 16)';
const RAISED = Object.entries(RAISED_LIMIT).map(([key, value]) => `${key} raised to ${value}`).join(', ');

/** A probe that could not run, with the reason in place of figures. */
function unmeasured(server: string, steps: number, why: string): Row {
  return { scenario: `overhead of one activity in a workflow, ${server} (${steps} no-op steps in a row)`, ours: 'not measured', baseline: '—', result: why, target: 'report', met: undefined, data: {} };
}

/**
 * The probe on the benchmark's dev server, on a dev server with the transfer-queue limit raised,
 * and on the production-shaped server with its default and then raised (when its binary is
 * there: scripts/build-temporal-server.sh builds it).
 */
export async function activityOverhead(s: BenchServices, steps: number): Promise<Row[]> {
  const activities = overheadActivities();
  const direct = await timed(async () => {
    for (let i = 0; i < steps; i += 1) await activities.nothing(i);
  });
  const directCall = `${((direct.ms * 1000) / steps).toFixed(2)} µs direct call`;
  const bundle = await overheadBundle();
  const go = await buildGoProbe(s.dir);
  const rows: Row[] = [];
  const limited = (p: Probe) => ({ baseline: directCall, result: ms(p.perStepMs) });
  const raised = (p: Probe, before: Probe) => ({ baseline: `${ms(before.perStepMs)}/step with the default limit (20 a second per shard)`, result: `${ratio(p.perStepMs / before.perStepMs)} the default` });

  // The benchmark's own server runs the deployment's settings, which raise the limit: each dev
  // server here is one of its own.
  const onDevServer = async (name: string, dynamicConfig: DynamicConfigValues) => {
    const server = await startDevServer({ dbFile: join(s.dir, `temporal-${name}.sqlite`), port: await freePort(), logFile: join(s.dir, `temporal-${name}.log`), dynamicConfig });
    try {
      return await probe(server.address, server.process.pid!, steps, bundle, go);
    } finally {
      await server.stop();
    }
  };
  const dev = await onDevServer('default', {});
  rows.push(probeRow('dev server', steps, dev, limited(dev)));
  const devRaised = await onDevServer('raised', RAISED_LIMIT);
  rows.push(probeRow(`dev server, ${RAISED}`, steps, devRaised, raised(devRaised, dev)));

  const dynamicConfigFile = join(s.dir, 'temporal-production-dynamic.yaml');
  await writeFile(dynamicConfigFile, '{}\n');
  const server = await startProductionServer({ dir: join(s.dir, 'temporal-production'), dynamicConfigFile }).catch((err: Error) => err);
  if (server instanceof Error) return [...rows, unmeasured(PRODUCTION, steps, server.message), unmeasured(`${PRODUCTION}, ${RAISED}`, steps, server.message)];
  try {
    const prod = await probe(server.address, server.process.pid!, steps, bundle, go);
    rows.push(probeRow(PRODUCTION, steps, prod, limited(prod)));
    await writeFile(dynamicConfigFile, Object.entries(RAISED_LIMIT).map(([k, v]) => `${k}:\n  - value: ${v}\n`).join(''));
    await server.restart(0);
    const p = await probe(server.address, server.process.pid!, steps, bundle, go);
    rows.push(probeRow(`${PRODUCTION}, ${RAISED}`, steps, p, raised(p, prod)));
  } finally {
    await server.stop();
  }
  return rows;
}
