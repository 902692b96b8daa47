// The image mirror checked against the database's own rows: every live image's original present
// in the mirror with the size the database records, and every copied original hashing to its
// content-addressed name. A problem is a warning, not a failed backup: it mirrors the source's own
// state, and refusing the backup would also throw away a good database dump.
import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BoundedNames } from '../core/bounded-names.js';
import type { VerificationCheck } from '../core/manifest.js';
import { layout } from '../repository/layout.js';
import type { ActivityDeps } from './deps.js';
import { inSlices } from './pool.js';
import { createPostgresActivities, type LiveImage } from './postgres.js';

const MAX_LISTED = 20;

export interface MirrorCheck {
  /**
   * The check, once the mirror holds what the run copied: the mirror is read at once (or taken
   * from `walked`, a walk of the whole mirror the step makes anyway), and the copies whose content
   * does not match their name are added when `hashed` (their hashing) ends.
   */
  finish(hashed: Promise<BoundedNames> | BoundedNames, walked?: Promise<Map<string, number>>): Promise<VerificationCheck>;
}

/**
 * Lists the database's live images now and checks the mirror against them on `finish`. The image
 * step starts it as its copy starts: the app writes an image's file before its row, so every row
 * listed by then has its file in the source for the copy to find, and the listing runs while the
 * copy does.
 */
export function startMirrorCheck(deps: ActivityDeps): MirrorCheck {
  const mirror = join(deps.config.repository.root, layout.imagesCurrent);
  const listing = createPostgresActivities(deps).listLiveImages();
  listing.catch(() => undefined); // told by finish(), never as an unhandled rejection
  return {
    async finish(hashed, walked) {
      const live = await listing;
      const sizes = walked ? sizesFrom(mirror, live, await walked) : await sizesIn(mirror, live);
      return mirrorCheckOf(live, sizes, await hashed);
    },
  };
}

/** Each image's size in the mirror, -1 when it is missing: metadata only, so synchronous calls in slices (activities/pool.ts). */
async function sizesIn(mirror: string, live: LiveImage[]): Promise<number[]> {
  const sizes = new Array<number>(live.length);
  await inSlices(live, (image, i) => {
    sizes[i] = sizeOrMissing(join(mirror, image.storagePath));
  });
  return sizes;
}

function sizeOrMissing(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? -1;
  } catch {
    return -1; // not reachable (a file where a directory should be, no permission): not there for a restore either
  }
}

/** Each image's size from a walk of the mirror, -1 when the walk did not find it as a regular file there. */
function sizesFrom(mirror: string, live: LiveImage[], walked: Map<string, number>): number[] {
  return live.map((image) => walked.get(relative(mirror, join(mirror, image.storagePath))) ?? -1);
}

function mirrorCheckOf(live: LiveImage[], sizes: number[], mismatches: BoundedNames): VerificationCheck {
  const missing = live.flatMap((image, i) => {
    const size = sizes[i]!;
    if (size === image.bytes) return [];
    return [size < 0 ? `${image.storagePath} (missing)` : `${image.storagePath} (${size} bytes, database says ${image.bytes})`];
  });
  const problems = [...missing, ...mismatches.first.map((p) => `${p} (content does not match its hash name)`)];
  const total = missing.length + mismatches.count;
  return {
    artifact: layout.imagesCurrent,
    check: 'image mirror',
    ok: total === 0,
    detail: total
      ? `${total} problem(s): ${problems.slice(0, MAX_LISTED).join(', ')}`
      : `all ${live.length} live images present with the database's sizes`,
  };
}
