// wal/receiver.json: the pg_receivewal the latest archiver attempt started, so the next attempt can
// end it when the worker running it was lost (two receivers cannot share the slot). Rewritten by
// every attempt; one line, as the lock's owner is.
import { join } from 'node:path';
import { z } from 'zod';
import { exists, writeFileDurable } from './fs-durable.js';
import { readJsonRecord } from './json-records.js';
import { layout } from './layout.js';

export const receiverRecordSchema = z.object({
  /** The receiver's process (and group) id; none when it did not start. Never 1 or less: a signal to it would reach far more. */
  pid: z.number().int().min(2).optional(),
});
export type ReceiverRecord = z.infer<typeof receiverRecordSchema>;

/** The recorded receiver, or why the record does not parse; undefined when there is none. */
export async function readReceiverRecord(root: string): Promise<{ record: ReceiverRecord } | { reason: string } | undefined> {
  const file = join(root, layout.wal.receiver);
  return (await exists(file)) ? readJsonRecord(file, receiverRecordSchema) : undefined;
}

export async function writeReceiverRecord(root: string, record: ReceiverRecord): Promise<void> {
  await writeFileDurable(join(root, layout.wal.receiver), `${JSON.stringify(receiverRecordSchema.parse(record))}\n`);
}
