// wal/index.jsonl: one JSON line per archived WAL file, with the sha256 of its plaintext that a
// recovery checks every staged file against. The archiver is its only writer: it appends a line
// once the file is durable in wal/segments/, and rewrites the index when retention removes WAL.
// A crash mid-append leaves a torn last line; the file it described is still in wal/incoming/ and
// is archived again, so that line is nothing and is dropped before the next append.
import { appendFile, open, readFile, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { isHistoryName, isSegmentName, partialSegmentOf } from '../core/wal-segments.js';
import { ensureDir, fsyncPath, writeFileDurable } from './fs-durable.js';
import { parseJsonRecord, type InvalidRecord } from './json-records.js';
import { layout } from './layout.js';

/** A name pg_receivewal gives: it is also the file's name in wal/segments/, so nothing else. */
const walFileName = z
  .string()
  .refine((n) => isSegmentName(n) || isHistoryName(n) || partialSegmentOf(n) !== undefined, 'must be a WAL segment, timeline history or .partial name');

export const archivedWalSchema = z.object({
  name: walFileName,
  /** Of the plaintext, as the server wrote it. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  encrypted: z.boolean(),
  archivedAt: z.string(),
});
export type ArchivedWal = z.infer<typeof archivedWalSchema>;

export interface WalIndex {
  /** The newest line of each name wins: a file archived again after a lost attempt. */
  records: Map<string, ArchivedWal>;
  /** Lines that do not parse, as `wal/index.jsonl:<line>`; a torn last line is not one of them. */
  invalid: InvalidRecord[];
}

interface IndexLine {
  text: string;
  parsed: { record: ArchivedWal } | { reason: string };
}

/** Every complete line of the index (none when it does not exist); a torn last line is left out. */
async function indexLines(root: string): Promise<IndexLine[]> {
  const text = await readFile(join(root, layout.wal.index), 'utf8').catch(() => '');
  // After the last newline: empty, or what a crash mid-append left.
  const complete = text.split('\n').slice(0, -1);
  return complete.map((line) => ({ text: line, parsed: parseJsonRecord(line, archivedWalSchema) }));
}

export async function readWalIndex(root: string): Promise<WalIndex> {
  const index: WalIndex = { records: new Map(), invalid: [] };
  for (const [n, { parsed }] of (await indexLines(root)).entries()) {
    if ('record' in parsed) index.records.set(parsed.record.name, parsed.record);
    else index.invalid.push({ file: `${join(root, layout.wal.index)}:${n + 1}`, reason: parsed.reason });
  }
  return index;
}

/**
 * Cuts a torn last line off before appending: appended to, it would join the new line into one
 * that parses as nothing, and lose that line's record.
 */
async function dropTornTail(file: string): Promise<void> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
  } finally {
    await handle.close();
  }
  const text = await readFile(file);
  await truncate(file, text.lastIndexOf(0x0a) + 1);
}

/** Records one archived file, durably: its file must be durable in wal/segments/ first. */
export async function appendWalIndex(root: string, record: ArchivedWal): Promise<void> {
  const file = join(root, layout.wal.index);
  const line = `${JSON.stringify(archivedWalSchema.parse(record))}\n`;
  await ensureDir(dirname(file));
  await dropTornTail(file);
  await appendFile(file, line, { mode: 0o600 });
  await fsyncPath(file);
}

/**
 * Rewrites the index with the lines whose record `keep` says, each as it was written (a newer
 * version's fields survive); lines that do not parse go. Retention calls it before it removes the
 * files, so the index never names a file that is gone.
 */
export async function rewriteWalIndex(root: string, keep: (record: ArchivedWal) => boolean): Promise<void> {
  const kept = (await indexLines(root)).filter(({ parsed }) => 'record' in parsed && keep(parsed.record));
  await writeFileDurable(join(root, layout.wal.index), kept.map(({ text }) => `${text}\n`).join(''));
}
