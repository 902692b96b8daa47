// The restore checklist, shared by the DR runbook's verify step and the restore tests: each item
// passes, fails or is skipped, always with its evidence. Pure.
export const CHECKLIST_ITEMS = [
  'database restored',
  'images present and intact',
  'login works',
  'images listed',
  'image served byte-identical',
  'metadata readable',
  'thumbnails served',
  'new image imported',
] as const;
export type ChecklistItemName = (typeof CHECKLIST_ITEMS)[number];

export interface ChecklistItem {
  item: ChecklistItemName;
  result: 'pass' | 'fail' | 'skip';
  evidence: string;
}

/** The checklist before thumbnails were verified: what recoveries recorded then were judged by. */
export const CHECKLIST_ITEMS_BEFORE_THUMBNAILS: readonly ChecklistItemName[] = CHECKLIST_ITEMS.filter((i) => i !== 'thumbnails served');

/** Every required item is present and passed. */
export function checklistPassed(items: ChecklistItem[], required: readonly ChecklistItemName[] = CHECKLIST_ITEMS): boolean {
  return required.every((name) => items.some((i) => i.item === name && i.result === 'pass'));
}
