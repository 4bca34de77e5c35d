/**
 * `GET /v1/ops/whoami`: the calling client and its roles, so the dashboard and the CLI can tell an
 * `ops` key (may replay) from an `ops-read` key without trying anything destructive.
 */
import { Router, type Request, type Response } from 'express';
import { requireRole, type ClientDirectory } from '../auth.js';

export function whoamiRoutes(deps: { directory: ClientDirectory }): Router {
  const router = Router();
  // `kpi` too: an official with only the indicators role signs in to the dashboard's indicators page.
  router.get('/v1/ops/whoami', requireRole(deps.directory, 'ops-read', 'kpi'), (req: Request, res: Response) => {
    const client = req.client!;
    res.json({ client: client.name, roles: [...client.roles].sort() });
  });
  return router;
}
