/**
 * GET /openapi.json and GET /docs. The document is built from the app's own routes: this test fails
 * when a route of the app has no `documented({...})` entry, when a route of shared/API.md is missing
 * from the document, when a planned entry (src/http/planned-routes.ts) already has a route, or when a
 * `$ref` points nowhere. The docs page loads nothing from outside the gateway.
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANNED_ROUTES } from '../src/http/planned-routes.js';
import { appRoutes, openApiPath, pathShape } from '../src/http/route-docs.js';
import { api, startTestGateway, type TestGateway } from './support/gateway.js';

/** Every route of shared/API.md, as its text writes it. */
const API_ROUTES = [
  'put /v1/dossiers/{MaHoSo}',
  'post /v1/dossiers/batch',
  'get /v1/dossiers/{MaHoSo}',
  'get /v1/dossiers/{MaHoSo}/history',
  'post /v1/ops/reconcile',
  'get /v1/ops/reconcile/{id}',
  'get /v1/citizens/{SoDinhDanh}',
  'get /v1/businesses/{MaSoDoanhNghiep}',
  'get /v1/birth-registrations/{SoDinhDanh}',
  'get /v1/sources',
  'get /v1/ops/audit',
  'put /v1/kpi/catalog',
  'get /v1/kpi/catalog',
  'get /v1/kpi/units',
  'get /v1/kpi/units/{unit}',
  'get /v1/kpi/warnings',
  'get /health/live',
  'get /health/ready',
  'get /metrics',
  'get /v1/ops/queues',
  'get /v1/ops/upstreams',
  'get /v1/ops/dead-letters',
  'post /v1/ops/dead-letters/{id}/replay',
  'post /v1/ops/dead-letters/replay',
  'get /v1/ops/alerts',
  'get /openapi.json',
  'get /docs',
];

let t: TestGateway;
let doc: any;
let app: Express;
beforeAll(async () => {
  t = await startTestGateway();
  app = t.gateway.server.listeners('request')[0] as Express;
  const r = await api(t.url, 'GET', '/openapi.json');
  expect(r.status).toBe(200);
  doc = r.body;
});
afterAll(async () => {
  await t?.stop();
});

const operations = () => Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with an entry for every route of API.md, under its own path template', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    for (const route of API_ROUTES) expect(documented, route).toContain(route);
  });

  it('has an entry for every route of the app, and no planned entry for a route that exists', () => {
    const routes = appRoutes(app);
    expect(routes.length).toBeGreaterThan(20);
    const undocumented = routes.filter((r) => !r.doc).map((r) => `${r.method} ${r.path}`);
    expect(undocumented, 'routes without documented({...})').toEqual([]);
    const shapes = new Set(routes.map((r) => `${r.method} ${pathShape(r.doc?.path ?? openApiPath(r.path))}`));
    const stale = PLANNED_ROUTES.filter((p) => shapes.has(`${p.method} ${pathShape(p.path)}`)).map((p) => `${p.method} ${p.path}`);
    expect(stale, 'planned entries whose route now exists: move the entry next to the route').toEqual([]);
    // Every operation comes from a route or a planned entry: nothing hand-kept beside them.
    const known = new Set([...shapes, ...PLANNED_ROUTES.map((p) => `${p.method} ${pathShape(p.path)}`)]);
    for (const o of operations()) expect(known, `${o.method} ${o.path}`).toContain(`${o.method} ${pathShape(o.path)}`);
  });

  it('resolves every $ref inside the document, and embeds the schemas of schemas/', () => {
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref.startsWith('#/'), ref).toBe(true);
      let target: any = doc;
      for (const part of ref.slice(2).split('/')) target = target?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      expect(target, ref).toBeTypeOf('object');
    }
    for (const name of ['DossierRevision', 'DossierBatch', 'Citizen', 'Business', 'BirthRegistration', 'Problem']) expect(doc.components.schemas).toHaveProperty(name);
    const put = doc.paths['/v1/dossiers/{MaHoSo}'].put;
    expect(put.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/DossierRevision' });
    const birth = doc.paths['/v1/birth-registrations/{SoDinhDanh}'].get;
    expect(birth.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/BirthRegistration' });
    expect(birth.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(['path:SoDinhDanh', 'header:X-Dossier-Code', 'header:X-Officer-Id']);
    expect(Object.keys(birth.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '429', '502', '503', '504']));
  });
});

describe('GET /docs', () => {
  it('is served by the gateway with the page headers, loading nothing from outside', async () => {
    const page = await fetch(`${t.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:/);
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(2);
    for (const url of urls) {
      expect(url.startsWith('/'), url).toBe(true);
      expect(url.startsWith('//'), url).toBe(false);
      expect((await fetch(`${t.url}${url}`)).status, url).toBe(200);
    }
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    const start = await (await fetch(`${t.url}/docs/start.js`)).text();
    expect(start).toContain("url: '/openapi.json'");
    expect(start).toContain('validatorUrl: null');
    expect((await fetch(`${t.url}/docs/assets/package.json`)).status).toBe(404);
  });

  it('every HTML page carries nosniff, a CSP that forbids framing, and DENY', async () => {
    for (const path of ['/docs', '/ops/', '/ops/queues/']) {
      const r = await fetch(`${t.url}${path}`, { headers: { accept: 'text/html' } });
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(r.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(r.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });
});
