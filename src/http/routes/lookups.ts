/**
 * Sector lookup routes (shared/API.md "Sector lookups"), one per source of the list, and
 * `GET /v1/sources`. Access (key, role, the client's sources, rate limit) is checked before the
 * purpose headers, which the service checks before the identifier and the query.
 */
import { Router, type Request, type Response } from 'express';
import type { LookupService } from '../../lookup/service.js';
import type { AnySectorSource, RawQueryValue } from '../../lookup/source.js';
import { answerComponent } from '../openapi.js';
import { requireAccess, type ClientDirectory } from '../auth.js';
import { documented } from '../route-docs.js';

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v.trim() : undefined;
}

/** The query as given: a string, or a list when a parameter was repeated (the parser says why that is wrong). */
function rawQuery(req: Request): Record<string, RawQueryValue> {
  const out: Record<string, RawQueryValue> = {};
  for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) {
    out[k] = v === undefined || typeof v === 'string' ? v : Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return out;
}

const PURPOSE_HEADERS = [
  { name: 'X-Dossier-Code', required: true, description: 'The MaHoSo the lookup is made for' },
  { name: 'X-Officer-Id', required: true, description: 'The officer (MaCanBo) making the lookup' },
];

export function lookupRoutes(deps: { directory: ClientDirectory; lookups: LookupService; sources: readonly AnySectorSource[] }): Router {
  const router = Router();
  for (const source of deps.sources) {
    const { route } = source;
    const param = route.subject;
    router.get(
      route.path.replace(/\{(\w+)\}/g, ':$1'),
      documented({
        tag: 'lookups',
        summary: route.summary,
        description: `Source \`${source.name}\` (${source.label.en}). Audited: who, which client, what, for which dossier, when, outcome; never the data.`,
        roles: ['lookup'],
        params: { [param]: route.subjectDescription },
        query: (route.query ?? []).map((q) => ({ name: q.name, required: q.required, description: q.description, ...(q.pattern ? { schema: { type: 'string', pattern: q.pattern } } : {}) })),
        headers: PURPOSE_HEADERS,
        responses: { 200: { description: `The record, \`source\` "${source.name}"`, schema: { $ref: `#/components/schemas/${answerComponent(source)}` } } },
        problems: [400, 404, 502, 503, 504],
      }),
      requireAccess(deps.directory, { roles: ['lookup'], source: source.name }),
      async (req: Request, res: Response) => {
        const answer = await deps.lookups.lookup(source.name, String(req.params[param]), rawQuery(req), {
          client: req.client!.name,
          ...(req.requestId ? { requestId: req.requestId } : {}),
          headers: { dossierCode: header(req, 'x-dossier-code'), officerId: header(req, 'x-officer-id') },
        });
        const body = JSON.stringify(answer);
        // Written directly: express's res.json would parse and rebuild the content type and check
        // freshness on every lookup, where this answer is always fresh JSON.
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Content-Length', Buffer.byteLength(body));
        res.end(body);
      },
    );
  }

  const list = { sources: deps.sources.map((s) => ({ name: s.name, kind: s.kind, label: { ...s.label }, path: s.route.path })) };
  router.get(
    '/v1/sources',
    documented({
      tag: 'lookups',
      summary: 'Every sector source this gateway serves, with its labels and route template',
      roles: ['lookup', 'ops-read'],
      responses: {
        200: {
          description: 'The sources',
          schema: {
            type: 'object',
            required: ['sources'],
            properties: {
              sources: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['name', 'kind', 'label', 'path'],
                  properties: {
                    name: { type: 'string' },
                    kind: { type: 'string' },
                    label: { type: 'object', required: ['vi', 'en'], properties: { vi: { type: 'string' }, en: { type: 'string' } } },
                    path: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    }),
    requireAccess(deps.directory, { roles: ['lookup', 'ops-read'] }),
    (_req: Request, res: Response) => {
      res.json(list);
    },
  );
  return router;
}
