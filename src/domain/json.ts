/**
 * JSON that keeps integers beyond 2^53 exactly as written: the portal's unknown fields must reach it
 * unchanged, and JSON.parse alone would round them. Such a number is kept as its source text
 * (JSON.rawJSON), which JSON.stringify writes back verbatim; to the schema it is not a number, so a
 * known numeric field that large is refused rather than rounded.
 */
type RawJsonApi = { rawJSON(text: string): unknown };
type ReviverContext = { source?: string };

function keepLargeIntegers(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
    return (JSON as unknown as RawJsonApi).rawJSON(context.source);
  }
  return value;
}

/** Where a number of 16 digits or more may start; a false alarm only costs the slower parse. */
const LONG_NUMBER = /[:[,]\s*-?\d{16}/;

export function parseJson(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepLargeIntegers as (this: unknown, key: string, value: unknown) => unknown);
}
