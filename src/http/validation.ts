/**
 * JSON Schema validation (ajv) of every payload the gateway accepts, with errors turned into
 * `{path, message}` pairs whose path is a JSON Pointer to the offending field.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import revisionSchema from '../../schemas/dossier-revision.schema.json' with { type: 'json' };
import batchSchema from '../../schemas/dossier-batch.schema.json' with { type: 'json' };
import { isPortalTimestamp } from '../domain/dates.js';
import type { FieldError } from '../domain/errors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat('portal-timestamp', { type: 'string', validate: isPortalTimestamp });
  return ajv;
}

const ajv = createAjv();
export const validateRevision: ValidateFunction = ajv.compile(revisionSchema);
export const validateBatch: ValidateFunction = ajv.compile(batchSchema);

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const MESSAGES: Record<string, (e: ErrorObject) => string> = {
  required: () => 'is required',
  additionalProperties: () => 'is not a field of this payload',
  format: (e) => (e.params.format === 'portal-timestamp' ? 'must be a real date and time written yyyyMMddHHmmss' : `must be ${e.params.format}`),
  enum: (e) => `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
  pattern: (e) => `does not have the expected form (${e.params.pattern})`,
};

/** Ajv errors → one entry per offending path, the most specific message kept. */
export function toFieldErrors(errors: ErrorObject[] | null | undefined, base = ''): FieldError[] {
  const byPath = new Map<string, string>();
  for (const e of errors ?? []) {
    if (e.keyword === 'if') continue;
    let path = base + e.instancePath;
    if (e.keyword === 'required') path += `/${escapePointer(String(e.params.missingProperty))}`;
    if (e.keyword === 'additionalProperties') path += `/${escapePointer(String(e.params.additionalProperty))}`;
    const message = MESSAGES[e.keyword]?.(e) ?? e.message ?? 'is invalid';
    if (!byPath.has(path)) byPath.set(path, message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}
