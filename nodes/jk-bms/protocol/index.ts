/**
 * The JK protocol contract the jk-bms node, the rs485-bus framer, the simulator and `dcpower decode` use.
 * Types live in types.ts; each codec in its own file as field tables walked by one decoder.
 */
import { FrameDescription, narrowed } from '../../../lib/wire/framer';
import { fail, Result } from '../../../lib/wire/result';
import { balancer } from './balancer';
import { DEVICE_SECRET_RANGES } from './blocks';
import { jk02, JK02_BLOCK_BASE } from './jk02';
import { decodeModbusPoll, modbus } from './modbus';
import { nw } from './nw';
import type { JkDecodeContext, JkDecoded, JkProtocol, JkProtocolId } from './types';

export * from './types';
export { autoProbes, detectJk02Variant } from './detect';
export type { JkProbe } from './detect';
export { JkAnswerReader } from './answers';
export type { JkAnswer, JkReadVerdict } from './answers';
export { buildAck, buildTrigger, JK02_TRIGGERS, showsBusMaster } from './jk02';
export { buildModbusRead, buildSwitchWrite, MODBUS_SWITCHES, READ_PLAN } from './modbus';
export type { JkSwitch } from './modbus';
export { NW_WRITABLE, nwCurrent, nwTemperature } from './nw';
export { BALANCER_LIMITS, buildBalancerStatusRequest, buildBalancerWrite } from './balancer';
export type { BalancerSetting } from './balancer';

export const JK_PROTOCOLS: { readonly [K in JkProtocolId]: JkProtocol } = {
  'jk-nw': nw,
  jk02,
  'jk-modbus': modbus,
  'jk-balancer': balancer,
};

export function getProtocol(id: string): JkProtocol | undefined {
  return Object.prototype.hasOwnProperty.call(JK_PROTOCOLS, id) ? JK_PROTOCOLS[id as JkProtocolId] : undefined;
}

/**
 * A protocol's frame shapes as the bus frames them: named `<jk protocol>/<shape>` (`jk02/jk02`, `jk02/modbus-rtu`, ...),
 * Modbus RTU narrowed to `address`, since RTU starts with any byte and noise could otherwise pose as a long frame.
 */
export function descriptionsFor(protocol: JkProtocolId, address?: number): FrameDescription[] {
  const codec = getProtocol(protocol);
  if (!codec) return [];
  return codec.framing.shapes.map((shape) => {
    const name = `${protocol}/${shape.protocol}`;
    if (address !== undefined && shape.header.length === 0) return narrowed(shape, (head) => (head.length < 1 ? undefined : head[0] === address), name);
    return { ...shape, protocol: name };
  });
}

export interface JkExchange {
  /** the request frame as sent */
  request: Uint8Array;
  /** the data reply (jk02: the 300-byte frame, not the ack) */
  reply: Uint8Array;
  /** the reply as already decoded when it was picked as the answer (JkAnswerReader); decoded here when absent */
  decoded?: Result<JkDecoded>;
}

/**
 * Decodes all replies of one poll (the frames of `buildRequests`) into one result, each frame once: a reply read
 * by JkAnswerReader keeps its decode. For jk-modbus the chunks are assembled into the block first so cell
 * statistics cover all cells; the other protocols have one exchange.
 */
export function decodePoll(protocol: JkProtocolId, exchanges: readonly JkExchange[], context: JkDecodeContext = {}): Result<JkDecoded> {
  if (exchanges.length === 0) return fail('short_frame', 'no replies');
  const failed = exchanges.find((e) => e.decoded && !e.decoded.ok)?.decoded;
  if (failed) return failed;
  if (protocol === 'jk-modbus') return decodeModbusPoll(exchanges, context);
  const codec = JK_PROTOCOLS[protocol];
  if (!codec) return fail('unknown_variant', `protocol ${String(protocol)}`);
  const last = exchanges[exchanges.length - 1];
  return last.decoded ?? codec.decode(last.reply, { ...context, request: last.request });
}

/**
 * Hex dump of a frame with the JK02 device-info passcodes masked, for raw TX/RX debug output
 * (docs/jk-bms-protocols.md §10).
 */
export function maskSecrets(frame: Uint8Array): string {
  const bytes = Buffer.from(frame);
  if (bytes.length >= 300 && bytes[0] === 0x55 && bytes[1] === 0xaa && bytes[2] === 0xeb && bytes[3] === 0x90 && bytes[4] === 0x03) {
    for (const [offset, length] of DEVICE_SECRET_RANGES) bytes.fill(0x2a, JK02_BLOCK_BASE + offset, JK02_BLOCK_BASE + offset + length);
  }
  if (bytes.length >= 20 && bytes[0] === 0x4e && bytes[1] === 0x57) {
    // NW: the 10-byte parameter password follows ID 0xB2 (and a password command's data)
    const at = bytes.indexOf(0xb2, 11);
    if (at > 0 && at + 11 < bytes.length && bytes[at + 11] === 0xb3) bytes.fill(0x2a, at + 1, at + 11);
  }
  return bytes.toString('hex');
}

