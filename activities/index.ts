// All activities a worker registers, built from one set of dependencies.
import type { ActivityDeps } from './deps.js';
import { createCommitActivities } from './commit.js';
import { createConfigSnapshotActivities } from './config-snapshot.js';
import { createEncryptActivities } from './encrypt.js';
import { createPlanActivities } from './plan.js';
import { createPostgresActivities } from './postgres.js';
import { createRsyncActivities } from './rsync.js';
import { createVerifyActivities } from './verify.js';
import { createRetentionActivities } from './retention.js';
import { createRunJournalActivities } from './run-journal.js';
import { createNotifyActivities } from './notify.js';
import { createHealthActivities } from './health.js';
import { createDrActivities } from './dr.js';
import { createRestoreTestActivities } from './restore-test.js';
import { createOffsiteActivities } from './offsite.js';
import { createRepositoryLockActivities } from './repository-lock.js';
import { createBackupIdActivities } from './backup-id.js';
import { createLockHolderActivities } from './lock-holder.js';
import { createWalPrerequisiteActivities } from './wal-prerequisites.js';
import { createWalArchiverActivities } from './wal-archiver.js';
import { createBaseBackupActivities } from './base-backup.js';
import { createWalRecoveryActivities } from './wal-recovery.js';

export function createActivities(deps: ActivityDeps) {
  const postgres = createPostgresActivities(deps);
  const encrypt = createEncryptActivities(deps);
  return {
    ...createPlanActivities(deps),
    dumpDatabase: postgres.dumpDatabase,
    ...createRsyncActivities(deps),
    ...createConfigSnapshotActivities(deps),
    encryptArtifacts: encrypt.encryptArtifacts,
    ...createVerifyActivities(deps),
    ...createCommitActivities(deps),
    ...createRetentionActivities(deps),
    ...createRunJournalActivities(deps),
    ...createNotifyActivities(deps),
    ...createHealthActivities(deps),
    ...createDrActivities(deps),
    ...createRestoreTestActivities(deps),
    ...createOffsiteActivities(deps),
    ...createRepositoryLockActivities(deps),
    ...createBackupIdActivities(deps),
    ...createLockHolderActivities(deps),
    ...createWalPrerequisiteActivities(deps),
    ...createWalArchiverActivities(deps),
    ...createBaseBackupActivities(deps),
    ...createWalRecoveryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
