/**
 * Routes of shared/API.md that are still being built, described here so the OpenAPI document covers
 * every route of the contract. When a route below gets its definition, its `documented({...})` entry
 * moves next to that definition and the entry here is deleted: test/openapi.test.ts fails while a
 * route is both defined and listed here (see docs/sources.md, "Documenting a route").
 */
import type { PlannedRoute } from './openapi.js';

export const PLANNED_ROUTES: readonly PlannedRoute[] = [];
