// Reads the JSON records of the repository (manifests, run journal, restore-test results, DR
// reports, the lock's owner, the WAL archive's records) through their zod schemas. Every record is data that a crash, an
// older version or a hand can have left in any shape: one that does not parse is listed as
// invalid with its file and why, never dropped silently and never trusted.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';

export interface InvalidRecord {
  file: string;
  reason: string;
}

export interface JsonRecords<T> {
  /** In file-name order. */
  records: Array<{ name: string; record: T }>;
  invalid: InvalidRecord[];
}

/** The record in `text` (a file's, or one line of a JSON-lines file) if it parses by `schema`, else why not. */
export function parseJsonRecord<T>(text: string, schema: z.ZodType<T>): { record: T } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { record: parsed.data };
  return { reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

/** The record in `file` if it parses by `schema`, else why not. */
export async function readJsonRecord<T>(file: string, schema: z.ZodType<T>): Promise<{ record: T } | { reason: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { reason: `not JSON: ${(err as Error).message}` };
  }
  return parseJsonRecord(text, schema);
}

/** Every `*.json` in `dir` (none when it does not exist), parsed by `schema`. */
export async function readJsonRecords<T>(dir: string, schema: z.ZodType<T>): Promise<JsonRecords<T>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], invalid: [] };
    throw err;
  }
  const out: JsonRecords<T> = { records: [], invalid: [] };
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = join(dir, name);
    const read = await readJsonRecord(file, schema);
    if ('record' in read) out.records.push({ name, record: read.record });
    else out.invalid.push({ file, reason: read.reason });
  }
  return out;
}

/** A record as the repository stores it: indented JSON with a final newline. */
export function recordText(record: unknown): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
