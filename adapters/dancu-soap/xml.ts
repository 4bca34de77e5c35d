/**
 * Reading SOAP 1.1 messages of the population DB, shared by the client (answers) and the simulator
 * (requests). Values stay strings: with tag-value parsing on, `001099012345` would become a number and
 * lose its leading zeros.
 */
import { XMLParser } from 'fast-xml-parser';

export const DANCU_NAMESPACE = 'http://dancuquocgia.bca';
export const SOAP_ENVELOPE_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
export const OPERATION = 'TraCuuThongTinCongDan';
export const SOAP_ACTION = `${DANCU_NAMESPACE}/${OPERATION}`;

/** A parsed element: text, children by local name (an array when repeated), or a list. */
export type XmlNode = string | XmlObject | XmlNode[];
export interface XmlObject {
  [localName: string]: XmlNode;
}

const parser = new XMLParser({
  // Attributes carry nothing we read (xmlns, xsi:nil); dropping them keeps an empty element ''.
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: false,
});

export type EnvelopeReading =
  | { ok: true; body: XmlObject; fault: SoapFault | null }
  | { ok: false; problem: string };

export interface SoapFault {
  faultcode: string | null;
  faultstring: string | null;
}

export function isXmlObject(node: XmlNode | undefined): node is XmlObject {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** Text of a leaf element; null when absent, empty or not text. */
export function textOf(node: XmlNode | undefined): string | null {
  if (typeof node === 'string') return node === '' ? null : node;
  // Mixed content (text beside child elements) keeps its text under '#text'.
  if (isXmlObject(node)) return textOf(node['#text']);
  return null;
}

/** The five characters that must stay escaped when a reference to them is decoded. */
const MARKUP: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** A character XML 1.0 allows (Char production): no NUL, no lone surrogates, nothing past U+10FFFF. */
function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/**
 * Numeric character references (`&#7877;`, `&#x1EC5;`) decoded in the text, outside CDATA sections,
 * which the parser leaves as they are; a decoded markup character stays escaped, so `&#60;` is text.
 * Null when a reference names no XML character.
 */
export function decodeCharacterReferences(xml: string): string | null {
  if (!xml.includes('&#')) return xml;
  let bad = false;
  const decoded = xml
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/&#(?:x([0-9a-fA-F]{1,8})|([0-9]{1,10}));/g, (_m, hex: string | undefined, dec: string | undefined) => {
            const code = hex !== undefined ? parseInt(hex, 16) : Number(dec);
            if (!isXmlChar(code)) {
              bad = true;
              return '';
            }
            const c = String.fromCodePoint(code);
            return MARKUP[c] ?? c;
          }),
    )
    .join('');
  return bad ? null : decoded;
}

/** Envelope/Body of a SOAP message, with its Fault when the Body holds one. */
export function readEnvelope(xml: string): EnvelopeReading {
  // SOAP 1.1 forbids a DTD; refusing one (and any entity declaration) shuts out entity expansion and external entities.
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, problem: 'the message contains a DTD' };
  if (/<!ENTITY/i.test(xml)) return { ok: false, problem: 'the message declares an entity' };
  const text = decodeCharacterReferences(xml);
  if (text === null) return { ok: false, problem: 'a character reference names no XML character' };
  let doc: unknown;
  try {
    doc = parser.parse(text, true);
  } catch (error) {
    return { ok: false, problem: `not well-formed XML (${(error as Error).message.split('\n')[0]})` };
  }
  const envelope = isXmlObject(doc as XmlNode) ? (doc as XmlObject).Envelope : undefined;
  if (!isXmlObject(envelope)) return { ok: false, problem: 'no SOAP Envelope' };
  const body = envelope.Body;
  if (!isXmlObject(body)) return { ok: false, problem: 'no SOAP Body, or an empty one' };
  const fault = body.Fault;
  if (fault === undefined) return { ok: true, body, fault: null };
  const parts = isXmlObject(fault) ? fault : {};
  return { ok: true, body, fault: { faultcode: textOf(parts.faultcode), faultstring: textOf(parts.faultstring) } };
}

/** Always a list, whether the element was absent, single or repeated. */
export function listOf(node: XmlNode | undefined): XmlNode[] {
  if (node === undefined) return [];
  return Array.isArray(node) ? node : [node];
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
