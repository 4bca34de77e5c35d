/**
 * Tampering with a stored dossier, for reconciliation tests of the portal simulator and the fake
 * portal: fields change without any call (`null` or `undefined` removes one); `MaHoSo` stays, since it
 * is the dossier's key. Changes `stored` in place and returns a copy of it as now stored.
 */
export function tamperStored<T extends Record<string, unknown>>(stored: T, changes: Record<string, unknown>): T {
  const fields = stored as Record<string, unknown>;
  for (const [field, value] of Object.entries(changes)) {
    if (field === 'MaHoSo') continue;
    if (value === undefined || value === null) delete fields[field];
    else fields[field] = structuredClone(value);
  }
  return structuredClone(stored);
}
