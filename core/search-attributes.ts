// Typed search attributes every run carries, so the Web UI and `status` can find runs by kind,
// outcome, source and size. The dev server registers them from SEARCH_ATTRIBUTES at start;
// production clusters with `temporal operator search-attribute create` (see README).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const BACKUP_KIND = defineSearchAttributeKey('BackupKind', SearchAttributeType.KEYWORD);
export const BACKUP_OUTCOME = defineSearchAttributeKey('BackupOutcome', SearchAttributeType.KEYWORD);
export const BACKUP_SOURCE = defineSearchAttributeKey('BackupSource', SearchAttributeType.KEYWORD);
export const BACKUP_ID = defineSearchAttributeKey('BackupId', SearchAttributeType.KEYWORD);
export const BACKUP_BYTES = defineSearchAttributeKey('BackupBytes', SearchAttributeType.INT);

/** Disaster recovery: the step in progress (or the last one), and the measured RTO. */
export const DR_STEP = defineSearchAttributeKey('DrStep', SearchAttributeType.KEYWORD);
export const DR_RTO_SECONDS = defineSearchAttributeKey('DrRtoSeconds', SearchAttributeType.INT);

export const SEARCH_ATTRIBUTES = [BACKUP_KIND, BACKUP_OUTCOME, BACKUP_SOURCE, BACKUP_ID, BACKUP_BYTES, DR_STEP, DR_RTO_SECONDS] as const;

/** `Name=Type` as `temporal server start-dev --search-attribute` wants it. */
export function searchAttributeFlags(): string[] {
  const cliType: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int' };
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${cliType[key.type]}`]);
}
