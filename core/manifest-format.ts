// What workflows need of the manifest at run time, apart from its zod schemas (core/manifest.ts,
// which re-exports these): a workflow that imports zod evaluates it again in every new run, since
// each run has its own copy of the bundle's modules (about 10 ms of a backup's start; see
// worker/workflow-bundle.ts).

export const MANIFEST_FORMAT_VERSION = 1;

/** What a backup run can take; a full backup takes all three, scheduled runs may take one. */
export const BACKUP_PARTS = ['database', 'images', 'config'] as const;
export type BackupPart = (typeof BACKUP_PARTS)[number];
export type BackupKind = 'full' | BackupPart | 'partial';

export function kindOf(parts: readonly BackupPart[]): BackupKind {
  if (BACKUP_PARTS.every((p) => parts.includes(p))) return 'full';
  return parts.length === 1 ? (parts[0] as BackupPart) : 'partial';
}
