/**
 * Route documentation kept next to the route it documents: `documented({...})` is the first handler
 * of a route definition, a pass-through that carries the route's OpenAPI description. The document
 * (`GET /openapi.json`) is built by walking the app's routes, so a route and its entry cannot drift
 * apart; test/openapi.test.ts fails for a route without an entry. docs/sources.md shows how to use it.
 */
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Role } from '../config.js';

/** A schema: the file name of one in `schemas/` (`dossier-revision.schema.json`), or a JSON Schema inline. */
export type SchemaRef = string | Readonly<Record<string, unknown>>;

export interface ParamDoc {
  name: string;
  description: string;
  required?: boolean;
  schema?: Readonly<Record<string, unknown>>;
}

export interface ResponseDoc {
  description: string;
  schema?: SchemaRef;
  /** Default `application/json`. */
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  tag: string;
  /** Roles of which the key must hold one; null: no key needed. */
  roles: readonly Role[] | null;
  /** OpenAPI path template, when it should name its parameters otherwise than the express path (`{MaHoSo}`). */
  path?: string;
  /** Descriptions of the path parameters, by their name in `path`. */
  params?: Readonly<Record<string, string>>;
  query?: readonly ParamDoc[];
  /** Request headers the route reads (besides Authorization). */
  headers?: readonly ParamDoc[];
  body?: { schema: SchemaRef; required?: boolean; description?: string; contentType?: string };
  /** Success answers by status. */
  responses: Readonly<Record<number, ResponseDoc>>;
  /** Problem answers the route gives, besides those of authentication (401, 403, 429 are added for keyed routes). */
  problems?: readonly number[];
}

const DOC = Symbol.for('dvc-gateway.route-doc');
type Documented = RequestHandler & { [DOC]?: RouteDoc };

/** The first handler of a route definition: documents it, and passes every request on. */
export function documented(doc: RouteDoc): RequestHandler {
  const handler: Documented = (_req: Request, _res: Response, next: NextFunction) => next();
  handler[DOC] = doc;
  return handler;
}

export interface AppRoute {
  method: string;
  /** The express path (`/v1/dossiers/:maHoSo`). */
  path: string;
  doc: RouteDoc | undefined;
}

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean>; stack: Array<{ handle: Documented }> };
  handle?: { stack?: Layer[] };
}

/** Every route of the app, in mounting order, with its documentation when it has one. */
export function appRoutes(app: Express): AppRoute[] {
  const out: AppRoute[] = [];
  const walk = (stack: readonly Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const doc = layer.route.stack.map((l) => l.handle[DOC]).find((d) => d !== undefined);
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m] && m !== '_all')) {
          for (const path of paths) out.push({ method, path: String(path), doc });
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}

/** `/v1/dossiers/:maHoSo` → `/v1/dossiers/{maHoSo}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

/** A path with its parameters' names erased, to compare an express path with a documented one. */
export function pathShape(path: string): string {
  return path.replace(/:\w+|\{\w+\}/g, '{}');
}
