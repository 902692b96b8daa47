// One line per run that an auditor reads without opening the result: the workflows put it in the
// memo (`summary`) and the current details, where the Web UI and `temporal workflow describe`
// show it. Pure; each workflow records it at the end of its run.
import type { BackupResult } from './backup-result.js';
import type { DrReport } from './dr-report.js';
import { formatDuration } from './duration.js';

export function backupSummary(r: BackupResult): string {
  if (r.outcome === 'unchanged') return `${r.kind} backup ${r.backupId} of ${r.source}: unchanged, nothing written`;
  const warnings = r.warnings.length ? `; ${r.warnings.length} warning(s)` : '';
  return `${r.kind} backup ${r.backupId} of ${r.source}: succeeded, ${r.bytesWritten} bytes in ${r.artifacts.length} artifact(s), verified, ${formatDuration(r.totalMs)}${warnings}`;
}

/** The RTO was missed or any step overran its budget: what "DR over budget" means. */
export function drOverBudget(r: DrReport): boolean {
  return !r.rto.met || r.steps.some((s) => s.overBudget);
}

export function drSummary(r: DrReport): string {
  const passed = r.checklist.filter((c) => c.result === 'pass').length;
  return `recovery ${r.outcome}${r.backupId ? ` from backup ${r.backupId}` : ''}: ${r.rto.verdict}; ${r.rpo.verdict}; checklist ${passed}/${r.checklist.length} passed`;
}
