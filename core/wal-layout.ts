// Where the WAL archive and the base backups live in the backup repository, relative to its root
// (docs/REPOSITORY.md's layout; to join repository/layout.ts once the repository module settles).
//
// Pure module.

export const walLayout = {
  /** pg_receivewal's own directory: the segment it is writing (`.partial`) and completed ones not yet archived. */
  incoming: 'wal/incoming',
  /** Archived segments and timeline history files, `.gpg` when the repository is encrypted. */
  segmentsDir: 'wal/segments',
  segment: (name: string, encrypted: boolean) => `wal/segments/${name}${encrypted ? '.gpg' : ''}`,
  /** One JSON line per archived file: name, sha256 of the plaintext, bytes, when. */
  index: 'wal/index.jsonl',
  /** The pg_receivewal the latest archiver attempt started, for the next one to end when it was orphaned. */
  receiver: 'wal/receiver.json',
  baseDir: 'wal/base',
  base: (id: string) => `wal/base/${id}`,
  /** Written last: a base backup without it is not a good one. */
  baseRecord: (id: string) => `wal/base/${id}/record.json`,
  baseStaging: (id: string) => `.staging/base-${id}`,
} as const;
