// Health of the backups, decided from facts gathered on the worker (or by the CLI directly, so
// `health` works while Temporal itself is down). Pure; exit codes 0, 1, 2 for ok, warning,
// critical, as monitoring systems expect.
import type { HealthConfig } from '../config/schema.js';
import { BACKUP_RUN_KINDS, type RunRecord } from './run-journal.js';
import type { ArchiveLag } from './wal-lag.js';

export type HealthStatus = 'ok' | 'warning' | 'critical';

export interface HealthFacts {
  now: string;
  /** Good backups with a dump, oldest first: only those whose artifacts are in place, none dated after `now`. */
  dumps: Array<{ backupId: string; finishedAt: string; bytes: number }>;
  /** Backups whose manifests say good but whose artifacts are not as recorded. (Facts gathered by older workers lack the last three.) */
  damaged?: Array<{ backupId: string; problem: string }>;
  /** Backup ids dated after `now`: a skewed clock, a restored repository or tampering. */
  futureDated?: string[];
  /** Manifests that do not parse or have an unknown format version, as `file: reason`. */
  invalidManifests?: string[];
  runs: RunRecord[];
  freeBytes: number;
  mirror?: { files: number; bytes: number };
  source?: { files: number; bytes: number };
  /** With pitr.enabled: the WAL archive's lag and whether its archiver runs. */
  archive?: ArchiveHealthFacts;
}

export interface ArchiveHealthFacts {
  /** `lagMs` is null once it crossed Temporal as JSON when it was infinite ("never received"). */
  lag: ArchiveLag;
  maxLagMs: number;
  /** Unknown where Temporal was not asked (the CLI's `health` works without it). */
  archiver?: { workflowId: string; running: boolean };
}

export interface HealthCheck {
  name: string;
  status: HealthStatus;
  detail: string;
}

export interface HealthReport {
  status: HealthStatus;
  summary: string;
  checks: HealthCheck[];
}

const RANK: Record<HealthStatus, number> = { ok: 0, warning: 1, critical: 2 };

export function healthExitCode(status: HealthStatus): number {
  return RANK[status];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** The archive's checks: its lag is the database's RPO while the archiver runs, so past the limit is critical. */
function archiveChecks(a: ArchiveHealthFacts): HealthCheck[] {
  const { lag, maxLagMs } = a;
  const behind = lag.behindBytes === undefined ? 'the source did not say how much WAL the archive lacks' : `${kib(lag.behindBytes)} of WAL not yet archived`;
  const checks: HealthCheck[] = [
    {
      name: 'WAL archive lag',
      status: lag.verdict === 'ok' ? 'ok' : 'critical',
      detail:
        lag.verdict === 'never received'
          ? `no WAL has reached the archive yet (limit ${seconds(maxLagMs)})`
          : lag.lagMs === 0
            ? 'the archive holds all WAL the source wrote'
            : `${seconds(lag.lagMs)} behind (limit ${seconds(maxLagMs)}), ${behind}`,
    },
  ];
  if (a.archiver) {
    checks.push({
      name: 'WAL archiver',
      status: a.archiver.running ? 'ok' : 'critical',
      detail: `workflow ${a.archiver.workflowId} ${a.archiver.running ? 'is running' : 'is not running: `schedules apply` starts it'}`,
    });
  }
  return checks;
}

export function evaluateHealth(facts: HealthFacts, t: HealthConfig): HealthReport {
  const checks: HealthCheck[] = [];
  const newest = facts.dumps[facts.dumps.length - 1];
  if (!newest) {
    checks.push({ name: 'newest dump', status: 'critical', detail: 'no verified dump in the repository' });
  } else {
    const age = Date.parse(facts.now) - Date.parse(newest.finishedAt);
    checks.push({
      name: 'newest dump age',
      status: age > t.maxDumpAge ? 'critical' : 'ok',
      detail: `${newest.backupId} is ${hours(age)} old (limit ${hours(t.maxDumpAge)})`,
    });
    checks.push({
      name: 'newest dump size',
      status: newest.bytes < t.minDumpBytes ? 'critical' : 'ok',
      detail: `${kib(newest.bytes)} (minimum ${kib(t.minDumpBytes)})`,
    });
    const previous = facts.dumps.slice(0, -1).slice(-t.anomalyWindow).map((d) => d.bytes);
    if (previous.length >= 2) {
      const m = median(previous);
      const low = m * (1 - t.anomalyBand);
      const high = m * (1 + t.anomalyBand);
      const anomalous = newest.bytes < low || newest.bytes > high;
      checks.push({
        name: 'dump size anomaly',
        status: anomalous ? 'warning' : 'ok',
        detail: `${kib(newest.bytes)} against a median of ${kib(m)} over the last ${previous.length} (band ${kib(low)} - ${kib(high)})`,
      });
    }
  }
  // A manifest vouches for files a restore needs: one that lost them is a backup lost.
  if (facts.damaged) {
    checks.push({
      name: 'backup artifacts',
      status: facts.damaged.length ? 'critical' : 'ok',
      detail: facts.damaged.length
        ? facts.damaged.map((d) => `${d.backupId}: ${d.problem}`).join('; ')
        : 'every artifact the manifests name is in place with its recorded size',
    });
  }
  if (facts.futureDated?.length) {
    checks.push({ name: 'future-dated backups', status: 'warning', detail: `${facts.futureDated.join(', ')} (not counted; check the clock and where these manifests came from)` });
  }
  if (facts.invalidManifests?.length) {
    checks.push({ name: 'invalid manifests', status: 'warning', detail: `${facts.invalidManifests.join('; ')} (not counted)` });
  }
  const latestByKind = new Map<string, RunRecord>();
  for (const r of facts.runs) {
    const seen = latestByKind.get(r.kind);
    if (!seen || seen.finishedAt < r.finishedAt) latestByKind.set(r.kind, r);
  }
  for (const [kind, r] of [...latestByKind].sort(([a], [b]) => a.localeCompare(b))) {
    if (kind === 'health') continue;
    const failed = r.outcome === 'failed';
    checks.push({
      name: `last ${kind} run`,
      status: failed ? (BACKUP_RUN_KINDS.includes(r.kind) ? 'critical' : 'warning') : 'ok',
      detail: `${r.outcome} at ${r.finishedAt}${r.error ? `: ${r.error.type ? `${r.error.type}: ` : ''}${r.error.message}` : ''}`,
    });
  }
  checks.push({
    name: 'free space',
    status: facts.freeBytes < t.minFreeBytes ? 'warning' : 'ok',
    detail: `${(facts.freeBytes / 1024 ** 3).toFixed(1)} GiB free on the backup volume (minimum ${(t.minFreeBytes / 1024 ** 3).toFixed(1)} GiB)`,
  });
  if (facts.mirror && facts.source) {
    const same = facts.mirror.files === facts.source.files && facts.mirror.bytes === facts.source.bytes;
    checks.push({
      name: 'image mirror',
      status: same ? 'ok' : 'warning',
      detail: `mirror ${facts.mirror.files} files / ${facts.mirror.bytes} bytes, source ${facts.source.files} files / ${facts.source.bytes} bytes`,
    });
  }
  if (facts.archive) checks.push(...archiveChecks(facts.archive));
  const status = checks.reduce<HealthStatus>((worst, c) => (RANK[c.status] > RANK[worst] ? c.status : worst), 'ok');
  const bad = checks.filter((c) => c.status !== 'ok');
  const summary = `${status.toUpperCase()}: ${bad.length ? bad.map((c) => `${c.name}: ${c.detail}`).join('; ') : `${checks.length} checks passed`}`;
  return { status, summary, checks };
}
