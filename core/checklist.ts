// The restore checklist, shared by the DR runbook's verify step and the restore tests: each item
// passes, fails or is skipped, always with its evidence. Pure.
export const CHECKLIST_ITEMS = [
  'database restored',
  'images present and intact',
  'login works',
  'images listed',
  'image served byte-identical',
  'metadata readable',
  'new image imported',
] as const;
export type ChecklistItemName = (typeof CHECKLIST_ITEMS)[number];

export interface ChecklistItem {
  item: ChecklistItemName;
  result: 'pass' | 'fail' | 'skip';
  evidence: string;
}

export function checklistPassed(items: ChecklistItem[]): boolean {
  return CHECKLIST_ITEMS.every((name) => items.some((i) => i.item === name && i.result === 'pass'));
}
