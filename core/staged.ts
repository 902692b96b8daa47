// Shapes that travel between backup steps in workflow history: paths, sizes and hashes only,
// never file contents or secrets.
import type { Artifact } from './manifest.js';

/** A file written to the run's staging area, before encryption. */
export interface PlainStaged {
  kind: Artifact['kind'];
  /** Relative to the repository root, inside .staging/<backupId>/. */
  staged: string;
  /** Where it will live once committed, relative to the repository root. */
  finalPath: string;
  plaintextSha256: string;
  plaintextBytes: number;
}

/** A staged file in its final form (encrypted or not) with the artifact record it will get. */
export interface StagedArtifact {
  staged: string;
  artifact: Artifact;
}

export interface ConfigSnapshotItem {
  name: string;
  source: string;
  changed: boolean;
  /** Set when changed: the new copy waiting in staging. */
  plain?: PlainStaged;
  /** Set when unchanged: the earlier snapshot that still matches the file. */
  previous?: Artifact;
}
