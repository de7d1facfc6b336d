/**
 * Fuzz of the fast-path BER codec (lib/snmp/ber.ts): random and mutated GetResponse datagrams through the decoder,
 * and random OIDs through the encoder and back. Nothing may throw; a refusal is a typed error; whatever decodes
 * has OIDs made of 32-bit arcs (never `Infinity` or `NaN`). Seeded and bounded in count and time.
 */
import { expect } from 'chai';
import type { CodecErrorCode } from '../../lib/wire/result';
import { decodeResponse, encodeOidContent, getRequestTemplate, withRequestId } from '../../lib/snmp/ber';
import { seededRandom as rng } from '../helpers/fuzz';

const CASES = 6_000;
const CODES: readonly CodecErrorCode[] = ['short_frame', 'bad_header', 'bad_checksum', 'bad_length', 'unknown_variant', 'unknown_command', 'exception', 'mismatch', 'bad_value'];

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), content]);
}

function int(v: number): Buffer {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

function randomOid(rand: () => number): string {
  const arcs = [Math.floor(rand() * 3)];
  arcs.push(arcs[0] < 2 ? Math.floor(rand() * 40) : Math.floor(rand() * 1000));
  const n = Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) {
    const kind = rand();
    arcs.push(kind < 0.6 ? Math.floor(rand() * 128) : kind < 0.9 ? Math.floor(rand() * 70000) : Math.floor(rand() * 0x100000000));
  }
  return arcs.join('.');
}

function randomValue(rand: () => number): Buffer {
  const kind = Math.floor(rand() * 8);
  switch (kind) {
    case 0:
      return tlv(0x02, int(Math.floor(rand() * 0x7fffffff)));
    case 1:
      return tlv(0x04, Buffer.from('J560 rack ' + Math.floor(rand() * 100)));
    case 2:
      return tlv(0x06, Buffer.from(encodeOidContent(randomOid(rand)) ?? [0x2b]));
    case 3:
      return tlv(0x41 + Math.floor(rand() * 3), int(Math.floor(rand() * 0xffffffff)));
    case 4:
      return tlv(0x46, int(Math.floor(rand() * 2 ** 50)));
    case 5:
      return tlv(0x40, Buffer.from([10, 0, 0, Math.floor(rand() * 256)]));
    case 6:
      return Buffer.from([0x80 + Math.floor(rand() * 3), 0]);
    default:
      return Buffer.from([0x05, 0]);
  }
}

function response(rand: () => number, oids: string[]): Buffer {
  const vbs = oids.map((oid) => tlv(0x30, Buffer.concat([tlv(0x06, Buffer.from(encodeOidContent(oid) ?? [0x2b])), randomValue(rand)])));
  const pdu = tlv(0xa2, Buffer.concat([tlv(0x02, int(Math.floor(rand() * 0x7fffffff))), tlv(0x02, int(0)), tlv(0x02, int(0)), tlv(0x30, Buffer.concat(vbs))]));
  return tlv(0x30, Buffer.concat([tlv(0x02, int(1)), tlv(0x04, Buffer.from('public')), pdu]));
}

function mutate(rand: () => number, seed: Buffer): Buffer {
  let f = Buffer.from(seed);
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const kind = rand();
    const at = Math.floor(rand() * Math.max(1, f.length));
    if (kind < 0.4 && f.length > 0) f[at] = Math.floor(rand() * 256);
    else if (kind < 0.55 && f.length > 0) f[at] |= 0x80; // continuation bits and long lengths
    else if (kind < 0.7) f = Buffer.concat([f.subarray(0, at), Buffer.alloc(1 + Math.floor(rand() * 8), 0xff), f.subarray(at)]);
    else if (kind < 0.85 && f.length > 0) f = Buffer.concat([f.subarray(0, at), f.subarray(at + 1)]);
    else f = f.subarray(0, at);
  }
  return f;
}

const OID_TEXT = /^\d+(\.\d+)*$/;

/** plain checks in the hot loop: chai's cost per assertion would dominate the time budget */
function assertOid(oid: unknown): void {
  if (typeof oid !== 'string' || !OID_TEXT.test(oid)) throw new Error(`not an OID: ${String(oid)}`);
  for (const arc of oid.split('.')) if (Number(arc) > 0xffffffff) throw new Error(`arc above 2^32 - 1 in ${oid}`);
}

describe('SNMP BER fuzz (random and mutated datagrams, no exception escapes)', function () {
  this.timeout(10_000);

  it(`${CASES} datagrams through decodeResponse: a typed error or OIDs of 32-bit arcs`, () => {
    const rand = rng(0xbe7);
    const started = Date.now();
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < CASES; i++) {
      const oids = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => randomOid(rand));
      const clean = response(rand, oids);
      const roll = rand();
      const bytes = roll < 0.2 ? clean : roll < 0.9 ? mutate(rand, clean) : Buffer.from(Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256)));
      const t = rand() < 0.3 ? getRequestTemplate(1, 'public', oids) : undefined;
      const r = decodeResponse(bytes, t && t.ok ? t.value : undefined);
      if (!r.ok) {
        refused++;
        if (!CODES.includes(r.error.code) || r.error.message === '') throw new Error(`untyped error ${JSON.stringify(r.error)}`);
        continue;
      }
      decoded++;
      for (const vb of r.value.varbinds) {
        assertOid(vb.oid);
        if (vb.type === 0x06) assertOid(vb.value);
        if (typeof vb.value === 'number' && !Number.isFinite(vb.value)) throw new Error(`value ${vb.value}`);
      }
      // an untouched datagram decodes to exactly the OIDs that were encoded
      if (bytes === clean) expect(r.value.varbinds.map((v) => v.oid)).to.deep.equal(oids);
    }
    expect(decoded, 'decoded').to.be.greaterThan(CASES / 10);
    expect(refused, 'refused').to.be.greaterThan(CASES / 10);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });

  it('random OIDs survive encode → request → decode, and out-of-range arcs are refused by the encoder', () => {
    const rand = rng(0x01d);
    for (let i = 0; i < 5000; i++) {
      const oid = randomOid(rand);
      const content = encodeOidContent(oid);
      expect(content, oid).to.not.equal(undefined);
      const t = getRequestTemplate(rand() < 0.5 ? 0 : 1, 'public', [oid]);
      if (!t.ok) throw new Error(t.error.message);
      const msg = withRequestId(t.value, Math.floor(rand() * 0xffffffff));
      // the request is itself a BER message; turn its PDU tag into a response and decode it
      const asResponse = Buffer.from(msg);
      asResponse[asResponse.indexOf(Buffer.from('public')) + 6] = 0xa2;
      const r = decodeResponse(asResponse);
      expect(r.ok && r.value.varbinds[0].oid, oid).to.equal(oid);
    }
    expect(encodeOidContent('1.3.6.4294967296')).to.equal(undefined);
    expect(encodeOidContent('1.3.6.' + '9'.repeat(400))).to.equal(undefined);
  });
});
