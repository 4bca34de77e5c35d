/**
 * The sector sources this gateway serves: one line each. Each folder exports its descriptor (name,
 * labels, route, configuration, request parsing, factory, simulator; see src/lookup/source.ts); the
 * core reads this list and never imports a source by name. docs/sources.md says how to add one.
 */
import type { AnySectorSource } from '../src/lookup/source.js';
import { dancuSource } from './dancu-soap/source.js';
import { dkdnSource } from './dkdn-rest/source.js';
import { hotichSource } from './hotich-rest/source.js';

export const SOURCES: readonly AnySectorSource[] = [
  dancuSource,
  dkdnSource,
  hotichSource,
];
