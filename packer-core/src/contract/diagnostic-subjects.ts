import type { Diagnostic, DiagnosticSubject } from './diagnostics.js';

/** Every subject of a diagnostic: its `subjects`, or its one `assetId`/`path` (none for a project-wide finding). */
export function subjectsOf(item: Diagnostic): DiagnosticSubject[] {
  if (item.subjects && item.subjects.length > 0) return item.subjects;
  if (item.assetId === undefined && item.path === undefined) return [];
  return [
    {
      ...(item.assetId !== undefined ? { assetId: item.assetId } : {}),
      ...(item.path !== undefined ? { path: item.path } : {}),
    },
  ];
}

/** True when the diagnostic involves this asset (by id) or path, as any of its subjects. */
export function involves(
  item: Diagnostic,
  subject: { assetId?: string | undefined; path?: string | undefined },
): boolean {
  return subjectsOf(item).some(
    (one) =>
      (subject.assetId !== undefined && one.assetId === subject.assetId) ||
      (subject.path !== undefined && one.path === subject.path),
  );
}
