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

/** Envelope/Body of a SOAP message, with its Fault when the Body holds one. */
export function readEnvelope(xml: string): EnvelopeReading {
  // SOAP 1.1 forbids a DTD; refusing one also shuts out entity-expansion attacks.
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, problem: 'the message contains a DTD' };
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
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
