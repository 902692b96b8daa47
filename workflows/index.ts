// Every workflow the worker registers. One workflow per runbook file.
export { fullBackup, databaseBackup, imageBackup, configSnapshot } from './full-backup.js';
export { applyRetention } from './retention.js';
export { healthCheck } from './health-check.js';
export { drRecovery } from './dr-runbook.js';
export { restoreTest } from './restore-test.js';
export { walArchiver } from './wal-archiver.js';
export { baseBackup } from './base-backup.js';
export { pointInTimeRecovery } from './point-in-time-recovery.js';
