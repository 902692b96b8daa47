// How far the WAL archive trails the source: the figure the database's RPO rests on while the
// archiver runs. Two measures, because each alone misleads: time since the archive last received
// WAL grows on an idle source that has nothing to send, and the bytes the source has written past
// what the archive holds are zero on a source that went away. Lag in time counts only while the
// source has WAL the archive lacks.
//
// Pure module.

export interface ArchiveLagFacts {
  now: string;
  /** When WAL last reached the archive (a segment archived, or the partial segment written). */
  lastReceivedAt?: string;
  /** The source's WAL written past what the archive's slot has confirmed; undefined when unreachable. */
  behindBytes?: number;
}

export interface ArchiveLag {
  /** Milliseconds of WAL the archive may lack; 0 when it holds everything the source wrote. */
  lagMs: number;
  behindBytes?: number;
  verdict: 'ok' | 'late' | 'never received';
}

export function archiveLag(facts: ArchiveLagFacts, maxLagMs: number): ArchiveLag {
  if (!facts.lastReceivedAt) return { lagMs: Number.POSITIVE_INFINITY, behindBytes: facts.behindBytes, verdict: 'never received' };
  const upToDate = facts.behindBytes === 0;
  const lagMs = upToDate ? 0 : Math.max(0, Date.parse(facts.now) - Date.parse(facts.lastReceivedAt));
  return { lagMs, behindBytes: facts.behindBytes, verdict: lagMs > maxLagMs ? 'late' : 'ok' };
}
