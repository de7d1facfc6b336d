/**
 * Fuzz: >= 100,000 random and mutated frames per protocol through the decoder and the stream framer. Half of
 * the mutated frames get their checksum repaired so the field walkers see hostile content, not just a
 * checksum refusal. Nothing may throw; every decode returns a Result. Seeded, so a failure reproduces.
 */
import { expect } from 'chai';
import { crc16Modbus } from '../../lib/wire/crc16';
import { Framer } from '../../lib/wire/framer';
import { buildSwitchWrite, buildTrigger, JK_PROTOCOLS, JkDecodeContext, JkProtocolId } from '../../nodes/jk-bms/protocol';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { loadVectors, PROTOCOL_OF } from './jk-vectors';
import { mutateBytes, seededRandom as rng } from '../helpers/fuzz';

const CASES = 100_000;

function sum(bytes: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += bytes[i];
  return s;
}

/** Makes a frame pass its protocol's checksum (and NW length/end marker) where its shape allows. */
function repair(protocol: JkProtocolId, f: Buffer): void {
  if (protocol === 'jk-nw' && f.length >= 20 && f[0] === 0x4e) {
    const length = f.length - 2;
    f.writeUInt16BE(length, 2);
    f[length - 3] = 0x68;
    f.writeUInt16BE(sum(f, 0, length) & 0xffff, length);
  } else if (protocol === 'jk02' && f.length === 300) {
    f[299] = sum(f, 0, 299) & 0xff;
  } else if (protocol === 'jk-balancer' && (f.length === 74 || f.length === 7)) {
    f[f.length - 1] = sum(f, 0, f.length - 1) & 0xff;
  } else if ((protocol === 'jk-modbus' || protocol === 'jk02') && f.length >= 4 && f.length < 300) {
    f.writeUInt16LE(crc16Modbus(f, 0, f.length - 2), f.length - 2);
  }
}

function seeds(protocol: JkProtocolId): Buffer[] {
  const out: Buffer[] = loadVectors()
    .filter((v) => PROTOCOL_OF[v.protocol] === protocol)
    .flatMap((v) => [v.hex, v.request_hex, v.ack_hex_separate].filter((h): h is string => typeof h === 'string').map((h) => Buffer.from(h, 'hex')));
  const sim = new JkSimulator({ packs: [1, 2], pacing: false, tickMs: 0, cellCount: 24 });
  const codec = JK_PROTOCOLS[protocol];
  for (const what of ['status', 'settings', 'device'] as const) {
    let requests: Buffer[] = [];
    try {
      requests = codec.buildRequests(1, what);
    } catch {
      continue;
    }
    for (const r of requests) {
      out.push(r);
      for (const f of sim.respond(r)?.frames ?? []) out.push(Buffer.from(f));
    }
  }
  if (protocol === 'jk02' || protocol === 'jk-modbus') out.push(buildTrigger(2, 'settings'), buildSwitchWrite(2, 'charge', true));
  return out;
}

/** the shared mutator with at most 4 edits per frame, as this test always drew them */
const mutate = (rand: () => number, seed: Uint8Array): Buffer => mutateBytes(rand, seed, 4);

describe('JK codec fuzz (random and mutated frames, no exception escapes)', function () {
  this.timeout(120_000);
  for (const protocol of Object.keys(JK_PROTOCOLS) as JkProtocolId[]) {
    it(`${protocol}: ${CASES} frames through decode and the stream framer`, () => {
      const rand = rng(0x5eed + protocol.length);
      const codec = JK_PROTOCOLS[protocol];
      const pool = seeds(protocol);
      expect(pool.length).to.be.greaterThan(0);
      const requests = pool.filter((f) => f.length === 8);
      const framer = new Framer(codec.framing.shapes);
      let decodedOk = 0;
      let refused = 0;
      let framed = 0;
      for (let i = 0; i < CASES; i++) {
        let frame: Buffer;
        if (rand() < 0.3) {
          const max = rand() < 0.5 ? 16 : codec.framing.maxLength + 8;
          frame = Buffer.alloc(Math.floor(rand() * max));
          for (let k = 0; k < frame.length; k++) frame[k] = Math.floor(rand() * 256);
          // give random data a real header now and then so length fields get exercised
          const shape = codec.framing.shapes[Math.floor(rand() * codec.framing.shapes.length)];
          if (rand() < 0.5 && frame.length >= shape.header.length) frame.set(shape.header, 0);
        } else {
          frame = mutate(rand, pool[Math.floor(rand() * pool.length)]);
        }
        if (rand() < 0.5) repair(protocol, frame);
        const context: JkDecodeContext = {
          invertCurrent: rand() < 0.5,
          variant: (['auto', '24s', '32s', undefined] as const)[Math.floor(rand() * 4)],
          request: requests.length && rand() < 0.7 ? mutate(rand, requests[Math.floor(rand() * requests.length)]) : undefined,
          balancerTemperatureScale: rand() < 0.5 ? 1 : 0.1,
        };
        if (context.request && rand() < 0.7) repair('jk-modbus', context.request as Buffer);
        const result = codec.decode(frame, context);
        expect(result.ok === true || result.ok === false).to.equal(true);
        if (result.ok) decodedOk++;
        else refused++;
        // the same bytes, split at a random point, through the framer
        const cut = Math.floor(rand() * (frame.length + 1));
        framed += framer.push(frame.subarray(0, cut)).length;
        framed += framer.push(frame.subarray(cut)).length;
        if (rand() < 0.05) framed += framer.flushStale().length;
      }
      // the fuzz reached both outcomes and the framer kept finding frames in the noise
      expect(decodedOk, 'decoded').to.be.greaterThan(1000);
      expect(refused, 'refused').to.be.greaterThan(1000);
      expect(framed, 'framed').to.be.greaterThan(100);
    });
  }
});
