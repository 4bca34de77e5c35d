/** Sector lookup routes (shared/API.md "Sector lookups"). */
import { Router, type Request, type Response } from 'express';
import type { LookupService } from '../../lookup/service.js';
import { requireRole, type ClientDirectory } from '../auth.js';

function caller(req: Request) {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v.trim() : undefined;
  };
  return {
    client: req.client?.name ?? 'unknown',
    ...(req.requestId ? { requestId: req.requestId } : {}),
    headers: { dossierCode: header('x-dossier-code'), officerId: header('x-officer-id') },
  };
}

/** A query parameter as given: a string, or a list when it was repeated (the service says why that is wrong). */
function queryValue(req: Request, name: string): string | string[] | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined || typeof v === 'string') return v;
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

export function lookupRoutes(deps: { directory: ClientDirectory; lookups: LookupService }): Router {
  const router = Router();
  router.get('/v1/citizens/:soDinhDanh', requireRole(deps.directory, 'lookup'), async (req: Request, res: Response) => {
    const query: { hoVaTen?: string | string[]; ngaySinh?: string | string[] } = {};
    const hoVaTen = queryValue(req, 'hoVaTen');
    const ngaySinh = queryValue(req, 'ngaySinh');
    if (hoVaTen !== undefined) query.hoVaTen = hoVaTen;
    if (ngaySinh !== undefined) query.ngaySinh = ngaySinh;
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.lookups.citizen(String(req.params.soDinhDanh), query, caller(req)));
  });
  router.get('/v1/businesses/:maSoDoanhNghiep', requireRole(deps.directory, 'lookup'), async (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.lookups.business(String(req.params.maSoDoanhNghiep), caller(req)));
  });
  return router;
}
