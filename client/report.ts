// Human-readable summaries of a backup result for the terminal.
import { formatDuration } from '../core/duration.js';
import type { BackupResult } from '../core/backup-result.js';
import { formatBytes } from '../core/bytes.js';

export function formatBackupResult(r: BackupResult, link?: string): string {
  if (r.outcome === 'unchanged') {
    return `Config snapshot ${r.backupId} of ${r.source}: nothing changed since the last snapshot; nothing written`;
  }
  const lines = [
    `Backup ${r.backupId} (${r.kind}) of ${r.source}: verified and recorded as good`,
    `  repository  ${r.repository}`,
    `  manifest    ${r.manifest}`,
    ...r.artifacts.map((a) => `  ${a.kind.padEnd(11)} ${a.path} (${formatBytes(a.bytes)}${a.encrypted ? ', encrypted' : ''}, sha256 ${a.sha256.slice(0, 12)}…)`),
    ...(r.images
      ? [`  images      ${r.images.mirror}: ${r.images.files} files, ${formatBytes(r.images.bytes)}; ${r.images.transferred} copied, ${r.images.movedToIncrement} old versions kept in ${r.images.increment}`]
      : []),
    ...(r.parts.includes('config')
      ? [`  config files ${r.configChanged.length ? `new snapshot of ${r.configChanged.join(', ')}` : 'unchanged since the last snapshot'}`]
      : []),
    '  verified:',
    ...r.verification.map((c) => `    ${c.ok ? 'ok  ' : 'WARN'} ${c.check.padEnd(18)} ${c.artifact}: ${c.detail}`),
    `  retention   ${r.retention.deletedBackups.length ? `removed ${r.retention.deletedBackups.join(', ')}` : r.retention.error ? 'failed (see warnings)' : 'nothing past retention'}`,
    `  took        ${formatDuration(r.totalMs)} (${r.timings.map((t) => `${t.step} ${formatDuration(t.ms)}`).join(', ')})`,
    ...r.warnings.map((w) => `  warning: ${w}`),
  ];
  if (link) lines.push(`  Web UI      ${link}`);
  return lines.join('\n');
}
