// WAL file names as pg_receivewal writes them and recovery asks for them: which ones are segments,
// their order, which segment holds an LSN, and where a run of segments has a hole. A hole is lost
// WAL: recovery cannot cross it, so a base backup taken before it cannot reach anything after.
//
// Pure module: names and numbers only.

/** PostgreSQL's default segment size; `initdb --wal-segsize` can change it (not supported yet). */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;
const HISTORY = /^[0-9A-F]{8}\.history$/;

export interface SegmentId {
  timeline: number;
  /** The segment's number counted from LSN 0: its first byte is at `number * segmentBytes`. */
  number: bigint;
}

export function isSegmentName(name: string): boolean {
  return SEGMENT.test(name);
}

/** A timeline history file: recovery asks for it to follow timeline switches. */
export function isHistoryName(name: string): boolean {
  return HISTORY.test(name);
}

/** A segment pg_receivewal is still writing: `<segment>.partial`. */
export function partialSegmentOf(name: string): string | undefined {
  const base = name.endsWith('.partial') ? name.slice(0, -'.partial'.length) : undefined;
  return base && isSegmentName(base) ? base : undefined;
}

function segmentsPerId(segmentBytes: number): bigint {
  return 0x1_0000_0000n / BigInt(segmentBytes);
}

export function parseSegmentName(name: string, segmentBytes = WAL_SEGMENT_BYTES): SegmentId | undefined {
  const m = SEGMENT.exec(name);
  if (!m) return undefined;
  const low = BigInt(`0x${m[3]}`);
  const perId = segmentsPerId(segmentBytes);
  if (low >= perId) return undefined;
  return { timeline: Number.parseInt(m[1]!, 16), number: BigInt(`0x${m[2]}`) * perId + low };
}

export function segmentName(id: SegmentId, segmentBytes = WAL_SEGMENT_BYTES): string {
  const perId = segmentsPerId(segmentBytes);
  const hex = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(id.timeline)}${hex(id.number / perId)}${hex(id.number % perId)}`;
}

/** "16/B374D848" as PostgreSQL prints an LSN, as a byte position. */
export function parseLsn(text: string): bigint | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : undefined;
}

/** The segment holding `lsn` on `timeline`: the first one a base backup starting there needs. */
export function segmentForLsn(timeline: number, lsn: bigint, segmentBytes = WAL_SEGMENT_BYTES): string {
  return segmentName({ timeline, number: lsn / BigInt(segmentBytes) }, segmentBytes);
}

/** Segment names in WAL order: by position, then timeline (a switch continues on a higher one). */
export function compareSegments(a: string, b: string): number {
  const x = parseSegmentName(a);
  const y = parseSegmentName(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  if (x.number !== y.number) return x.number < y.number ? -1 : 1;
  return x.timeline - y.timeline;
}

/**
 * The holes in an archive's segments from `from` on (a base backup's first segment), with how
 * many positions each misses. A timeline switch is no hole: its first
 * segment on the new timeline repeats or follows the old one's position.
 */
export interface WalGap {
  /** The last segment before the hole; none when the hole comes before the first archived one. */
  after?: string;
  missing: number;
}

export function findGaps(names: readonly string[], from?: string): WalGap[] {
  const start = from ? parseSegmentName(from)?.number : undefined;
  const ids = names
    .map((name) => ({ name, id: parseSegmentName(name) }))
    .filter((s): s is { name: string; id: SegmentId } => s.id !== undefined && (start === undefined || s.id.number >= start))
    .sort((a, b) => compareSegments(a.name, b.name));
  const gaps: WalGap[] = [];
  for (let i = 1; i < ids.length; i += 1) {
    const step = ids[i]!.id.number - ids[i - 1]!.id.number;
    if (step > 1n) gaps.push({ after: ids[i - 1]!.name, missing: Number(step - 1n) });
  }
  if (start !== undefined && ids.length && ids[0]!.id.number > start) gaps.unshift({ missing: Number(ids[0]!.id.number - start) });
  return gaps;
}
