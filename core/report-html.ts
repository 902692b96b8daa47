// The operator's HTML report: backup sizes and durations over time, the RPO age, each DR drill's
// step times against budgets and the restore-test history, in one self-contained page (inline
// SVG and CSS, no script, a CSP that forbids loading anything). Pure: client/report-html.ts
// gathers the input from the repository and Temporal.
import type { DrReport } from './dr-report.js';
import { formatDuration } from './duration.js';
import { BACKUP_PARTS, type Manifest } from './manifest.js';
import { partBytes, type RestoreTestRecord } from './metrics.js';
import { BAD_COLOUR, budgetBarChart, durationTicks, esc, passFailTimeline, timeSeriesChart, type Point, type Series } from './svg-chart.js';
import { formatBytes } from './bytes.js';

/** Workflow types that take backups; their run times are the "backup durations". */
export const BACKUP_WORKFLOWS = ['fullBackup', 'databaseBackup', 'imageBackup', 'configSnapshot'];

export interface ReportRun {
  workflowId: string;
  type: string;
  status: string;
  started: string;
  closed?: string;
}

export interface ReportInput {
  source: string;
  generatedAt: string;
  since: string;
  /** The health check's limit on the newest dump's age: the RPO the operator promised. */
  rpoTargetMs: number;
  /** Every good backup, oldest first (older ones give the RPO age at the window's start). */
  manifests: Manifest[];
  runs: ReportRun[];
  /** Why runs are missing, when Temporal could not be asked. */
  runsUnavailable?: string;
  restoreTests: Array<RestoreTestRecord & { checked?: number; failures?: unknown[] }>;
  drReports: Array<DrReport & { id: string }>;
}

/**
 * Age of the newest good dump over time: a saw-tooth rising from each backup until the next one
 * resets it, starting at the window's start and ending now.
 */
export function rpoAgeSeries(takenAt: number[], since: number, now: number): Point[] {
  const sorted = [...takenAt].sort((a, b) => a - b);
  let last = sorted.filter((t) => t < since).pop();
  const points: Point[] = last === undefined ? [] : [{ t: since, v: since - last, note: 'at the start of the period' }];
  for (const t of sorted.filter((x) => x >= since && x <= now)) {
    if (last !== undefined) points.push({ t, v: t - last, note: 'just before this backup' });
    points.push({ t, v: 0, note: 'backup finished' });
    last = t;
  }
  if (last !== undefined) points.push({ t: now, v: now - last, note: 'now' });
  return points;
}

const section = (title: string, body: string) => `<section><h2>${esc(title)}</h2>\n${body}\n</section>`;

/** The numbers behind a chart, for screen readers and for copying: folded away under it. */
function dataTable(headers: string[], rows: string[][]): string {
  const head = `<tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr>`;
  return `<details><summary>Data</summary><table class="data">${head}${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table></details>`;
}
const none = (what: string) => `<p class="empty">${esc(what)}</p>`;

function sizesChart(manifests: Manifest[]): string {
  const series: Series[] = BACKUP_PARTS.map((part) => ({
    name: part,
    line: true,
    points: manifests.flatMap((m) => {
      const bytes = partBytes(m, part);
      return bytes === undefined ? [] : [{ t: Date.parse(m.finishedAt), v: bytes, note: m.backupId }];
    }),
  })).filter((s) => s.points.length);
  if (!series.length) return none('No good backup in this period.');
  const cell = (m: Manifest, part: (typeof BACKUP_PARTS)[number]) => {
    const bytes = partBytes(m, part);
    return bytes === undefined ? '-' : formatBytes(bytes);
  };
  return (
    timeSeriesChart(
      { id: 'chart-sizes', title: 'Backup sizes over time', description: `Bytes of each good backup by kind: ${series.map((s) => `${s.name} (${s.points.length})`).join(', ')}.` },
      { series, yTitle: 'size', format: formatBytes },
    ) + dataTable(['backup', 'finished', ...BACKUP_PARTS], manifests.map((m) => [m.backupId, m.finishedAt, ...BACKUP_PARTS.map((p) => cell(m, p))]))
  );
}

function durationsChart(runs: ReportRun[], unavailable?: string): string {
  const closed = runs.filter((r) => r.closed && BACKUP_WORKFLOWS.includes(r.type));
  const point = (r: ReportRun): Point => ({ t: Date.parse(r.started), v: Date.parse(r.closed as string) - Date.parse(r.started), note: `${r.workflowId}, ${r.status.toLowerCase()}` });
  const series: Series[] = [
    ...BACKUP_WORKFLOWS.map((type) => ({ name: type, line: true, points: closed.filter((r) => r.type === type && r.status === 'COMPLETED').map(point) })),
    { name: 'failed, cancelled or timed out', line: false, colour: BAD_COLOUR, points: closed.filter((r) => r.status !== 'COMPLETED').map(point) },
  ].filter((s) => s.points.length);
  if (!series.length) return none(unavailable ? `Run times unavailable: ${unavailable}` : 'No finished backup run in this period (Temporal keeps closed runs for the namespace retention only).');
  return (
    timeSeriesChart(
      { id: 'chart-durations', title: 'Backup durations over time', description: `Wall-clock time of each backup run from start to close, as Temporal recorded it: ${closed.length} runs.` },
      { series, yTitle: 'duration', format: formatDuration, ticks: durationTicks },
    ) + dataTable(['workflow', 'type', 'status', 'started', 'took'], closed.map((r) => [r.workflowId, r.type, r.status, r.started, formatDuration(point(r).v)]))
  );
}

function rpoChart(input: ReportInput): string {
  const dumps = input.manifests.filter((m) => m.database).map((m) => Date.parse(m.finishedAt));
  const points = rpoAgeSeries(dumps, Date.parse(input.since), Date.parse(input.generatedAt));
  if (!points.length) return none('No good database backup yet: the RPO is unbounded.');
  const worst = Math.max(...points.map((p) => p.v));
  return timeSeriesChart(
    {
      id: 'chart-rpo',
      title: 'RPO age: age of the newest good database backup',
      description: `Data that would be lost by a disaster at each moment. Worst in this period ${formatDuration(worst)}, now ${formatDuration((points[points.length - 1] as Point).v)}, target ${formatDuration(input.rpoTargetMs)}.`,
    },
    { series: [{ name: 'age of the newest good dump', line: true, points }], yTitle: 'age', format: formatDuration, ticks: durationTicks, references: [{ value: input.rpoTargetMs, label: `RPO target ${formatDuration(input.rpoTargetMs)}` }] },
  );
}

function drCharts(reports: ReportInput['drReports']): string {
  if (!reports.length) return none('No disaster-recovery drill in this period.');
  return [...reports]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .map((r, i) => {
      const heading = `<h3>${esc(r.id)}: ${esc(r.outcome)}, started ${esc(r.startedAt)}</h3><p>${esc(r.rto.verdict)}. ${esc(r.rpo.verdict)}.</p>`;
      const chart = budgetBarChart(
        { id: `chart-dr-${i}`, title: `DR drill ${r.id}: step times against budgets`, description: `${r.rto.verdict}. Each bar is a runbook step's time, each marker its budget.` },
        r.steps.map((s) => ({
          label: s.title,
          ...(s.elapsedMs !== undefined ? { tookMs: s.elapsedMs } : {}),
          budgetMs: s.budgetMs,
          note: `${s.status}${s.attempts > 1 ? `, ${s.attempts} attempts` : ''}${s.skipReason ? `: ${s.skipReason}` : ''}`,
        })),
      );
      const table = dataTable(
        ['step', 'status', 'took', 'budget'],
        r.steps.map((s) => [s.title, s.status, s.elapsedMs === undefined ? '-' : formatDuration(s.elapsedMs), formatDuration(s.budgetMs)]),
      );
      return `<div class="drill">${heading}\n${chart}${table}</div>`;
    })
    .join('\n');
}

function restoreTestChart(tests: ReportInput['restoreTests']): string {
  if (!tests.length) return none('No restore test in this period.');
  const failed = tests.filter((t) => !t.passed).length;
  const note = (t: (typeof tests)[number]) => `${t.checked ?? '?'} checked, ${t.failures?.length ?? 0} problem(s)`;
  return (
    passFailTimeline(
      { id: 'chart-restore-tests', title: 'Restore-test history', description: `${tests.length} restore tests, ${failed} failed, by level.` },
      tests.map((t) => ({ lane: t.kind, t: Date.parse(t.finishedAt), ok: t.passed, note: note(t) })),
    ) + dataTable(['finished', 'level', 'result', 'detail'], tests.map((t) => [t.finishedAt, t.kind, t.passed ? 'passed' : 'FAILED', note(t)]))
  );
}

function summary(input: ReportInput): string {
  const newest = [...input.manifests].reverse().find((m) => m.database);
  const lastTests = [...new Set(input.restoreTests.map((t) => t.kind))].sort().map((kind) => {
    const t = input.restoreTests.filter((x) => x.kind === kind).sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0] as RestoreTestRecord;
    return `${kind} ${t.passed ? 'passed' : 'FAILED'} ${t.finishedAt}`;
  });
  const drill = [...input.drReports].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  const rows: Array<[string, string]> = [
    ['Newest good database backup', newest ? `${newest.backupId}, ${formatDuration(Date.parse(input.generatedAt) - Date.parse(newest.finishedAt))} old (target ${formatDuration(input.rpoTargetMs)})` : 'none'],
    ['Good backups in this period', String(input.manifests.filter((m) => m.finishedAt >= input.since).length)],
    ['Last restore tests', lastTests.join('; ') || 'none'],
    ['Last DR drill', drill ? `${drill.id}: ${drill.rto.verdict}` : 'none'],
  ];
  return `<table class="summary">${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

const STYLE = `body{font-family:sans-serif;margin:2rem auto;max-width:940px;color:#222}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1rem;margin-bottom:.2rem}table.summary th{text-align:left;padding-right:1rem;font-weight:600}.empty{color:#666;font-style:italic}svg.chart{max-width:100%;height:auto;display:block}table.data{border-collapse:collapse;font-size:.85rem}table.data td,table.data th{border:1px solid #ddd;padding:2px 6px;text-align:left}`;

export function reportHtml(input: ReportInput): string {
  const inPeriod = <T>(items: T[], time: (item: T) => string) => items.filter((x) => time(x) >= input.since);
  const title = `Backups of ${input.source}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>From ${esc(input.since)} to ${esc(input.generatedAt)}, read from the backup repository and Temporal.</p>
${summary(input)}
${section('Backup sizes', sizesChart(inPeriod(input.manifests, (m) => m.finishedAt)))}
${section('Backup durations', durationsChart(input.runs, input.runsUnavailable))}
${section('RPO age', rpoChart(input))}
${section('Disaster-recovery drills', drCharts(inPeriod(input.drReports, (r) => r.startedAt)))}
${section('Restore tests', restoreTestChart(inPeriod(input.restoreTests, (t) => t.finishedAt)))}
</body>
</html>
`;
}
