// Which base backups and WAL the archive keeps: the newest `keep` base backups, and every WAL
// segment from the first one the oldest of them needs. Nothing a kept base backup needs is ever
// removed; timeline history files are tiny and always kept.
//
// Pure module.
import { parseSegmentName, partialSegmentOf } from './wal-segments.js';

export interface BaseBackupRef {
  id: string;
  firstSegment: string;
}

export interface WalRetention {
  deleteBaseBackups: string[];
  /** WAL before this segment's position is needed by no kept base backup; none: keep all. */
  keepFrom?: string;
}

export function walRetention(baseBackups: readonly BaseBackupRef[], keep: number): WalRetention {
  const sorted = [...baseBackups].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kept = sorted.slice(Math.max(0, sorted.length - keep));
  const position = (b: BaseBackupRef) => parseSegmentName(b.firstSegment)?.number ?? 0n;
  // The oldest kept backup by the WAL it needs, not by its id: clocks can be set back.
  const oldest = kept.reduce<BaseBackupRef | undefined>((min, b) => (!min || position(b) < position(min) ? b : min), undefined);
  return { deleteBaseBackups: sorted.slice(0, sorted.length - kept.length).map((b) => b.id), ...(oldest ? { keepFrom: oldest.firstSegment } : {}) };
}

/** Whether an archived WAL file (segment, or a `.partial` set aside at a gap) lies before `keepFrom`. */
export function walExpired(name: string, keepFrom: string): boolean {
  const id = parseSegmentName(partialSegmentOf(name) ?? name);
  const from = parseSegmentName(keepFrom);
  return id !== undefined && from !== undefined && id.number < from.number;
}
