// An image source that lists nothing while the mirror holds files is far more often a mistake (a
// wrong bucket prefix, a volume that did not mount, a bucket swapped for a fresh one) than a Prompt
// Box whose every image was deleted. Syncing it would move the whole mirror into the day's
// increment and record a backup of no images as good; the run stops instead and says what to check.

/** Why the run must not sync an empty source over a filled mirror, or undefined when it may. */
export function emptySourceRefusal(source: { field: string; where: string }, sourceEntries: number, mirrorHasFiles: boolean): string | undefined {
  if (sourceEntries > 0 || !mirrorHasFiles) return undefined;
  return (
    `${source.field}: ${source.where} is empty but the image mirror holds files from earlier backups: ` +
    'syncing it would move every image out of the mirror. Check the setting (a wrong prefix or bucket, a volume that is not mounted); ' +
    'the last backup keeps its images until this is fixed'
  );
}
