/**
 * Minimal BER codec for SNMPv1/v2c GET requests and their responses: the link's fast path for the one request
 * it sends thousands of times per cycle. A unit's request for a fixed OID list is encoded once; each send
 * copies the template and patches the request id. Responses are decoded by a bounds-checked reader that returns
 * a Result and never throws (docs/design.md §1.2). Everything else (v3, walks, traps) goes through net-snmp.
 *
 * Type numbers are the BER tags, which are also net-snmp's ObjectType numbers (Integer 2, OctetString 4, ...,
 * NoSuchObject 128, NoSuchInstance 129, EndOfMibView 130).
 */
import { CodecErrorCode, fail, guarded, ok, Result } from '../wire/result';

export const PDU_GET = 0xa0;
export const PDU_RESPONSE = 0xa2;

function lengthBytes(len: number): number[] {
  if (len < 0x80) return [len];
  if (len < 0x100) return [0x81, len];
  if (len < 0x10000) return [0x82, len >> 8, len & 0xff];
  return [0x83, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff];
}

function tlv(tag: number, content: number[] | Buffer): number[] {
  const bytes = Array.isArray(content) ? content : Array.from(content);
  return [tag, ...lengthBytes(bytes.length), ...bytes];
}

/** OID text to BER content bytes; undefined for text that is not a numeric OID with at least two arcs */
export function encodeOidContent(oid: string): number[] | undefined {
  const text = oid.replace(/^\./, '');
  if (!/^\d+(\.\d+)+$/.test(text)) return undefined;
  const arcs = text.split('.').map(Number);
  if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) || arcs.some((a) => !Number.isSafeInteger(a) || a > 0xffffffff)) return undefined;
  const out: number[] = [];
  const push = (value: number): void => {
    const stack = [value & 0x7f];
    let v = Math.floor(value / 128);
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...stack);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]);
  return out;
}

export interface GetTemplate {
  buffer: Buffer;
  /** offset of the 4 content bytes of the request id */
  requestIdOffset: number;
  /** the OIDs asked, as text and as BER content: an answer that repeats the bytes reuses the text */
  oids: string[];
  oidBytes: Buffer[];
}

/**
 * Encodes a GetRequest for `oids` with a placeholder request id always written as a 4-byte INTEGER, so the id
 * can be patched in place. `version` is the wire value: 0 for v1, 1 for v2c.
 */
export function getRequestTemplate(version: 0 | 1, community: string, oids: string[]): Result<GetTemplate> {
  const varbinds: number[] = [];
  const oidBytes: Buffer[] = [];
  for (const oid of oids) {
    const content = encodeOidContent(oid);
    if (!content) return fail('bad_value', `not a numeric OID: '${oid}'`);
    oidBytes.push(Buffer.from(content));
    varbinds.push(...tlv(0x30, [...tlv(0x06, content), 0x05, 0x00]));
  }
  const pduBody = [0x02, 0x04, 0, 0, 0, 0, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, ...tlv(0x30, varbinds)];
  const pdu = tlv(PDU_GET, pduBody);
  const head = [0x02, 0x01, version, ...tlv(0x04, Buffer.from(community, 'utf8'))];
  const message = tlv(0x30, [...head, ...pdu]);
  // the request id's content follows: message header, version, community, PDU header, and "02 04"
  const pduHeaderLength = pdu.length - pduBody.length;
  const messageHeaderLength = message.length - head.length - pdu.length;
  return ok({
    buffer: Buffer.from(message),
    requestIdOffset: messageHeaderLength + head.length + pduHeaderLength + 2,
    oids: oids.map((o) => o.replace(/^\./, '')),
    oidBytes,
  });
}

export function withRequestId(template: GetTemplate, requestId: number): Buffer {
  const out = Buffer.allocUnsafe(template.buffer.length);
  template.buffer.copy(out);
  out.writeUInt32BE(requestId >>> 0, template.requestIdOffset);
  return out;
}

export interface DecodedVarbind {
  oid: string;
  type: number;
  value: unknown;
}

export interface DecodedResponse {
  version: number;
  community: string;
  pduType: number;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: DecodedVarbind[];
}

/** Bounds-checked reader: every read checks the end and reports through `bad`. */
class Reader {
  pos = 0;
  bad: string | undefined;
  badCode: CodecErrorCode = 'bad_length';
  constructor(private readonly buf: Buffer) {}

  /** reads a tag and a length; returns the content end, or -1 */
  header(expectTag?: number): { tag: number; end: number } | undefined {
    const b = this.buf;
    if (this.pos + 2 > b.length) return this.fail('short frame');
    const tag = b[this.pos++];
    if (expectTag !== undefined && tag !== expectTag) return this.fail(`tag 0x${tag.toString(16)} where 0x${expectTag.toString(16)} expected`);
    let len = b[this.pos++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || this.pos + n > b.length) return this.fail('bad length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[this.pos++];
    }
    const end = this.pos + len;
    if (end > b.length) return this.fail('length beyond the datagram');
    return { tag, end };
  }

  private fail(why: string, code: CodecErrorCode = 'bad_length'): undefined {
    if (!this.bad) {
      this.bad = why;
      this.badCode = code;
    }
    return undefined;
  }

  signed(end: number): number {
    const b = this.buf;
    const len = end - this.pos;
    if (len < 1 || len > 6) {
      this.fail('bad integer');
      this.pos = end;
      return 0;
    }
    let v = b[this.pos] & 0x80 ? -1 : 0;
    for (; this.pos < end; this.pos++) v = v * 256 + b[this.pos];
    return v;
  }

  unsigned(end: number): number {
    const b = this.buf;
    const len = end - this.pos;
    if (len < 1 || len > 5) {
      this.fail('bad unsigned');
      this.pos = end;
      return 0;
    }
    let v = 0;
    for (; this.pos < end; this.pos++) v = v * 256 + b[this.pos];
    return v;
  }

  /**
   * An OID's arcs. SNMP arcs are 32-bit (RFC 2578 section 3.5 caps sub-identifiers at 2^32 − 1): a longer arc would grow
   * past what a number holds exactly and print as `Infinity`, and a last byte with the continuation bit set leaves
   * an arc unfinished. Both make the message undecodable instead of producing a wrong OID.
   */
  oid(end: number): string {
    const b = this.buf;
    if (end <= this.pos) {
      this.fail('empty OID', 'bad_value');
      return '';
    }
    const arcs: number[] = [];
    let v = 0;
    let first = true;
    let open = false;
    for (; this.pos < end; this.pos++) {
      const byte = b[this.pos];
      v = v * 128 + (byte & 0x7f);
      open = (byte & 0x80) !== 0;
      if (v > 0xffffffff) {
        this.fail('OID arc above 2^32 - 1', 'bad_value');
        this.pos = end;
        return '';
      }
      if (!open) {
        if (first) {
          const x = v < 40 ? 0 : v < 80 ? 1 : 2;
          arcs.push(x, v - x * 40);
          first = false;
        } else arcs.push(v);
        v = 0;
      }
    }
    if (open) {
      this.fail('OID ends inside an arc (continuation bit set on its last byte)', 'bad_value');
      return '';
    }
    return arcs.join('.');
  }

  bytes(end: number): Buffer {
    // a view, not a copy: the datagram is small and owned by this response
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** true when the content up to `end` equals `expected` */
  same(end: number, expected: Buffer | undefined): boolean {
    if (!expected || end - this.pos !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (this.buf[this.pos + i] !== expected[i]) return false;
    return true;
  }
}

/**
 * Decodes a v1/v2c message with a response PDU; never throws. With `asked` (the request's template), an
 * answer OID that repeats the asked bytes at its position reuses the asked text instead of decoding it.
 */
export function decodeResponse(buf: Buffer, asked?: Pick<GetTemplate, 'oids' | 'oidBytes'>): Result<DecodedResponse> {
  return guarded(() => decode(buf, asked));
}

function decode(buf: Buffer, asked?: Pick<GetTemplate, 'oids' | 'oidBytes'>): Result<DecodedResponse> {
  const r = new Reader(buf);
  const msg = r.header(0x30);
  if (!msg) return fail('bad_header', r.bad ?? 'not an SNMP message');
  const ver = r.header(0x02);
  if (!ver) return fail('bad_header', r.bad ?? 'no version');
  const version = r.signed(ver.end);
  if (version !== 0 && version !== 1) return fail('unknown_variant', `SNMP version ${version} is not v1/v2c`);
  const comm = r.header(0x04);
  if (!comm) return fail('bad_header', r.bad ?? 'no community');
  const community = r.bytes(comm.end).toString('utf8');
  const pdu = r.header();
  if (!pdu) return fail('bad_header', r.bad ?? 'no PDU');
  const fields: number[] = [];
  for (let i = 0; i < 3; i++) {
    const h = r.header(0x02);
    if (!h) return fail('bad_header', r.bad ?? 'bad PDU header');
    fields.push(r.signed(h.end));
  }
  const list = r.header(0x30);
  if (!list) return fail('bad_header', r.bad ?? 'no varbind list');
  const varbinds: DecodedVarbind[] = [];
  while (r.pos < list.end) {
    const vb = r.header(0x30);
    if (!vb) break;
    const o = r.header(0x06);
    if (!o) break;
    const i = varbinds.length;
    let oid: string;
    if (asked && r.same(o.end, asked.oidBytes[i])) {
      oid = asked.oids[i];
      r.pos = o.end;
    } else oid = r.oid(o.end);
    const v = r.header();
    if (!v) break;
    let value: unknown;
    switch (v.tag) {
      case 0x02:
        value = r.signed(v.end);
        break;
      case 0x04:
      case 0x44:
        value = r.bytes(v.end);
        break;
      case 0x05:
      case 0x80:
      case 0x81:
      case 0x82:
        value = null;
        r.pos = v.end;
        break;
      case 0x06:
        value = r.oid(v.end);
        break;
      case 0x40:
        value = v.end - r.pos === 4 ? Array.from(r.bytes(v.end)).join('.') : r.bytes(v.end).toString('hex');
        break;
      case 0x41:
      case 0x42:
      case 0x43:
        value = r.unsigned(v.end);
        break;
      case 0x46: {
        const raw = r.bytes(v.end);
        // as net-snmp gives it: 8 bytes, big-endian
        const eight = Buffer.alloc(8);
        raw.subarray(Math.max(0, raw.length - 8)).copy(eight, Math.max(0, 8 - raw.length));
        value = eight;
        break;
      }
      default:
        value = r.bytes(v.end);
    }
    if (r.pos !== vb.end) r.pos = vb.end;
    varbinds.push({ oid, type: v.tag, value });
    if (r.bad) break;
  }
  if (r.bad) return fail(r.badCode, r.bad);
  return ok({ version, community, pduType: pdu.tag, requestId: fields[0] >>> 0, errorStatus: fields[1], errorIndex: fields[2], varbinds });
}
