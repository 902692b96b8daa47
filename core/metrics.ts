// Our Prometheus gauges, decided from what the repository records: the newest good backup of each
// kind (its age and size), the last restore test of each level and the last DR drill. Pure:
// the worker reads the records and sets the gauges (worker/metrics.ts). A unit test checks that
// docs/operations.md documents every metric of METRICS, so the documentation and the endpoint
// cannot drift apart.
import { BACKUP_PARTS, type BackupPart, type Manifest } from './manifest.js';

export interface MetricDefinition {
  name: string;
  help: string;
  unit: string;
  valueType: 'int' | 'float';
  labels: string[];
}

export const METRICS = {
  lastGoodBackupAge: { name: 'promptbox_last_good_backup_age_seconds', help: 'Seconds since the newest verified backup of each kind finished, or a later run found it still equal to the source, at the last refresh', unit: 's', valueType: 'float', labels: ['kind'] },
  lastGoodBackupTime: { name: 'promptbox_last_good_backup_timestamp_seconds', help: 'Unix time the newest verified backup of each kind finished, or a later run found it still equal to the source (alert on time() minus this)', unit: 's', valueType: 'int', labels: ['kind'] },
  backupBytes: { name: 'promptbox_backup_bytes', help: 'Bytes of the newest verified backup of each kind: database dump, image mirror, config snapshots', unit: 'By', valueType: 'int', labels: ['kind'] },
  restoreTestResult: { name: 'promptbox_restore_test_last_result', help: 'Result of the last restore test of each level: 1 passed, 0 failed', unit: '', valueType: 'int', labels: ['level'] },
  restoreTestTime: { name: 'promptbox_restore_test_last_timestamp_seconds', help: 'Unix time the last restore test of each level finished', unit: 's', valueType: 'int', labels: ['level'] },
  drLastRto: { name: 'promptbox_dr_last_rto_seconds', help: 'Measured recovery time of the last disaster-recovery drill', unit: 's', valueType: 'float', labels: [] },
  drLastRtoTarget: { name: 'promptbox_dr_last_rto_target_seconds', help: 'RTO target of the last disaster-recovery drill', unit: 's', valueType: 'float', labels: [] },
  drLastTime: { name: 'promptbox_dr_last_timestamp_seconds', help: 'Unix time the last disaster-recovery drill started', unit: 's', valueType: 'int', labels: [] },
  walArchiveLag: { name: 'promptbox_wal_archive_lag_seconds', help: 'Seconds of WAL the archive may lack (0: it holds all the source wrote), at the last refresh; with pitr.enabled', unit: 's', valueType: 'float', labels: [] },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

export interface MetricSample {
  metric: MetricKey;
  value: number;
  labels?: Record<string, string>;
}

/** What a restore-test record and a DR report hold that the gauges need. */
export interface RestoreTestRecord {
  kind: string;
  passed: boolean;
  startedAt: string;
  finishedAt: string;
}
export interface DrRecord {
  startedAt: string;
  rto: { actualMs: number; targetMs: number };
}

export interface MetricFacts {
  now: string;
  /** Good backups, oldest first (the catalog's order). */
  manifests: Manifest[];
  /**
   * When the latest run of a kind found nothing changed (runs/<kind>.json, outcome `unchanged`):
   * it wrote no manifest, yet it proved the newest backup of that kind still equal to the source.
   */
  unchangedRuns: Array<{ kind: string; finishedAt: string }>;
  restoreTests: RestoreTestRecord[];
  drReports: DrRecord[];
}

const unixSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Bytes a manifest holds of one kind: the dump, the whole mirror, or every config snapshot. */
export function partBytes(m: Manifest, part: BackupPart): number | undefined {
  if (part === 'database') return m.database?.artifact.bytes;
  if (part === 'images') return m.images?.bytes;
  return m.parts.includes('config') ? m.config.reduce((sum, c) => sum + c.artifact.bytes, 0) : undefined;
}

function newestBy<T>(items: T[], time: (item: T) => string): T | undefined {
  return items.reduce<T | undefined>((best, item) => (!best || time(item) > time(best) ? item : best), undefined);
}

/** Every sample to set now. A gauge with nothing to report (no backup yet) is left out, not zero. */
export function metricSamples(facts: MetricFacts): MetricSample[] {
  const samples: MetricSample[] = [];
  // Per kind: hourly config snapshots must not make a week-old database dump look fresh.
  for (const part of BACKUP_PARTS) {
    const m = newestBy(facts.manifests.filter((x) => partBytes(x, part) !== undefined), (x) => x.finishedAt);
    if (!m) continue;
    const labels = { kind: part };
    // Image increments every ten minutes and hourly config snapshots mostly find nothing new: the
    // backup they confirmed is as fresh as that run, or a quiet week would look like a failing one.
    const confirmed = newestBy(facts.unchangedRuns.filter((r) => r.kind === part && r.finishedAt > m.finishedAt), (r) => r.finishedAt);
    const goodAt = confirmed?.finishedAt ?? m.finishedAt;
    samples.push({ metric: 'lastGoodBackupAge', value: Math.max(0, (Date.parse(facts.now) - Date.parse(goodAt)) / 1000), labels });
    samples.push({ metric: 'lastGoodBackupTime', value: unixSeconds(goodAt), labels });
    samples.push({ metric: 'backupBytes', value: partBytes(m, part) as number, labels });
  }
  const levels = [...new Set(facts.restoreTests.map((r) => r.kind))].sort();
  for (const level of levels) {
    const last = newestBy(facts.restoreTests.filter((r) => r.kind === level), (r) => r.finishedAt) as RestoreTestRecord;
    samples.push({ metric: 'restoreTestResult', value: last.passed ? 1 : 0, labels: { level } });
    samples.push({ metric: 'restoreTestTime', value: unixSeconds(last.finishedAt), labels: { level } });
  }
  const drill = newestBy(facts.drReports, (d) => d.startedAt);
  if (drill) {
    samples.push({ metric: 'drLastRto', value: drill.rto.actualMs / 1000 });
    samples.push({ metric: 'drLastRtoTarget', value: drill.rto.targetMs / 1000 });
    samples.push({ metric: 'drLastTime', value: unixSeconds(drill.startedAt) });
  }
  return samples;
}
