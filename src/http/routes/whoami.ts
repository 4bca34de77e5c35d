/**
 * `GET /v1/ops/whoami`: the calling client and its roles, so the dashboard and the CLI can tell an
 * `ops` key (may replay) from an `ops-read` key without trying anything destructive.
 */
import { Router, type Request, type Response } from 'express';
import { requireRole, type ClientDirectory } from '../auth.js';
import { documented } from '../route-docs.js';

export function whoamiRoutes(deps: { directory: ClientDirectory }): Router {
  const router = Router();
  // `kpi` too: an official with only the indicators role signs in to the dashboard's indicators page.
  router.get('/v1/ops/whoami', documented({ tag: 'ops', summary: 'The calling client and its roles', roles: ['ops-read', 'kpi'], responses: { 200: { description: '{"client", "roles"}', schema: { type: 'object', required: ['client', 'roles'], properties: { client: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } } } } } }), requireRole(deps.directory, 'ops-read', 'kpi'), (req: Request, res: Response) => {
    const client = req.client!;
    res.json({ client: client.name, roles: [...client.roles].sort() });
  });
  return router;
}
