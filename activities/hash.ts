// sha256 of files, read in chunks so a multi-gigabyte dump never sits in memory. The read buffers
// are reused: a fresh buffer per chunk is garbage the young generation cannot hold, and it piled
// up as tens of megabytes of resident memory during integrity checks (bench/RESULTS.md).
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK = 512 * 1024;
const spare: Buffer[] = [];

export async function sha256File(path: string, onBytes?: (total: number) => void): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  const buffer = spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
      onBytes?.(bytes);
    }
  } finally {
    await file.close();
    if (spare.length < 8) spare.push(buffer);
  }
  return { sha256: hash.digest('hex'), bytes };
}
