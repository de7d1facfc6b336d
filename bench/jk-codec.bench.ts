/**
 * JK codec throughput against the wire: how many frames per second the decoders and the stream framer handle,
 * beside how many frames per second a 115200 8N1 bus can carry at all. The codec should never be what limits
 * a bus (target: at least 100× the wire rate, so one Node-RED process can serve many buses).
 * Run alone: node dist/bench/jk-codec.bench.js
 */
import * as fs from 'fs';
import * as path from 'path';
import { Framer } from '../lib/wire/framer';
import { descriptionsFor } from '../nodes/jk-bms/client';
import { decodePoll, JK_PROTOCOLS } from '../nodes/jk-bms/protocol';
import { JkSimulator } from '../nodes/jk-bms/simulator';
import { Comparison, opsPerSecond, report } from './report';

const BITS_PER_BYTE = 10;
const BAUD = 115200;
const wireFramesPerSecond = (bytes: number) => BAUD / BITS_PER_BYTE / bytes;

const vectorsFile = path.resolve(__dirname, '..', 'test', 'fixtures', 'jkbms-vectors.json');
const vectors = (JSON.parse(fs.readFileSync(vectorsFile, 'utf8')) as { vectors: Array<{ id: string; hex: string }> }).vectors;
const hex = (id: string) => Buffer.from(vectors.find((v) => v.id === id)?.hex ?? '', 'hex');

const jk02Wire = hex('jk02-rs485-02-pb-addr1-mppsolar'); // 300-byte frame + 8-byte ack
const jk02Frame = jk02Wire.subarray(0, 300);
const nwFrame = hex('nw-01-14s-esphome');
const sim = new JkSimulator({ packs: [1], pacing: false, tickMs: 0 });
const modbusPoll = JK_PROTOCOLS['jk-modbus'].buildRequests(1, 'status').map((request) => ({ request, reply: sim.respond(request)?.frames[0] ?? Buffer.alloc(0) }));
const modbusBytes = modbusPoll.reduce((n, e) => n + e.request.length + e.reply.length, 0);

const comparisons: Comparison[] = [];
const target = { ratio: 100, comparison: '>=' as const };

comparisons.push({
  name: 'JK02 300-byte frame decode',
  measured: opsPerSecond((n) => {
    for (let i = 0; i < n; i++) JK_PROTOCOLS.jk02.decode(jk02Frame);
  }),
  reference: wireFramesPerSecond(jk02Wire.length + 11),
  referenceName: 'trigger+reply exchanges/s on the wire',
  unit: 'frames/s',
  higherIsBetter: true,
  target,
});

comparisons.push({
  name: 'NW read-all reply decode',
  measured: opsPerSecond((n) => {
    for (let i = 0; i < n; i++) JK_PROTOCOLS['jk-nw'].decode(nwFrame);
  }),
  reference: wireFramesPerSecond(nwFrame.length + 21),
  referenceName: 'read-all exchanges/s on the wire',
  unit: 'frames/s',
  higherIsBetter: true,
  target,
});

comparisons.push({
  name: 'JK Modbus status poll decode (3 chunks)',
  measured: opsPerSecond((n) => {
    for (let i = 0; i < n; i++) decodePoll('jk-modbus', modbusPoll);
  }),
  reference: wireFramesPerSecond(modbusBytes),
  referenceName: 'polls/s on the wire',
  unit: 'polls/s',
  higherIsBetter: true,
  target,
});

// the bus's framer with the descriptions a JK-PB poll waits for
const framer = new Framer(descriptionsFor('jk02'));
comparisons.push({
  name: 'stream framer, JK-PB replies in 64-byte reads',
  measured:
    opsPerSecond((n) => {
      for (let i = 0; i < n; i++) for (let at = 0; at < jk02Wire.length; at += 64) framer.push(jk02Wire.subarray(at, at + 64));
    }) * jk02Wire.length,
  reference: BAUD / BITS_PER_BYTE,
  referenceName: 'bytes/s on the wire',
  unit: 'bytes/s',
  higherIsBetter: true,
  target,
});

report(comparisons);
