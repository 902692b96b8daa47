// The walArchiver workflow's id: one fixed id per source, so `schedules apply` can start it at
// most once (a start under the same id finds the running one) and the health check, `pitr status`
// and `schedules list` know which run to ask about.
//
// Pure module.

export function walArchiverWorkflowId(sourceName: string): string {
  return `promptbox-backup-${sourceName}-wal-archiver`;
}
