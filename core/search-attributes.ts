// Typed search attributes every run carries, so the Web UI and `status` can find runs by kind,
// outcome, source and size, and an auditor's question is one list filter (docs/operations.md,
// "Audit in Temporal Web"). The dev server registers them from SEARCH_ATTRIBUTES at start;
// production clusters with `temporal operator search-attribute create` (docs/operations.md,
// "Setting up production").
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const BACKUP_KIND = defineSearchAttributeKey('BackupKind', SearchAttributeType.KEYWORD);
export const BACKUP_OUTCOME = defineSearchAttributeKey('BackupOutcome', SearchAttributeType.KEYWORD);
export const BACKUP_SOURCE = defineSearchAttributeKey('BackupSource', SearchAttributeType.KEYWORD);
export const BACKUP_ID = defineSearchAttributeKey('BackupId', SearchAttributeType.KEYWORD);
export const BACKUP_BYTES = defineSearchAttributeKey('BackupBytes', SearchAttributeType.INT);
/**
 * A backup's RPO figure: how old the newest good backup of its data was when this one was recorded.
 * A Double: SQL visibility stores (SQLite in the dev server, PostgreSQL) hold three Int attributes,
 * and BackupBytes, DrRtoSeconds and DrRpoSeconds take them.
 */
export const BACKUP_RPO_SECONDS = defineSearchAttributeKey('BackupRpoSeconds', SearchAttributeType.DOUBLE);

/** Disaster recovery: the step in progress (or the last one), and the measured RTO. */
export const DR_STEP = defineSearchAttributeKey('DrStep', SearchAttributeType.KEYWORD);
export const DR_RTO_SECONDS = defineSearchAttributeKey('DrRtoSeconds', SearchAttributeType.INT);
/** RPO figure: the age of the restored data at recovery start. */
export const DR_RPO_SECONDS = defineSearchAttributeKey('DrRpoSeconds', SearchAttributeType.INT);
/** The RTO was missed or a step overran its budget (the report names which). */
export const DR_OVER_BUDGET = defineSearchAttributeKey('DrOverBudget', SearchAttributeType.BOOL);

export const SEARCH_ATTRIBUTES = [
  BACKUP_KIND, BACKUP_OUTCOME, BACKUP_SOURCE, BACKUP_ID, BACKUP_BYTES, BACKUP_RPO_SECONDS, DR_STEP, DR_RTO_SECONDS, DR_RPO_SECONDS, DR_OVER_BUDGET,
] as const;

/** The type's name as the Temporal CLI spells it (`Keyword`, `Int`, `Double`, `Bool`). */
export function cliTypeName(key: (typeof SEARCH_ATTRIBUTES)[number]): string {
  return { KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool' }[key.type];
}

/** `Name=Type` as `temporal server start-dev --search-attribute` wants it. */
export function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${cliTypeName(key)}`]);
}
