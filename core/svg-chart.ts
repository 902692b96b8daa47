// Charts as inline SVG strings, drawn without JavaScript, fonts or anything fetched, so the
// report stays one self-contained file that opens offline. Pure: data in, markup out. Every
// chart carries a <title> and <desc> for screen readers, labelled axes and a legend; every text
// goes through esc(), because labels come from records on disk and Temporal.
import { formatDuration } from './duration.js';

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const WIDTH = 880;
const M = { top: 24, right: 40, bottom: 64, left: 96 };
/** Colour-blind-safe (Okabe-Ito); shapes or position also tell series apart. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00'];
export const OK_COLOUR = '#009E73';
export const BAD_COLOUR = '#D55E00';

export interface Point {
  /** Milliseconds since the epoch. */
  t: number;
  v: number;
  note?: string;
}

export interface Series {
  name: string;
  points: Point[];
  /** Joined by a line (sizes, ages), or points only (independent runs). */
  line: boolean;
  colour?: string;
}

export interface ChartText {
  id: string;
  title: string;
  description: string;
}

/** Tick values 0..>=max on a 1-2-5 step. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((f) => f * mag >= raw) as number) * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const DURATION_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map((s) => s * 1000);

/** Ticks 0..>=max milliseconds on round durations (15s, 5m, 1h, 6h, ...), so labels read "2h" not "1h6m40s". */
export function durationTicks(maxMs: number, count = 5): number[] {
  const raw = maxMs / count;
  const step = DURATION_STEPS.find((s) => s >= raw);
  if (!step || raw < 1000) return niceTicks(maxMs, count);
  return Array.from({ length: Math.ceil(maxMs / step) + 1 }, (_, i) => i * step);
}

function timeLabel(t: number, span: number): string {
  const iso = new Date(t).toISOString();
  if (span > 3 * 86_400_000) return iso.slice(0, 10);
  if (span > 3_600_000) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, 19);
}

const num = (n: number) => Number(n.toFixed(1));

function frame(text: ChartText, height: number, body: string[], legend: Array<{ label: string; colour: string; shape: 'circle' | 'square' | 'line' | 'dash' }>): string {
  let next = M.left;
  const items = legend.map((l) => {
    const x = next;
    next += 40 + 7 * l.label.length;
    const y = height - 14;
    const swatch =
      l.shape === 'circle'
        ? `<circle cx="${x + 6}" cy="${y - 4}" r="5" fill="${l.colour}"/>`
        : l.shape === 'square'
          ? `<rect x="${x + 1}" y="${y - 9}" width="10" height="10" fill="${l.colour}"/>`
          : `<line x1="${x}" x2="${x + 14}" y1="${y - 4}" y2="${y - 4}" stroke="${l.colour}" stroke-width="3"${l.shape === 'dash' ? ' stroke-dasharray="4 3"' : ''}/>`;
    return `<g class="legend-item">${swatch}<text x="${x + 20}" y="${y}">${esc(l.label)}</text></g>`;
  });
  return [
    `<svg id="${esc(text.id)}" class="chart" role="img" aria-labelledby="${esc(text.id)}-title ${esc(text.id)}-desc" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">`,
    `<title id="${esc(text.id)}-title">${esc(text.title)}</title>`,
    `<desc id="${esc(text.id)}-desc">${esc(text.description)}</desc>`,
    ...body,
    `<g class="legend">${items.join('')}</g>`,
    '</svg>',
  ].join('\n');
}

function yAxis(ticks: number[], y: (v: number) => number, format: (v: number) => string, titleText: string, plotHeight: number): string[] {
  return [
    `<g class="axis y-axis">`,
    ...ticks.map((v) => `<line x1="${M.left}" x2="${WIDTH - M.right}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#ddd"/><text x="${M.left - 8}" y="${num(y(v)) + 4}" text-anchor="end">${esc(format(v))}</text>`),
    `<text class="axis-title" transform="translate(16 ${M.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${esc(titleText)}</text>`,
    `</g>`,
  ];
}

function timeAxis(domain: [number, number], x: (t: number) => number, baseline: number, left = M.left): string[] {
  const span = domain[1] - domain[0];
  const ticks = Array.from({ length: 5 }, (_, i) => domain[0] + (span * i) / 4);
  return [
    `<g class="axis x-axis"><line x1="${left}" x2="${WIDTH - M.right}" y1="${baseline}" y2="${baseline}" stroke="#333"/>`,
    ...ticks.map((t) => `<line x1="${num(x(t))}" x2="${num(x(t))}" y1="${baseline}" y2="${baseline + 5}" stroke="#333"/><text x="${num(x(t))}" y="${baseline + 18}" text-anchor="middle">${esc(timeLabel(t, span))}</text>`),
    `<text class="axis-title" x="${left + (WIDTH - left - M.right) / 2}" y="${baseline + 36}" text-anchor="middle">time (UTC)</text></g>`,
  ];
}

/** The time range covering every point, widened when all share one instant. */
export function timeDomain(times: number[]): [number, number] {
  if (!times.length) return [0, 1];
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const pad = hi === lo ? 3_600_000 : (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

/** Values over time: one line or point set per series, optional dashed reference lines (targets). */
export function timeSeriesChart(
  text: ChartText,
  opts: { series: Series[]; yTitle: string; format: (v: number) => string; ticks?: (max: number) => number[]; references?: Array<{ value: number; label: string }> },
): string {
  const height = 320;
  const plotHeight = height - M.top - M.bottom;
  const all = opts.series.flatMap((s) => s.points);
  const domain = timeDomain(all.map((p) => p.t));
  const ticks = (opts.ticks ?? niceTicks)(Math.max(0, ...all.map((p) => p.v), ...(opts.references ?? []).map((r) => r.value)));
  const top = ticks[ticks.length - 1] as number;
  const x = (t: number) => M.left + ((t - domain[0]) / (domain[1] - domain[0])) * (WIDTH - M.left - M.right);
  const y = (v: number) => M.top + plotHeight - (v / top) * plotHeight;
  const colour = (s: Series, i: number) => s.colour ?? (PALETTE[i % PALETTE.length] as string);
  const body = [
    ...yAxis(ticks, y, opts.format, opts.yTitle, plotHeight),
    ...timeAxis(domain, x, M.top + plotHeight),
    ...(opts.references ?? []).map(
      (r) =>
        `<g class="reference"><line x1="${M.left}" x2="${WIDTH - M.right}" y1="${num(y(r.value))}" y2="${num(y(r.value))}" stroke="${BAD_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/><text x="${WIDTH - M.right - 4}" y="${num(y(r.value)) - 6}" text-anchor="end" fill="${BAD_COLOUR}">${esc(r.label)}</text></g>`,
    ),
    ...opts.series.map((s, i) => {
      const points = [...s.points].sort((a, b) => a.t - b.t);
      const line = s.line && points.length > 1 ? `<path class="mark line" d="${points.map((p, j) => `${j ? 'L' : 'M'}${num(x(p.t))},${num(y(p.v))}`).join(' ')}" fill="none" stroke="${colour(s, i)}" stroke-width="2"/>` : '';
      const dots = points.map(
        (p) => `<circle class="mark point" cx="${num(x(p.t))}" cy="${num(y(p.v))}" r="4" fill="${colour(s, i)}"><title>${esc(`${s.name} ${new Date(p.t).toISOString()}: ${opts.format(p.v)}${p.note ? ` (${p.note})` : ''}`)}</title></circle>`,
      );
      return `<g class="series" data-series="${esc(s.name)}">${line}${dots.join('')}</g>`;
    }),
  ];
  const legend = [
    ...opts.series.map((s, i) => ({ label: s.name, colour: colour(s, i), shape: 'circle' as const })),
    ...(opts.references ?? []).map((r) => ({ label: r.label, colour: BAD_COLOUR, shape: 'dash' as const })),
  ];
  return frame(text, height, body, legend);
}

export interface BudgetBar {
  label: string;
  /** Undefined when the step never ran (pending, skipped before start). */
  tookMs?: number;
  budgetMs: number;
  note?: string;
}

/** Horizontal bars of time taken, each with its budget as a marker: over budget shows at a glance. */
export function budgetBarChart(text: ChartText, bars: BudgetBar[]): string {
  const rowHeight = 30;
  const plotHeight = bars.length * rowHeight;
  const height = M.top + plotHeight + M.bottom;
  const left = 180;
  const max = Math.max(1, ...bars.flatMap((b) => [b.budgetMs, b.tookMs ?? 0]));
  const ticks = durationTicks(max);
  const top = ticks[ticks.length - 1] as number;
  const x = (ms: number) => left + (ms / top) * (WIDTH - left - M.right);
  const baseline = M.top + plotHeight;
  const body = [
    `<g class="axis x-axis"><line x1="${left}" x2="${WIDTH - M.right}" y1="${baseline}" y2="${baseline}" stroke="#333"/>`,
    ...ticks.map((v) => `<line x1="${num(x(v))}" x2="${num(x(v))}" y1="${M.top}" y2="${baseline + 5}" stroke="#ddd"/><text x="${num(x(v))}" y="${baseline + 18}" text-anchor="middle">${esc(formatDuration(v))}</text>`),
    `<text class="axis-title" x="${left + (WIDTH - left - M.right) / 2}" y="${baseline + 36}" text-anchor="middle">time taken (bar) against budget (marker)</text></g>`,
    ...bars.map((b, i) => {
      const yTop = M.top + i * rowHeight + 6;
      const over = b.tookMs !== undefined && b.tookMs > b.budgetMs;
      const colour = over ? BAD_COLOUR : PALETTE[0];
      const took = b.tookMs === undefined ? 'did not run' : formatDuration(b.tookMs);
      const detail = `${b.label}: ${took} of ${formatDuration(b.budgetMs)} budget${over ? ' (OVER)' : ''}${b.note ? `, ${b.note}` : ''}`;
      return [
        `<g class="bar-row" data-step="${esc(b.label)}">`,
        `<text x="${left - 8}" y="${yTop + 13}" text-anchor="end">${esc(b.label)}</text>`,
        b.tookMs !== undefined ? `<rect class="mark bar${over ? ' over' : ''}" x="${left}" y="${yTop}" width="${num(Math.max(1, x(b.tookMs) - left))}" height="18" fill="${colour}"><title>${esc(detail)}</title></rect>` : `<text x="${left + 4}" y="${yTop + 13}" fill="#666">${esc(took)}</text>`,
        `<rect class="mark budget" x="${num(x(b.budgetMs) - 1.5)}" y="${yTop - 4}" width="3" height="26" fill="#333"><title>${esc(detail)}</title></rect>`,
        `</g>`,
      ].join('');
    }),
  ];
  return frame(text, height, body, [
    { label: 'took, within budget', colour: PALETTE[0] as string, shape: 'square' },
    { label: 'took, over budget', colour: BAD_COLOUR, shape: 'square' },
    { label: 'budget', colour: '#333', shape: 'line' },
  ]);
}

export interface LaneEvent {
  lane: string;
  t: number;
  ok: boolean;
  note: string;
}

/** Pass/fail events over time, one lane per kind: circles passed, squares failed. */
export function passFailTimeline(text: ChartText, events: LaneEvent[]): string {
  const lanes = [...new Set(events.map((e) => e.lane))].sort();
  const rowHeight = 36;
  const plotHeight = Math.max(1, lanes.length) * rowHeight;
  const height = M.top + plotHeight + M.bottom;
  const domain = timeDomain(events.map((e) => e.t));
  const x = (t: number) => M.left + 60 + ((t - domain[0]) / (domain[1] - domain[0])) * (WIDTH - M.left - 60 - M.right);
  const laneY = (lane: string) => M.top + lanes.indexOf(lane) * rowHeight + rowHeight / 2;
  const body = [
    ...lanes.map((l) => `<g class="lane"><line x1="${M.left + 60}" x2="${WIDTH - M.right}" y1="${laneY(l)}" y2="${laneY(l)}" stroke="#ddd"/><text x="${M.left + 52}" y="${laneY(l) + 4}" text-anchor="end">${esc(l)}</text></g>`),
    ...timeAxis(domain, x, M.top + plotHeight, M.left + 60),
    ...events.map((e) => {
      const cx = num(x(e.t));
      const cy = laneY(e.lane);
      const tip = `<title>${esc(`${e.lane} ${new Date(e.t).toISOString()}: ${e.ok ? 'passed' : 'FAILED'}, ${e.note}`)}</title>`;
      return e.ok
        ? `<circle class="mark pass" cx="${cx}" cy="${cy}" r="7" fill="${OK_COLOUR}">${tip}</circle>`
        : `<rect class="mark fail" x="${cx - 7}" y="${cy - 7}" width="14" height="14" fill="${BAD_COLOUR}">${tip}</rect>`;
    }),
  ];
  return frame(text, height, body, [
    { label: 'passed', colour: OK_COLOUR, shape: 'circle' },
    { label: 'failed', colour: BAD_COLOUR, shape: 'square' },
  ]);
}
