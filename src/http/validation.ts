/**
 * JSON Schema validation (ajv) of every payload the gateway accepts, with errors turned into
 * `{path, message}` pairs whose path is a JSON Pointer to the offending field.
 *
 * Validation must cost about the same for a hostile body as for a valid one (shared/API.md
 * "Conventions"), so three things are bounded:
 * - the schema is compiled with its definitions inlined (see inlineDefinitions), so collecting errors
 *   is linear in their number;
 * - what is examined: items of an array past its `maxItems` are not looked at (the array's own entry
 *   already refuses it), and body.ts has refused objects wider than 1,000 members before parsing;
 * - what is listed: at most MAX_FIELD_ERRORS entries, then one `{"path": "", "message": "… and N more"}`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import revisionSchema from '../../schemas/dossier-revision.schema.json' with { type: 'json' };
import batchSchema from '../../schemas/dossier-batch.schema.json' with { type: 'json' };
import { isPortalTimestamp } from '../domain/dates.js';
import { MAX_FIELD_ERRORS, moreFieldErrors, type FieldError } from '../domain/errors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Longest path shown in an error entry; a body's own keys may be as long as the body. */
const MAX_PATH_CHARS = 200;

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat('portal-timestamp', { type: 'string', validate: isPortalTimestamp });
  return ajv;
}

type Schema = Record<string, unknown>;

/**
 * The schema with every local `#/definitions/…` reference replaced by its definition. Ajv compiles a
 * referenced definition that itself holds references into a function of its own and, with allErrors,
 * appends that function's errors with `concat`, copying the whole list each time: for a body with
 * thousands of offending items the cost grows with the square of their number. Inlined, every error
 * is a push. The gateway's schemas are not recursive, so inlining terminates.
 */
export function inlineDefinitions(schema: Schema): Schema {
  const definitions = (schema.definitions ?? {}) as Record<string, unknown>;
  const resolve = (node: unknown, trail: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => resolve(n, trail));
    if (node === null || typeof node !== 'object') return node;
    const obj = node as Schema;
    const ref = obj.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
      const name = ref.slice('#/definitions/'.length);
      if (trail.includes(name)) throw new Error(`schema definition ${name} refers to itself; it cannot be inlined`);
      if (!(name in definitions)) throw new Error(`schema reference ${ref} names no definition`);
      const { $ref: _ref, ...rest } = obj;
      const target = resolve(definitions[name], [...trail, name]) as Schema;
      return Object.keys(rest).length === 0 ? target : { allOf: [target, resolve(rest, trail)] };
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'definitions' && obj === schema) continue;
      out[k] = resolve(v, trail);
    }
    return out;
  };
  return resolve(schema, []) as Schema;
}

/** Where the schema bounds how many items an array may hold (`maxItems`), and the way there. */
interface Shape {
  maxItems?: number;
  items?: Shape;
  properties?: Record<string, Shape>;
}

function shapeOf(schema: unknown): Shape | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const s = schema as Schema;
  const shape: Shape = {};
  if (typeof s.maxItems === 'number') shape.maxItems = s.maxItems;
  const items = shapeOf(s.items);
  if (items) shape.items = items;
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const properties: Record<string, Shape> = {};
  for (const [name, sub] of Object.entries(props)) {
    const inner = shapeOf(sub);
    if (inner) properties[name] = inner;
  }
  if (Object.keys(properties).length > 0) shape.properties = properties;
  return Object.keys(shape).length > 0 ? shape : undefined;
}

/**
 * The part of `data` worth examining: arrays cut one item past their limit (so the limit is still
 * reported). Copies only what it cuts; a body within every limit comes back as it is.
 */
function clip(data: unknown, shape: Shape): unknown {
  if (Array.isArray(data)) {
    let out: unknown[] = data;
    if (shape.maxItems !== undefined && data.length > shape.maxItems + 1) out = data.slice(0, shape.maxItems + 1);
    const items = shape.items;
    if (items) {
      for (let i = 0; i < out.length; i++) {
        const c = clip(out[i], items);
        if (c !== out[i]) {
          if (out === data) out = data.slice();
          out[i] = c;
        }
      }
    }
    return out;
  }
  if (data === null || typeof data !== 'object') return data;
  let out = data as Record<string, unknown>;
  if (shape.properties) {
    for (const [name, sub] of Object.entries(shape.properties)) {
      if (!Object.hasOwn(out, name)) continue;
      const value = out[name];
      const c = clip(value, sub);
      if (c !== value) {
        if (out === data) out = copyObject(out);
        setField(out, name, c);
      }
    }
  }
  return out;
}

/** Sets a field as data even when its name is `__proto__` (a key of the body, not a prototype). */
function setField(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function copyObject(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) setField(out, key, obj[key]);
  return out;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function shortPath(path: string): string {
  return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path;
}

const MESSAGES: Record<string, (e: ErrorObject) => string> = {
  required: () => 'is required',
  additionalProperties: () => 'is not a field of this payload',
  format: (e) => (e.params.format === 'portal-timestamp' ? 'must be a real date and time written yyyyMMddHHmmss' : `must be ${e.params.format}`),
  enum: (e) => `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
  pattern: (e) => `does not have the expected form (${e.params.pattern})`,
};

/**
 * Field errors collected up to a limit: one entry per path (the first, most specific message), the
 * rest only counted, for the closing `… and N more`.
 */
export class FieldErrorList {
  private readonly listed: FieldError[] = [];
  private readonly paths = new Set<string>();
  private more = 0;
  private lastUnlisted = '';

  constructor(private readonly limit = MAX_FIELD_ERRORS) {}

  get size(): number {
    return this.listed.length + this.more;
  }

  add(path: string, message: string): void {
    if (this.paths.has(path)) return;
    if (this.listed.length < this.limit) {
      this.paths.add(path);
      this.listed.push({ path: shortPath(path), message });
      return;
    }
    // Past the limit only counted; errors of one field come one after another, so comparing with the last is enough.
    if (path === this.lastUnlisted) return;
    this.lastUnlisted = path;
    this.more++;
  }

  addAjv(errors: ErrorObject[] | null | undefined, base = ''): void {
    for (const e of errors ?? []) {
      if (e.keyword === 'if') continue;
      let path = base + e.instancePath;
      if (e.keyword === 'required') path += `/${escapePointer(String(e.params.missingProperty))}`;
      else if (e.keyword === 'additionalProperties') path += `/${escapePointer(String(e.params.additionalProperty))}`;
      if (this.listed.length < this.limit) this.add(path, MESSAGES[e.keyword]?.(e) ?? e.message ?? 'is invalid');
      else this.add(path, '');
    }
  }

  toArray(): FieldError[] {
    return this.more > 0 ? [...this.listed, moreFieldErrors(this.more)] : [...this.listed];
  }
}

/** Errors of one payload (empty when valid), paths prefixed with `base` (`/items/3` in a batch). */
export type PayloadValidator = (body: unknown, base?: string) => FieldError[];

export function payloadValidator(schema: Schema, ajv = createAjv()): PayloadValidator {
  const inlined = inlineDefinitions(schema);
  const validate: ValidateFunction = ajv.compile(inlined);
  const shape = shapeOf(inlined);
  return (body, base = '') => {
    const examined = shape ? clip(body, shape) : body;
    if (validate(examined)) return [];
    const list = new FieldErrorList();
    list.addAjv(validate.errors, base);
    return list.toArray();
  };
}

const ajv = createAjv();
export const revisionErrors: PayloadValidator = payloadValidator(revisionSchema, ajv);
export const batchErrors: PayloadValidator = payloadValidator(batchSchema, ajv);
