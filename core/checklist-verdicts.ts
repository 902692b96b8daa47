// The checklist's verdicts, judged in one place. The DR runbook (its steps 3 and 4, and step 6's
// probes of the running app) and the restore tests (integrity check, partial restores) only
// observe: counts, hashes, what the app answered. This module decides pass, fail or skip for each
// item and words its evidence, so the same facts get the same verdict wherever they were seen.
// Pure.
import { describeNames } from './bounded-names.js';
import type { ChecklistItem, ChecklistItemName } from './checklist.js';
import { imageCounts, type DrReport, type StepState } from './dr-report.js';

/** What was seen of each item, by whichever run checked it. */
export interface Observations {
  'database restored':
    | { drStep: StepState; restored?: string } // DR step 3 and what it reported
    | { dumpsChecked: number; dumpsBad: number } // integrity check: every retained dump read
    | { backupId: string; tables: number; scratchDatabase: string; mismatches: number }; // partial restore
  'images present and intact':
    | { drRestore?: DrReport['images'] } // DR step 4's check of every live image, if it ran
    | { mirroredFiles: number; bad: number } // integrity check: the whole mirror re-hashed
    | { sampled: number; decoded: number; problems: number; throughBucket?: string }; // partial restore of a sample (through a scratch bucket when the images live in one)
  'login works': { answer: string };
  'images listed': { pages: number; listed: number; total: number; liveRows: number; notListed: string[] };
  'image served byte-identical': { storagePath: string; bytes: number; sha256: string; fileHash: string };
  'metadata readable':
    | { imageId: string; positivePrompt: string | null; rawMetadata: boolean; asInDatabase: boolean; fileHashMatches: boolean } // served by the app
    | { rowsWithRawMetadata: number }; // in a scratch restore
  'thumbnails served': { live: number; problems: string[] };
  'new image imported': { hash: string; importDir: string; waitedMs: number; imported?: { id: string; servedSha256: string; thumbnailWebp: boolean } };
}

/** Any item may go unchecked: skipped with why, or failed because the check itself could not be made. */
export type Unchecked = { skipped: string } | { failed: string };

export interface ObservationOf<K extends ChecklistItemName> {
  item: K;
  observed: Observations[K] | Unchecked;
}
export type Observation = { [K in ChecklistItemName]: ObservationOf<K> }[ChecklistItemName];

type Verdict = Omit<ChecklistItem, 'item'>;
const judged = (pass: boolean, evidence: string): Verdict => ({ result: pass ? 'pass' : 'fail', evidence });
const short = (sha256: string) => `${sha256.slice(0, 12)}…`;

const JUDGES: { [K in ChecklistItemName]: (o: Observations[K]) => Verdict } = {
  'database restored': (o) => {
    if ('drStep' in o) {
      const step = o.drStep;
      if (o.restored !== undefined) return { result: 'pass', evidence: o.restored };
      return { result: step.status === 'skipped' ? 'skip' : 'fail', evidence: step.skipReason ?? step.error ?? 'not run' };
    }
    if ('dumpsChecked' in o) return judged(o.dumpsBad === 0, `${o.dumpsChecked} dumps readable by pg_restore --list with their recorded sha256`);
    return judged(o.mismatches === 0, `${o.backupId}: ${o.tables} tables restored into scratch database ${o.scratchDatabase}`);
  },
  'images present and intact': (o) => {
    if ('mirroredFiles' in o) return judged(o.bad === 0, `${o.mirroredFiles} mirrored files re-hashed: originals against their names and images.file_hash, thumbnails read whole`);
    if ('sampled' in o) return judged(o.problems === 0, `${o.sampled} sampled originals restored${o.throughBucket ? ` through scratch bucket ${o.throughBucket} and read back` : ''}, ${o.decoded} decoded, ${o.problems} problems`);
    const images = o.drRestore;
    if (!images) return { result: 'skip', evidence: 'image restore did not run' };
    const counts = imageCounts(images);
    return judged(
      counts.missing + counts.corrupt === 0,
      `${images.checked} live images checked against images.file_hash: ${describeNames(counts.missing, images.missing)} missing, ${describeNames(counts.corrupt, images.corrupt)} corrupt; ${describeNames(counts.rebuilt, images.thumbnailsRebuilt ?? [])} thumbnails rebuilt${images.listFile ? `; all named in ${images.listFile}` : ''}`,
    );
  },
  'login works': (o) => judged(true, o.answer),
  'images listed': (o) =>
    judged(
      o.listed === o.liveRows && o.total === o.liveRows && o.notListed.length === 0,
      `GET /api/images paged through ${o.pages} page(s): ${o.listed} images (total ${o.total}); the database has ${o.liveRows} live rows${o.notListed.length ? `; not listed: ${o.notListed.slice(0, 5).join(', ')}` : ''}`,
    ),
  'image served byte-identical': (o) =>
    judged(o.sha256 === o.fileHash, `GET /storage/${o.storagePath}: ${o.bytes} bytes, sha256 ${short(o.sha256)}, images.file_hash ${short(o.fileHash)}`),
  'metadata readable': (o) => {
    if ('rowsWithRawMetadata' in o) return judged(o.rowsWithRawMetadata > 0, `${o.rowsWithRawMetadata} rows with raw_metadata`);
    return judged(
      o.asInDatabase && o.fileHashMatches && Boolean(o.positivePrompt),
      `GET /api/images/${o.imageId}: positive_prompt ${JSON.stringify(o.positivePrompt)}, raw_metadata ${o.rawMetadata ? 'present' : 'null'}${o.asInDatabase ? ', as in the database' : '; the database has another value'}`,
    );
  },
  'thumbnails served': (o) =>
    judged(o.problems.length === 0, `${o.live - o.problems.length} of ${o.live} live images' thumbnails served as WebP${o.problems.length ? `; ${o.problems.slice(0, 5).join('; ')}` : ''}`),
  'new image imported': (o) => {
    const dropped = `image ${short(o.hash)} dropped into ${o.importDir}`;
    if (!o.imported) return judged(false, `${dropped} was not imported within ${o.waitedMs / 1000}s`);
    const { id, servedSha256, thumbnailWebp } = o.imported;
    const identical = servedSha256 === o.hash;
    return judged(
      identical && thumbnailWebp,
      `${dropped} was imported as ${id}; its original served ${identical ? 'byte-identical' : `with sha256 ${short(servedSha256)}`}, its thumbnail ${thumbnailWebp ? 'as WebP' : 'not as WebP'}`,
    );
  },
};

function verdict<K extends ChecklistItemName>(o: ObservationOf<K>): ChecklistItem {
  const seen = o.observed;
  if ('skipped' in seen) return { item: o.item, result: 'skip', evidence: seen.skipped };
  if ('failed' in seen) return { item: o.item, result: 'fail', evidence: seen.failed };
  return { item: o.item, ...JUDGES[o.item](seen) };
}

/** The checklist items for what was observed, in the order given. */
export function checklistVerdicts(observations: Observation[]): ChecklistItem[] {
  return observations.map((o) => verdict(o));
}
