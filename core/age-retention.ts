// The backup doc's simple retention rule, until GFS retention lands: a backup whose dump is
// older than N days goes, except the newest good backup, which always stays.
// Pure: decides, never deletes.
import { backupTime } from './repository-layout.js';

export interface AgeRetentionDecision {
  expired: string[];
  kept: string[];
}

export function selectExpiredByAge(backupIds: string[], now: Date, maxAgeDays: number): AgeRetentionDecision {
  const sorted = [...backupIds].sort();
  const newest = sorted[sorted.length - 1];
  const cutoff = now.getTime() - maxAgeDays * 86_400_000;
  const expired = sorted.filter((id) => id !== newest && backupTime(id).getTime() < cutoff);
  return { expired, kept: sorted.filter((id) => !expired.includes(id)) };
}
