// Where everything lives in the backup repository (docs/REPOSITORY.md): the one place that knows
// a path inside it. Paths are relative to the repository root, so manifests stay valid when the
// repository is moved or mounted elsewhere. Pure, and the only file of repository/ that workflows
// import as a value (for names in results).

/** A backup id is the UTC start time of its run, `yyyymmdd_HHMMSS`: sortable and readable. */
export function backupIdFor(time: Date): string {
  const iso = time.toISOString(); // 2026-11-29T03:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

const BACKUP_ID = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

export function isBackupId(value: string): boolean {
  return BACKUP_ID.test(value);
}

export function backupTime(backupId: string): Date {
  const m = BACKUP_ID.exec(backupId);
  if (!m) throw new Error(`not a backup id: ${backupId}`);
  const [, y, mo, d, h, mi, s] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

/** The per-day increment folder name of a run: its UTC date. */
export function incrementDay(backupId: string): string {
  return backupId.slice(0, 8);
}

/**
 * An increment folder's name, as retention, recovery and capacity read them back: a day
 * (`yyyymmdd`), or a run's version folder (`yyyymmdd_HHMMSS`, a backup id) holding what that run
 * replaced again after an earlier run of the same day had moved another version of it aside.
 * Sorted by name, a day comes before its version folders, which are in time order.
 */
export function isIncrementDay(name: string): boolean {
  return /^\d{8}(_\d{6})?$/.test(name);
}

/** The pending folder (`.pending-<backup id>`) an image run moves into; undefined for any other name. */
export function pendingIncrementOf(name: string): string | undefined {
  const m = /^\.pending-(\d{8}_\d{6})$/.exec(name);
  return m?.[1];
}

/**
 * Originals are stored as `ab/cd/<sha256>.<ext>` from the storage root: the hash their content
 * must have. Thumbnails (`thumbnails/ab/cd/<sha256>.webp`) carry their original's hash, not their
 * own, and other files none: undefined for both.
 */
export function contentHashOf(path: string): string | undefined {
  const m = /^([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})\.[A-Za-z0-9]+$/.exec(path);
  return m && m[3]!.startsWith(`${m[1]}${m[2]}`) ? m[3] : undefined;
}

/** A workflow id as a file name: ids may hold `/` and other characters a path must not. */
const fileNameOf = (workflowId: string) => workflowId.replace(/[^A-Za-z0-9_.-]/g, '_');

export const layout = {
  dbDir: 'db',
  dump: (source: string, backupId: string, encrypted: boolean) => `db/${source}_${backupId}.dump${encrypted ? '.gpg' : ''}`,
  imagesCurrent: 'images/current',
  imagesIncrementsDir: 'images/incremental',
  imagesIncrement: (backupId: string) => `images/incremental/${incrementDay(backupId)}`,
  /** An increment folder by its day, as listed in `imagesIncrementsDir`. */
  imagesIncrementOfDay: (day: string) => `images/incremental/${day}`,
  /** Where one run's rsync or rclone moves what it replaces or deletes, until settled (activities/image-increments.ts). */
  imagesIncrementPending: (backupId: string) => `images/incremental/.pending-${backupId}`,
  /** A run's version folder: what it replaced that the day's increment already held in another version. */
  imagesIncrementVersion: (backupId: string) => `images/incremental/${backupId}`,
  configDir: 'config',
  configSnapshot: (fileName: string, backupId: string, encrypted: boolean) =>
    `config/${fileName}.${backupId}${encrypted ? '.gpg' : ''}`,
  manifestsDir: 'manifests',
  manifest: (backupId: string) => `manifests/${backupId}.json`,
  /** Encrypted known token: proves a passphrase is the repository's before anything is written. */
  passphraseCheck: 'keys/passphrase-check.gpg',

  stagingDir: '.staging',
  /** Work area of one run; artifacts leave it only once verified. */
  staging: (backupId: string) => `.staging/${backupId}`,
  stagedDump: (backupId: string) => `.staging/${backupId}/db.dump`,
  stagedConfig: (backupId: string, fileName: string) => `.staging/${backupId}/config/${fileName}`,
  /** A staged artifact once encrypted, beside its plaintext until that is removed. */
  stagedEncrypted: (staged: string) => `${staged}.gpg`,
  /** rsync's --temp-dir: partial files stay out of the mirror. */
  stagedRsyncTemp: (backupId: string) => `.staging/${backupId}/rsync-tmp`,
  stagedBucketSyncLog: (backupId: string) => `.staging/${backupId}/rclone-images.log`,
  /** The bucket sync in flight (activities/interrupted-copy.ts): outlives a failed run's staging area. */
  bucketSyncInFlight: '.staging/bucket-sync.json',
  /** Mirror files a lost bucket sync left unfinished, until the next sync settles them. */
  bucketSyncAside: '.staging/bucket-sync-aside',

  runsDir: 'runs',
  runRecord: (kind: string) => `runs/${kind}.json`,
  restoreTestsDir: 'restore-tests',
  restoreTestRecord: (id: string) => `restore-tests/${id}.json`,
  /** Every failure of a restore test whose record keeps only the first ones. */
  restoreTestFailures: (kind: string, workflowId: string) => `restore-tests/${kind}-${fileNameOf(workflowId)}.failures.jsonl`,
  /** A partial image restore's scratch directory, removed after the test. */
  restoreTestScratch: (scratch: string) => `restore-tests/scratch/${scratch.replace(/[^A-Za-z0-9_]/g, '_')}`,
  drReportsDir: 'dr-reports',
  drReport: (workflowId: string, format: 'json' | 'md') => `dr-reports/${fileNameOf(workflowId)}.${format}`,
  /** Every image a recovery found missing, corrupt or rebuilt, one `kind<TAB>path` line each. */
  drImageList: (workflowId: string) => `dr-reports/${fileNameOf(workflowId)}.images.tsv`,

  /**
   * Point-in-time recovery: the continuous WAL archive and the base backups it replays from
   * (repository/wal-index.ts, base-backups.ts, wal-receiver.ts).
   */
  wal: {
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
    /** The packed data directory of one base backup. */
    baseArchive: (id: string, encrypted: boolean) => `wal/base/${id}/base.tar.gz${encrypted ? '.gpg' : ''}`,
    /** Written last: a base backup without it is not a good one. */
    baseRecord: (id: string) => `wal/base/${id}/record.json`,
    baseStaging: (id: string) => `.staging/base-${id}`,
    /** A recovery's decrypted copy of an encrypted base backup, removed once unpacked. */
    baseDecrypted: (id: string) => `.staging/pitr-${id}.tar.gz`,
  },

  /** What a running recovery reads, so retention keeps it until the recovery ends (repository/leases.ts). */
  leasesDir: 'leases',
  lease: (runId: string) => `leases/${fileNameOf(runId)}.json`,

  /** One writer at a time (repository/lock.ts): a directory created atomically, naming its owner. */
  lockDir: '.lock',
  lockOwner: '.lock/owner.json',
  /**
   * Work areas that off-site copies leave out: nothing in them is part of a good backup. wal/incoming
   * is pg_receivewal's own directory: plaintext WAL (row data) even in an encrypted repository,
   * each completed file archived, encrypted, into wal/segments within seconds.
   */
  neverCopied: ['.staging/', 'restore-tests/scratch/', 'wal/incoming/'],
} as const;
