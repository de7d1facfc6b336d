/**
 * net-snmp varbinds in the link's shape (lib/snmp/types.ts), for both directions the link receives them: GET and
 * walk answers (session.ts) and notifications (receiver.ts). Pure: no sockets, nothing from the wire can throw.
 */
import * as snmp from 'net-snmp';
import type { SnmpValue, SnmpVarbind } from './types';

/** A varbind as net-snmp hands it over: its decoder's reading of the datagram. */
export interface RawVarbind {
  oid: string;
  type: number;
  value: unknown;
}

// read once: each `snmp.X` through the compiled `import *` is a getter call, and these run for every varbind
const { isVarbindError } = snmp;
const OID_TYPE: number = snmp.ObjectType.OID;
const COUNTER64: number = snmp.ObjectType.Counter64;

/** net-snmp's exception types, by the name the link gives them */
const VARBIND_ERRORS: { readonly [type: number]: SnmpVarbind['error'] } = {
  [snmp.ObjectType.NoSuchObject]: 'noSuchObject',
  [snmp.ObjectType.NoSuchInstance]: 'noSuchInstance',
  [snmp.ObjectType.EndOfMibView]: 'endOfMibView',
};

function toValue(type: number, value: unknown): SnmpValue {
  if (value === null || value === undefined) return null;
  if (type === COUNTER64 && Buffer.isBuffer(value)) {
    let n = 0n;
    for (const byte of value) n = (n << 8n) | BigInt(byte);
    return n;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return value;
  return String(value);
}

export function isRawVarbind(v: unknown): v is RawVarbind {
  return typeof v === 'object' && v !== null && typeof (v as RawVarbind).oid === 'string' && typeof (v as RawVarbind).type === 'number';
}

/** numeric OID text of two arcs or more: what net-snmp's decoder gives, except "NaN.NaN" for an empty OID */
const OID_TEXT = /^\d+(\.\d+)+$/;
const MAX_ARC = 0xffffffff;

/**
 * An OID as the link sends it: without a leading dot, numeric, two arcs or more, each a 32-bit number, the
 * second below 40. undefined otherwise, because net-snmp (asn1-ber) does not refuse what it cannot carry: its
 * encoder wraps a larger arc and writes the first two arcs as one byte, and its decoder reads `2.40` and above
 * back as `3.x`. The agent would be asked for an object nobody named, or its answer not matched.
 */
export function requestOid(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const oid = text.charCodeAt(0) === 46 ? text.slice(1) : text;
  if (!OID_TEXT.test(oid)) return undefined;
  const arcs = oid.split('.');
  for (const arc of arcs) if (arc.length > 10 || Number(arc) > MAX_ARC) return undefined;
  const first = Number(arcs[0]);
  const second = Number(arcs[1]);
  if (first > 2 || second > 39) return undefined;
  return oid;
}

/**
 * Turns a net-snmp varbind into the link's shape, in place: net-snmp hands over fresh objects, and a copy per
 * value would be the largest allocation of a poll. An exception value (snmp.isVarbindError) becomes `error`.
 * undefined when the name is not an OID (net-snmp reads an empty one as "NaN.NaN"); `asked`, the OID the answer
 * is for, spares the check when the name is that one. A value of type OID that is not one is read as null.
 */
export function toSnmpVarbind(raw: RawVarbind, asked?: string): SnmpVarbind | undefined {
  if (raw.oid !== asked && !OID_TEXT.test(raw.oid)) return undefined;
  const vb = raw as unknown as SnmpVarbind;
  if (isVarbindError(raw as snmp.Varbind)) {
    vb.error = VARBIND_ERRORS[raw.type];
    vb.value = null;
  } else if (raw.type === OID_TYPE) {
    vb.value = typeof raw.value === 'string' && OID_TEXT.test(raw.value) ? raw.value : null;
  } else vb.value = toValue(raw.type, raw.value);
  return vb;
}

/** The answer for an OID the agent does not have, when it said so for the whole PDU (SNMPv1 noSuchName). */
export function missingVarbind(oid: string): SnmpVarbind {
  return { oid, type: snmp.ObjectType.NoSuchObject, value: null, error: 'noSuchObject' };
}

/** Text of an OctetString (printable) or its hex, for display and profiles. */
export function varbindText(vb: SnmpVarbind): string {
  const v = vb.value;
  if (Buffer.isBuffer(v)) {
    const printable = v.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09);
    return printable ? v.toString('latin1') : v.toString('hex');
  }
  if (v === null) return '';
  return String(v);
}

export function typeName(type: number): string {
  const name = (snmp.ObjectType as unknown as Record<number, string>)[type];
  return typeof name === 'string' ? name : String(type);
}

/** numeric OID comparison, for walks that must move forward */
export function compareOids(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  return pa.length - pb.length;
}

export function oidInSubtree(oid: string, base: string): boolean {
  const b = base.replace(/^\./, '').replace(/\.$/, '');
  const o = oid.replace(/^\./, '');
  return o === b || o.startsWith(b + '.');
}
