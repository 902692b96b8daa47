// Lists that grow with the data (missing files, corrupt files, mismatches) must not grow a
// workflow payload: Temporal refuses payloads over 2 MB, and in the disaster this tool exists for
// (storage lost, tens of thousands of files missing) a step carrying them could never complete.
// Payloads carry a count and the first few names; the full list goes to a file. Pure.

/** Names carried in a payload; the rest are counted (and written to a file by the caller). */
export const NAMES_IN_PAYLOAD = 20;

export interface BoundedNames {
  count: number;
  first: string[];
}

export const noNames = (): BoundedNames => ({ count: 0, first: [] });

export function addName(list: BoundedNames, name: string): void {
  list.count += 1;
  if (list.first.length < NAMES_IN_PAYLOAD) list.first.push(name);
}

/** "3 (a, b, c)", or "30000 (a, b, ... and 29980 more)". */
export function describeNames(count: number, first: readonly string[], shown = 10): string {
  if (!count) return '0';
  const names = first.slice(0, shown);
  return `${count} (${names.join(', ')}${count > names.length ? `, ... and ${count - names.length} more` : ''})`;
}
