// Recent backup runs as Temporal recorded them (visibility, by our search attributes), and the
// newest good backup as the repository's catalog records it: only one whose artifacts are in
// place with the recorded sizes and that is not dated in the future; the others are listed.
import type { Client } from '@temporalio/client';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { latestGood, readTrustedCatalog } from '../repository/catalog.js';
import { tally } from '../activities/dir-tally.js';
import { estimateCapacity, type CapacityRow } from '../core/capacity.js';
import { layout } from '../repository/layout.js';
import { formatBytes } from '../core/bytes.js';
import type { Config } from '../config/schema.js';
import { BACKUP_ID, BACKUP_OUTCOME } from '../core/search-attributes.js';

export interface RunSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  backupId?: string;
  outcome?: string;
  started: string;
  closed?: string;
}

export interface StatusReport {
  runs: RunSummary[];
  capacity: CapacityRow[];
  latestGood?: { backupId: string; finishedAt: string; dump: string; bytes: number };
  invalidManifests: Array<{ file: string; reason: string }>;
  /** Backups their manifests call good that cannot be relied on: artifacts not as recorded, or dated in the future. */
  untrusted: Array<{ backupId: string; reason: string }>;
}

/** This source's runs, newest first (at most `limit`, started at or after `since`). */
export async function listRuns(client: Client, config: Config, limit: number, since?: Date): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  const ours = `BackupSource = '${config.source.name}' OR (BackupKind = 'full' AND BackupSource IS NULL)`;
  const query = since ? `(${ours}) AND StartTime >= '${since.toISOString()}'` : ours;
  for await (const wf of client.workflow.list({ query })) {
    runs.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      type: wf.type,
      status: wf.status.name,
      backupId: wf.typedSearchAttributes.get(BACKUP_ID),
      outcome: wf.typedSearchAttributes.get(BACKUP_OUTCOME),
      started: wf.startTime.toISOString(),
      closed: wf.closeTime?.toISOString(),
    });
    if (runs.length >= limit) break;
  }
  return runs;
}

export async function collectStatus(client: Client, config: Config, limit: number): Promise<StatusReport> {
  const runs = await listRuns(client, config, limit);
  const root = config.repository.root;
  const catalog = await readTrustedCatalog(root, new Date());
  const good = latestGood(catalog, 'database');
  const incrementDays = await readdir(join(root, layout.imagesIncrementsDir)).catch(() => [] as string[]);
  const capacity = estimateCapacity(
    {
      dumpBytes: catalog.manifests.flatMap((m) => (m.database ? [m.database.artifact.bytes] : [])),
      mirrorBytes: (await tally(join(root, layout.imagesCurrent), [])).bytes,
      incrementBytes: await Promise.all(incrementDays.map(async (d) => (await tally(join(root, layout.imagesIncrementOfDay(d)), [])).bytes)),
      configBytes: (await tally(join(root, layout.configDir), [])).bytes,
    },
    config.retention,
  );
  return {
    runs,
    capacity,
    latestGood: good && {
      backupId: good.backupId,
      finishedAt: good.finishedAt,
      dump: good.database!.artifact.path,
      bytes: good.database!.artifact.bytes,
    },
    invalidManifests: catalog.invalid,
    untrusted: [
      ...catalog.damaged.map((d) => ({ backupId: d.backupId, reason: d.problem })),
      ...catalog.futureDated.map((backupId) => ({ backupId, reason: 'dated in the future' })),
    ],
  };
}

export function formatStatus(report: StatusReport): string {
  const lines = [
    report.latestGood
      ? `Latest good backup: ${report.latestGood.backupId} (finished ${report.latestGood.finishedAt}, ${report.latestGood.dump})`
      : 'Latest good backup: none yet',
    ...report.untrusted.map((u) => `  not trusted ${u.backupId}: ${u.reason}`),
    ...report.invalidManifests.map((m) => `  invalid manifest ${m.file}: ${m.reason}`),
    '',
    'Storage the configured retention will need (from measured sizes):',
    ...report.capacity.map((c) => `  ${c.item.padEnd(17)} ${formatBytes(c.bytes).padStart(10)}  ${c.basis}`),
    '',
    'Recent runs:',
    ...(report.runs.length
      ? report.runs.map((r) => `  ${r.started}  ${r.status.padEnd(10)} ${(r.outcome ?? '').padEnd(9)} ${r.type.padEnd(11)} ${r.workflowId}`)
      : ['  none']),
  ];
  return lines.join('\n');
}
