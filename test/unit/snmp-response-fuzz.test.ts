/**
 * Fuzz of the link's GET path through net-snmp (lib/snmp/session.ts): random and mutated GetResponse datagrams
 * sent over loopback to the session that waits for them, with the id of its request, and random OIDs asked and
 * answered. Nothing may throw out of the socket; what net-snmp cannot read is dropped and reported in a bounded
 * number of lines; an answer that reaches the caller has OIDs made of 32-bit arcs and finite numbers (never
 * `Infinity` or `NaN`), and a refused one is a typed SnmpError. Seeded and bounded in count and time.
 */
import { expect } from 'chai';
import * as dgram from 'dgram';
import { DropReport, SnmpClient, SnmpError } from '../../lib/snmp/session';
import { DROP_KINDS } from '../../lib/snmp/receiver';
import type { SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';
import { seededRandom as rng } from '../helpers/fuzz';

const CASES = 6_000;
const CODES: readonly string[] = ['timeout', 'tooBig', 'noSuchName', 'auth', 'protocol', 'socket'];

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

/** BER content of an OID (X.690 8.19), for building answers; arcs up to 2^32 - 1 */
function oidContent(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [];
  const push = (value: number): void => {
    const stack = [value & 0x7f];
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]);
  return Buffer.from(out);
}

/** net-snmp carries no second arc above 39 (see requestOid): 2.40 and above become 2.(n mod 40) here */
function sendable(oid: string): string {
  const arcs = oid.split('.').map(Number);
  if (arcs[0] === 2) arcs[1] %= 40;
  return arcs.join('.');
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
      return tlv(0x06, oidContent(randomOid(rand)));
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

/**
 * A v2c GetResponse to request `id` for `oids`, the values drawn at random, or all `value` (then nothing is drawn).
 * The random answer still draws the request id the old decoder's test drew, so the seeded cases stay the same.
 */
function response(rand: () => number, oids: string[], id: number, value?: Buffer): Buffer {
  const vbs = oids.map((oid) => tlv(0x30, Buffer.concat([tlv(0x06, oidContent(oid)), value ?? randomValue(rand)])));
  if (!value) rand();
  const pdu = tlv(0xa2, Buffer.concat([tlv(0x02, int(id)), tlv(0x02, int(0)), tlv(0x02, int(0)), tlv(0x30, Buffer.concat(vbs))]));
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

/** The request id of a v1/v2c request as net-snmp writes it: SEQUENCE { version, community, PDU { id, ... } } */
function requestIdOf(request: Buffer): number {
  let at = 0;
  const header = (): number => {
    at++; // tag
    const first = request[at++];
    if (first < 0x80) return first;
    let len = 0;
    for (let n = first & 0x7f; n > 0; n--) len = len * 256 + request[at++];
    return len;
  };
  const skip = (): void => {
    const length = header();
    at += length;
  };
  header(); // message
  skip(); // version
  skip(); // community
  header(); // PDU
  const idLength = header();
  return request.subarray(at, at + idLength).readIntBE(0, idLength);
}

const OID_TEXT = /^\d+(\.\d+)*$/;

/** plain checks in the hot loop: chai's cost per assertion would dominate the time budget */
function assertOid(oid: unknown): void {
  if (typeof oid !== 'string' || !OID_TEXT.test(oid)) throw new Error(`not an OID: ${String(oid)}`);
  for (const arc of oid.split('.')) if (Number(arc) > 0xffffffff) throw new Error(`arc above 2^32 - 1 in ${oid}`);
}

/** what marks the follow-up answer, sent after each fuzzed datagram so that every request ends */
const SETTLE = tlv(0x04, Buffer.from('settle'));
const settledByFollowUp = (vbs: SnmpVarbind[]): boolean => vbs.every((v) => Buffer.isBuffer(v.value) && v.value.toString() === 'settle');

describe('SNMP GET answers fuzz (random and mutated datagrams into a net-snmp session, nothing escapes)', function () {
  this.timeout(60_000);
  let agent: dgram.Socket;
  let target: SnmpTarget;
  let requests: Array<(r: { request: Buffer; rinfo: dgram.RemoteInfo }) => void>;

  beforeEach(async () => {
    requests = [];
    agent = dgram.createSocket('udp4');
    agent.on('message', (request, rinfo) => requests.shift()?.({ request, rinfo }));
    await new Promise<void>((r) => agent.bind(0, '127.0.0.1', () => r()));
    target = { host: '127.0.0.1', port: agent.address().port };
  });
  afterEach(() => agent.close());

  /** asks, waits for the request at the agent, and returns it with the pending answer */
  async function ask(client: SnmpClient, oids: string[]): Promise<{ id: number; request: Buffer; rinfo: dgram.RemoteInfo; answer: Promise<SnmpVarbind[] | SnmpError> }> {
    const asked = new Promise<{ request: Buffer; rinfo: dgram.RemoteInfo }>((r) => requests.push(r));
    const answer = client.get(target, oids).then(
      (v) => v,
      (e: unknown) => (e instanceof SnmpError ? e : Promise.reject(e)),
    );
    const { request, rinfo } = await asked;
    return { id: requestIdOf(request), request, rinfo, answer };
  }

  it(`${CASES} datagrams through the session: a typed error or OIDs of 32-bit arcs, and a bounded number of reports`, async () => {
    const rand = rng(0xbe7);
    const reports: DropReport[] = [];
    const errors: Error[] = [];
    const client = new SnmpClient([target], { version: 'v2c', timeout: 5000, retries: 0 }, { community: 'public' }, { onError: (e) => errors.push(e), onDropped: (r) => reports.push(r) });
    const started = Date.now();
    let decoded = 0;
    let refused = 0;
    try {
      for (let i = 0; i < CASES; i++) {
        const asked = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => sendable(randomOid(rand)));
        const { id, rinfo, answer } = await ask(client, asked);
        const clean = response(rand, asked, id);
        const roll = rand();
        const bytes = roll < 0.2 ? clean : roll < 0.9 ? mutate(rand, clean) : Buffer.from(Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256)));
        rand(); // the old decoder's choice of a request template
        agent.send(bytes, rinfo.port, rinfo.address);
        // a datagram the session dropped or did not take for its request leaves it waiting: this one ends it
        if (bytes !== clean) agent.send(response(rand, asked, id, SETTLE), rinfo.port, rinfo.address);
        const r = await answer;
        if (r instanceof SnmpError) {
          refused++;
          if (!CODES.includes(r.code) || r.message === '' || /[\x00-\x1f\x7f-\x9f]/.test(r.message)) throw new Error(`untyped error ${r.code}: ${r.message}`);
          continue;
        }
        if (settledByFollowUp(r)) {
          refused++;
          continue;
        }
        decoded++;
        for (const vb of r) {
          assertOid(vb.oid);
          if (vb.type === 0x06 && vb.value !== null) assertOid(vb.value);
          if (typeof vb.value === 'number' && !Number.isFinite(vb.value)) throw new Error(`value ${vb.value}`);
        }
        // an untouched datagram decodes to exactly the OIDs that were asked
        if (bytes === clean) expect(r.map((v) => v.oid)).to.deep.equal(asked);
      }
      const during = reports.length;
      await client.close();
      expect(errors, 'errors outside the rate limit').to.deep.equal([]);
      // a first line per kind while it happened, one count per kind at close: one source, never one per datagram
      expect(during).to.be.at.most(DROP_KINDS.length);
      expect(reports.length).to.be.at.most(2 * DROP_KINDS.length);
      expect(reports.every((r) => r.source === '127.0.0.1')).to.equal(true);
      expect(reports.reduce((n, r) => n + r.count, 0), 'datagrams dropped').to.be.greaterThan(CASES / 10);
      for (const r of reports) expect(r.detail ?? '').to.not.match(/[\x00-\x1f\x7f-\x9f]/);
    } finally {
      await client.close();
    }
    expect(decoded, 'decoded').to.be.greaterThan(CASES / 10);
    expect(refused, 'refused').to.be.greaterThan(CASES / 10);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(30_000);
  });

  it('an answer net-snmp throws on after taking the request (a Report PDU on a v2c session) ends the request at once', async () => {
    const reports: DropReport[] = [];
    const client = new SnmpClient([target], { version: 'v2c', timeout: 30_000, retries: 0 }, { community: 'public' }, { onDropped: (r) => reports.push(r) });
    try {
      const { id, rinfo, answer } = await ask(client, ['1.3.6.1.2.1.1.1.0']);
      const report = response(rng(1), ['1.3.6.1.2.1.1.1.0'], id);
      report[report.indexOf(Buffer.from('public')) + 6] = 0xa8;
      const started = Date.now();
      agent.send(report, rinfo.port, rinfo.address);
      const r = await answer;
      expect(r).to.be.instanceOf(SnmpError);
      expect((r as SnmpError).code).to.equal('protocol');
      expect(Date.now() - started, 'not the 30 s timeout').to.be.below(5000);
      expect(reports.map((x) => x.kind)).to.deep.equal(['malformed']);
      // the unit is read again on a new session
      const again = await ask(client, ['1.3.6.1.2.1.1.1.0']);
      again.request[again.request.indexOf(Buffer.from('public')) + 6] = 0xa2;
      agent.send(again.request, again.rinfo.port, again.rinfo.address);
      expect(await again.answer).to.not.be.instanceOf(SnmpError);
    } finally {
      await client.close();
    }
  });

  it('random OIDs survive request → answer through net-snmp, and OIDs it cannot encode are refused before sending', async () => {
    const rand = rng(0x01d);
    const client = new SnmpClient([target], { version: 'v2c', timeout: 5000, retries: 0 }, { community: 'public' });
    try {
      for (let i = 0; i < 5000; i++) {
        const oid = randomOid(rand);
        const arcs = oid.split('.').map(Number);
        if (arcs[1] > 39) {
          // net-snmp writes the first two arcs as one byte and reads 2.40 and above back as 3.x
          const refused = await client.get(target, [oid]).then(() => undefined, (e: unknown) => e);
          expect(refused, oid).to.be.instanceOf(SnmpError);
          expect((refused as SnmpError).code).to.equal('protocol');
          continue;
        }
        const { request, rinfo, answer } = await ask(client, [oid]);
        // the request is itself a BER message; turn its PDU tag into a response and send it back
        const asResponse = Buffer.from(request);
        asResponse[asResponse.indexOf(Buffer.from('public')) + 6] = 0xa2;
        agent.send(asResponse, rinfo.port, rinfo.address);
        const r = await answer;
        expect(!(r instanceof SnmpError) && r[0].oid, oid).to.equal(oid);
      }
      for (const oid of ['1.3.6.4294967296', '1.3.6.' + '9'.repeat(400), '1', 'sysDescr.0', '3.1.2']) {
        const refused = await client.get(target, [oid]).then(() => undefined, (e: unknown) => e);
        expect(refused, oid).to.be.instanceOf(SnmpError);
        expect((refused as SnmpError).code, oid).to.equal('protocol');
      }
      // a leading dot is dropped, not refused
      const { request, rinfo, answer } = await ask(client, ['.1.3.6.1.2.1.1.1.0']);
      request[request.indexOf(Buffer.from('public')) + 6] = 0xa2;
      agent.send(request, rinfo.port, rinfo.address);
      const r = await answer;
      expect(!(r instanceof SnmpError) && r[0].oid).to.equal('1.3.6.1.2.1.1.1.0');
    } finally {
      await client.close();
    }
  });
});
