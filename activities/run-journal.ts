// Reads and writes runs/<kind>.json in the repository (core/run-journal.ts says why).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunRecord } from '../core/run-journal.js';
import type { ActivityDeps } from './deps.js';
import { writeFileDurable } from './fs-durable.js';

export async function readRunJournal(root: string): Promise<RunRecord[]> {
  let names: string[];
  try {
    names = await readdir(join(root, 'runs'));
  } catch {
    return [];
  }
  const records: RunRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      records.push(JSON.parse(await readFile(join(root, 'runs', name), 'utf8')) as RunRecord);
    } catch {
      // A torn or foreign file is no record; the next run rewrites it.
    }
  }
  return records;
}

export function createRunJournalActivities(deps: ActivityDeps) {
  return {
    async recordRun(record: RunRecord): Promise<void> {
      await writeFileDurable(join(deps.config.repository.root, 'runs', `${record.kind}.json`), `${JSON.stringify(record, null, 2)}\n`);
    },
  };
}
