/** The formatters bound to the language the viewer chose. */
import { makeFormatters } from './format.js';
import { state, t } from './state.js';

export { mask, niceMax } from './format.js';
export const { locale, num, clock, ago, duration, ms } = makeFormatters(() => state.lang, t);
