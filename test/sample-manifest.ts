// A valid manifest for unit tests of code that reads manifests (catalog, metrics, the report),
// with fields a test cares about overridden.
import type { Manifest } from '../core/manifest.js';

const sha = 'a'.repeat(64);
export const sampleArtifact = { kind: 'dump', path: 'db/promptbox_20261129_030000.dump', bytes: 10, sha256: sha, encrypted: false, plaintextSha256: sha, plaintextBytes: 10 } as const;

export function sampleManifest(backupId: string, extra: Partial<Manifest> = {}): Manifest {
  return {
    formatVersion: 1,
    backupId,
    kind: 'full',
    parts: ['database', 'images', 'config'],
    source: { name: 'promptbox', transport: 'direct', database: 'promptbox', endpoint: '127.0.0.1:5432' },
    workflow: { workflowId: 'w', runId: 'r' },
    startedAt: '2026-11-29T03:00:00.000Z',
    finishedAt: '2026-11-29T03:01:00.000Z',
    tools: {},
    encryption: { enabled: false },
    database: { artifact: { ...sampleArtifact, path: `db/promptbox_${backupId}.dump` }, serverVersion: '16.4', tables: { images: 3 } },
    images: { mirror: 'images/current', increment: 'images/incremental/20261129', files: 3, bytes: 30, transferred: 3, movedToIncrement: 0 },
    config: [],
    verification: { verifiedAt: '2026-11-29T03:01:00.000Z', passed: true, checks: [] },
    ...extra,
  };
}
