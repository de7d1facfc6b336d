/**
 * Fuzz of the bus framer with the JK shapes: 100,000 random and mutated frames per protocol, in random chunk
 * sizes, through the framer and then the decoder. Nothing may throw, the buffer stays bounded, and every frame
 * the framer cuts passes its protocol's checksum.
 */
import { expect } from 'chai';
import { Framer, MAX_BUFFER } from '../../../lib/wire/framer';
import { descriptionsFor } from '../../../nodes/jk-bms/client';
import { getProtocol, JkProtocolId } from '../../../nodes/jk-bms/protocol';
import { loadVectors, PROTOCOL_OF } from '../jk-vectors';

const FRAMES_PER_PROTOCOL = 100_000;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('lib/wire Framer fuzz with the JK shapes', function () {
  this.timeout(120_000);
  const vectors = loadVectors();

  for (const protocol of ['jk-nw', 'jk02', 'jk-modbus', 'jk-balancer'] as JkProtocolId[]) {
    it(`${protocol}: ${FRAMES_PER_PROTOCOL.toLocaleString('en-US')} random and mutated frames, no exception, bounded buffer`, () => {
      const rand = rng(protocol.length * 7919);
      const seeds = vectors.filter((v) => PROTOCOL_OF[v.protocol] === protocol || v.protocol === protocol).map((v) => Buffer.from(v.hex.replace(/\s+/g, ''), 'hex'));
      expect(seeds.length, `vectors for ${protocol}`).to.be.greaterThan(0);
      const codec = getProtocol(protocol);
      const framer = new Framer(descriptionsFor(protocol, protocol === 'jk02' ? undefined : 1));
      const shapes = codec?.framing.shapes ?? [];
      let cut = 0;
      for (let i = 0; i < FRAMES_PER_PROTOCOL; i++) {
        const base = seeds[Math.floor(rand() * seeds.length)];
        let frame: Buffer;
        const kind = rand();
        if (kind < 0.2) {
          frame = Buffer.from(base); // intact
        } else if (kind < 0.6) {
          frame = Buffer.from(base);
          const flips = 1 + Math.floor(rand() * 4);
          for (let f = 0; f < flips; f++) frame[Math.floor(rand() * frame.length)] = Math.floor(rand() * 256);
        } else if (kind < 0.8) {
          frame = base.subarray(0, Math.floor(rand() * base.length)); // truncated
        } else {
          frame = Buffer.alloc(1 + Math.floor(rand() * 40));
          for (let b = 0; b < frame.length; b++) frame[b] = Math.floor(rand() * 256);
        }
        let at = 0;
        while (at < frame.length) {
          const size = 1 + Math.floor(rand() * 120);
          for (const f of framer.push(frame.subarray(at, at + size))) {
            cut++;
            if (!shapes.some((s) => s.check(f.bytes))) throw new Error(`cut an invalid frame ${f.bytes.toString('hex')}`);
            codec?.decode(f.bytes, {}); // must not throw
          }
          at += size;
        }
        if (framer.buffered > MAX_BUFFER + 120) throw new Error(`buffer grew to ${framer.buffered}`);
        if (i % 1000 === 999) framer.flushStale();
      }
      expect(cut).to.be.greaterThan(FRAMES_PER_PROTOCOL * 0.1); // the intact ones, at least
    });
  }
});
