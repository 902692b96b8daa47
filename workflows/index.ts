// Every workflow the worker registers. One workflow per file, named after its runbook.
export { fullBackup } from './full-backup.js';
