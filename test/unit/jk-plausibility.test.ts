/**
 * JK plausibility (the ranges of nodes/jk-bms/schema.ts through lib/plausibility.ts): no captured frame and no simulated pack is
 * ever flagged, and frames corrupted so that they still pass their checksum never come out as good readings with
 * impossible values. The corruption starts from the real NW capture nw-03 and the JK-PB RS485 capture of
 * test/fixtures/jkbms-vectors.json. Seeded, so a failure reproduces.
 */
import { expect } from 'chai';
import { JK_UNITS, screenPack } from '../../nodes/jk-bms/messages';
import { splitFrames } from '../../lib/wire/framer';
import { buildTrigger, decodePoll, getProtocol, JK_PROTOCOLS, JkReading } from '../../nodes/jk-bms/protocol';
import { JK_RANGES } from '../../nodes/jk-bms/schema';
import { JkChemistry, JkSimulator } from '../../nodes/jk-bms/simulator';
import { corruptedNwCapture, nwCapture, nwOffset, resumNw } from '../helpers/jk-corrupt';
import { loadVectors, PROTOCOL_OF } from './jk-vectors';
import { seededRandom as rng } from '../helpers/fuzz';

function decodeNw(frame: Buffer): JkReading | undefined {
  const r = JK_PROTOCOLS['jk-nw'].decode(frame);
  return r.ok && r.value.frameType === 'status' ? r.value.reading : undefined;
}

/** Every value at a ranged key of a reading that is sent as good must be inside its range. */
function assertInRange(reading: JkReading): void {
  const again = screenPack(reading);
  expect(again.badKeys, JSON.stringify(reading)).to.deep.equal([]);
}

describe('JK plausibility (schema ranges)', () => {
  it('every captured frame decodes to a reading with nothing out of range', () => {
    let readings = 0;
    for (const v of loadVectors()) {
      const protocol = getProtocol(PROTOCOL_OF[v.protocol]);
      if (!protocol) continue;
      const frames = splitFrames(protocol.framing.shapes, Buffer.from(v.hex, 'hex')).frames;
      if (frames.length === 0) continue;
      const d = protocol.decode(frames[0].bytes, { request: v.request_hex ? Buffer.from(v.request_hex, 'hex') : undefined });
      if (!d.ok || !d.value.reading) continue;
      readings++;
      const s = screenPack(d.value.reading);
      expect(s.badKeys, v.id).to.deep.equal([]);
      expect(s.rejected, v.id).to.equal(false);
      expect(s.reading, v.id).to.deep.equal(d.value.reading);
    }
    expect(readings).to.be.at.least(10);
  });

  it('no simulated pack of any chemistry, protocol or state of charge is flagged', () => {
    for (const chemistry of ['lifepo4', 'li-ion', 'lto'] as JkChemistry[]) {
      for (const cellCount of [4, 16, 24, 32]) {
        const variant = cellCount > 24 ? '32s' : undefined;
        const sim = new JkSimulator({ packs: [1], pacing: false, tickMs: 0, chemistry, cellCount, variant });
        for (const current of [-150, -3, 0, 40]) {
          sim.setPack(1, { current, forcedCurrent: current });
          sim.step(600);
          const respond = (request: Buffer): Buffer => sim.respond(request)?.frames[0] ?? Buffer.alloc(0);
          const readings: Array<JkReading | undefined> = [
            decodeNw(respond(JK_PROTOCOLS['jk-nw'].buildRequests(1, 'status')[0])),
            (() => {
              const r = JK_PROTOCOLS.jk02.decode(respond(buildTrigger(1, 'status')));
              return r.ok ? r.value.reading : undefined;
            })(),
            (() => {
              const r = decodePoll('jk-modbus', JK_PROTOCOLS['jk-modbus'].buildRequests(1, 'status').map((request) => ({ request, reply: respond(request) })));
              return r.ok ? r.value.reading : undefined;
            })(),
          ];
          if (cellCount <= 24) {
            const r = JK_PROTOCOLS['jk-balancer'].decode(respond(JK_PROTOCOLS['jk-balancer'].buildRequests(1, 'status')[0]));
            readings.push(r.ok ? r.value.reading : undefined);
          }
          for (const reading of readings) {
            expect(reading, `${chemistry} ${cellCount} cells ${current} A`).to.not.equal(undefined);
            const s = screenPack(reading as JkReading);
            expect(s.badKeys, `${chemistry} ${cellCount} cells ${current} A`).to.deep.equal([]);
          }
        }
      }
    }
  });

  it('the NW capture with a cell at 65.535 V, MOS at −65,435 °C and SOC 255 % passes its checksum and is rejected', () => {
    const reading = decodeNw(corruptedNwCapture());
    expect(reading, 'the corrupted frame still decodes').to.not.equal(undefined);
    expect(reading?.mosTemperature).to.equal(-65435);
    expect(reading?.cellVoltages?.[4]).to.equal(65.535);
    expect(reading?.soc).to.equal(255);
    const s = screenPack(reading as JkReading);
    expect(s.rejected).to.equal(true);
    expect(s.badKeys).to.include.members(['cellVoltages[4]', 'mosTemperature', 'soc']);
  });

  it('the same capture with only MOS temperature and SOC corrupted is sent without them, as bad data', () => {
    const reading = decodeNw(corruptedNwCapture({ cell: false })) as JkReading;
    const s = screenPack(reading);
    expect(s.rejected).to.equal(false);
    expect(s.badKeys).to.deep.equal(['soc', 'mosTemperature']);
    expect(s.reading).to.not.have.any.keys('soc', 'mosTemperature');
    expect(s.reading.cellVoltages).to.deep.equal(reading.cellVoltages);
    expect(s.reading.voltage).to.equal(53.13);
  });

  it('a corrupted pack voltage takes the power computed from it along', () => {
    const f = nwCapture();
    let at = nwOffset(f, 0x79) + 1 + f[nwOffset(f, 0x79)];
    while (f[at] !== 0x83) at += 3;
    f.writeUInt16BE(0xfff0, at + 1); // 655.20 V
    const reading = decodeNw(resumNw(f)) as JkReading;
    expect(reading.power).to.be.a('number');
    const s = screenPack(reading);
    expect(s.badKeys).to.deep.equal(['voltage']);
    expect(s.dropped).to.deep.equal(['voltage', 'power']);
  });

  it('seeded corruption with the checksum recomputed: never a good reading with an impossible value', () => {
    const rand = rng(0x1a5e);
    const seeds: Array<{ protocol: 'jk-nw' | 'jk02'; frame: Buffer }> = [{ protocol: 'jk-nw', frame: nwCapture() }];
    for (const id of ['jk02-rs485-02-pb-addr1-mppsolar', 'jk02-01-24s-b2a24s20p-v10.07', 'jk02-05-32s-charging-31A']) {
      const v = loadVectors().find((x) => x.id === id);
      if (v) seeds.push({ protocol: 'jk02', frame: Buffer.from(v.hex, 'hex').subarray(0, 300) });
    }
    const started = Date.now();
    let decoded = 0;
    let rejected = 0;
    let flagged = 0;
    for (let i = 0; i < 4000; i++) {
      const seed = seeds[Math.floor(rand() * seeds.length)];
      const f = Buffer.from(seed.frame);
      // a burst of 2-4 bytes set to noise, as a line disturbance does
      const start = 11 + Math.floor(rand() * (f.length - 20));
      const n = 2 + Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) f[start + k] = rand() < 0.5 ? 0xff : Math.floor(rand() * 256);
      if (seed.protocol === 'jk-nw') resumNw(f);
      else {
        let sum = 0;
        for (let k = 0; k < 299; k++) sum += f[k];
        f[299] = sum & 0xff;
      }
      const r = JK_PROTOCOLS[seed.protocol].decode(f);
      if (!r.ok || !r.value.reading) continue;
      decoded++;
      const s = screenPack(r.value.reading);
      if (s.rejected) {
        rejected++;
        continue;
      }
      if (s.badKeys.length > 0) flagged++;
      assertInRange(s.reading);
    }
    expect(decoded).to.be.greaterThan(1000);
    expect(rejected, 'rejected').to.be.greaterThan(0);
    expect(flagged, 'sent as bad data').to.be.greaterThan(0);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });

  it('every key of the JK reading with a unit has a range in that unit', () => {
    for (const [key, unit] of Object.entries(JK_UNITS)) {
      const range = JK_RANGES[key] ?? JK_RANGES[`${key}[*]`];
      expect(range, key).to.not.equal(undefined);
      expect(range.unit, key).to.equal(unit);
    }
  });
});
