// The benchmark's outputs: a table on stdout, results.json for machines and RESULTS.md for people,
// each with the date, the commit, the machine and the tool versions the figures were measured with.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeCode, type MeasuredCode } from './commit.js';
import type { Row } from './row.js';

export interface Results {
  date: string;
  code: MeasuredCode;
  options: Record<string, unknown>;
  machine: Record<string, string>;
  rows: Row[];
}

const verdict = (met: boolean | undefined) => (met === undefined ? 'report' : met ? 'met' : 'MISSED');

export function formatTable(rows: Row[]): string {
  const header = ['scenario', 'ours', 'compared with', 'result', 'target', ''];
  const cells = rows.map((r) => [r.scenario, r.ours, r.baseline, r.result, r.target, verdict(r.met)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function markdown(results: Results): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  return [
    '# Benchmark results',
    '',
    `Measured ${results.date} on ${describeCode(results.code)}, with \`npm run bench -- ${Object.entries(results.options).map(([k, v]) => `--${k} ${v}`).join(' ')}\`.`,
    'Every comparison is measured in the same run on the same data; what each row compares: bench/README.md.',
    '',
    '| scenario | ours | compared with | result | target | verdict |',
    '|---|---|---|---|---|---|',
    ...results.rows.map((r) => `| ${esc(r.scenario)} | ${esc(r.ours)} | ${esc(r.baseline)} | ${esc(r.result)} | ${esc(r.target)} | ${verdict(r.met)} |`),
    '',
    '## Machine and tools',
    '',
    ...Object.entries(results.machine).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ].join('\n');
}

export async function writeResults(dir: string, results: Results): Promise<void> {
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(dir, 'RESULTS.md'), markdown(results));
}
