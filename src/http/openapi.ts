/**
 * The OpenAPI 3.1 document of the gateway, built from what the app really serves: every route's
 * `documented({...})` entry (src/http/route-docs.ts), the sector sources' descriptors, and the JSON
 * Schemas of `schemas/`, embedded as components with their references rewritten to point inside the
 * document, so any resolver finds them. Routes still being built elsewhere are described in
 * planned-routes.ts until their own definition carries the entry.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appRoutes, openApiPath, type ParamDoc, type RouteDoc, type SchemaRef } from './route-docs.js';
import type { Express } from 'express';
import type { AnySectorSource } from '../lookup/source.js';

type Json = Record<string, unknown>;

const here = dirname(fileURLToPath(import.meta.url));
/** `schemas/` beside the sources (repository) or beside the compiled code (dist/). */
export const SCHEMAS_DIR =
  [resolve(here, '../../schemas'), resolve(here, '../../../schemas')].find((d) => existsSync(join(d, 'citizen.schema.json'))) ?? resolve(here, '../../schemas');

/** `dossier-revision.schema.json` or `https://…/dossier-revision.schema.json` → `DossierRevision`. */
export function componentName(fileOrId: string): string {
  const file = fileOrId.split('/').pop()!.replace(/\.schema\.json$|\.json$/, '');
  return file
    .split(/[-_.]/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** A JSON Schema made a component: its own `#/…` and sibling-file references point into the document. */
function embed(name: string, schema: Json): Json {
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== 'object' || node === null) return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$id' || k === '$schema') continue;
      if (k === '$ref' && typeof v === 'string') out[k] = refInside(name, v);
      else out[k] = rewrite(v);
    }
    return out;
  };
  return rewrite(schema) as Json;
}

function refInside(name: string, ref: string): string {
  if (ref.startsWith('#/')) return `#/components/schemas/${name}/${ref.slice(2)}`;
  const [file, pointer] = ref.split('#');
  const target = componentName(file!);
  return pointer ? `#/components/schemas/${target}${pointer}` : `#/components/schemas/${target}`;
}

const PROBLEM: Json = {
  type: 'object',
  description: 'application/problem+json (RFC 9457) with the gateway\'s stable code',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'stable snake_case word: invalid_body, invalid_identifier, invalid_query, purpose_required, unauthorized, forbidden, not_found, payload_too_large, unsupported_media_type, upstream_unavailable, upstream_timeout, upstream_rejected, upstream_bad_response, rate_limited, store_unavailable' },
    errors: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
};

const PROBLEM_TEXT: Readonly<Record<number, string>> = {
  400: 'The request breaks a rule (the code and detail say which)',
  401: 'Missing or unknown API key',
  403: 'The key lacks the role, or the client may not use this source',
  404: 'Not found',
  413: 'The body is over 1 MiB',
  415: 'Unsupported media type or encoding',
  429: 'Over the client\'s rate limit, or too many failed keys from this address (Retry-After says when to retry)',
  502: 'The upstream answered something unexpected, or refused the request',
  503: 'The upstream or the gateway\'s store is unavailable (Retry-After when known)',
  504: 'The upstream did not answer in time',
};

export interface PlannedRoute {
  method: string;
  path: string;
  doc: RouteDoc;
}

export interface DocumentInput {
  app: Express;
  sources: readonly AnySectorSource[];
  planned: readonly PlannedRoute[];
  version: string;
}

function schemaOf(ref: SchemaRef, components: Json): Json {
  if (typeof ref !== 'string') return ref as Json;
  const name = componentName(ref);
  if (!(name in components)) throw new Error(`route documentation names ${ref}, which is not a schema of schemas/`);
  return { $ref: `#/components/schemas/${name}` };
}

function parameter(inWhere: 'path' | 'query' | 'header', p: ParamDoc): Json {
  return { name: p.name, in: inWhere, required: inWhere === 'path' ? true : (p.required ?? false), description: p.description, schema: p.schema ?? { type: 'string' } };
}

function operation(method: string, path: string, doc: RouteDoc, components: Json): Json {
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const parameters = [
    ...pathParams.map((name) => parameter('path', { name, description: doc.params?.[name] ?? name })),
    ...(doc.query ?? []).map((q) => parameter('query', q)),
    ...(doc.headers ?? []).map((h) => parameter('header', h)),
  ];
  const responses: Json = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) } : {}),
      ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: schemaOf(r.schema, components) } } } : {}),
    };
  }
  const problems = new Set(doc.problems ?? []);
  if (doc.roles) for (const s of [401, 403, 429]) problems.add(s);
  for (const status of [...problems].sort()) {
    responses[String(status)] = {
      description: PROBLEM_TEXT[status] ?? 'Error',
      ...(status === 429 || status === 503 ? { headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } } } : {}),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return {
    operationId: `${method}${path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    ...(doc.roles ? { security: [{ apiKey: [] }], 'x-roles': doc.roles } : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? { requestBody: { required: doc.body.required ?? true, ...(doc.body.description ? { description: doc.body.description } : {}), content: { [doc.body.contentType ?? 'application/json']: { schema: schemaOf(doc.body.schema, components) } } } }
      : {}),
    responses,
  };
}

/** The schemas of `schemas/` and of the sources' descriptors, as components. */
export function schemaComponents(sources: readonly AnySectorSource[]): Json {
  const components: Json = { Problem: PROBLEM };
  for (const file of readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const name = componentName(file);
    components[name] = embed(name, JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8')) as Json);
  }
  for (const s of sources) {
    const id = s.answerSchema.$id;
    const name = typeof id === 'string' ? componentName(id) : componentName(`${s.name}-answer`);
    components[name] ??= embed(name, s.answerSchema as Json);
  }
  return components;
}

/** The answer schema's component name of a source. */
export function answerComponent(source: AnySectorSource): string {
  const id = source.answerSchema.$id;
  return typeof id === 'string' ? componentName(id) : componentName(`${source.name}-answer`);
}

export function buildOpenApi(input: DocumentInput): Json {
  const components = schemaComponents(input.sources);
  const paths: Record<string, Json> = {};
  const add = (method: string, path: string, doc: RouteDoc) => {
    const item = (paths[path] ??= {});
    item[method] = operation(method, path, doc, components);
  };
  for (const r of appRoutes(input.app)) {
    if (r.doc) add(r.method, r.doc.path ?? openApiPath(r.path), r.doc);
  }
  for (const p of input.planned) if (!paths[p.path]?.[p.method]) add(p.method, p.path, p.doc);
  return {
    openapi: '3.1.0',
    info: {
      title: 'dvc-gateway',
      version: input.version,
      description:
        'Integration gateway between a city procedure system, the National Public Service Portal (DVCQG) and national sector databases. ' +
        'Every /v1 call takes Authorization: Bearer <apiKey>; checks run in this order: key and role, the client\'s sources and rate limit, purpose headers, identifier, query.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(Object.values(paths).flatMap((item) => Object.values(item).map((op) => ((op as Json).tags as string[])[0]!)))].map((name) => ({ name })),
    paths,
    components: { schemas: components, securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'the client\'s API key' } } },
  };
}
