/**
 * JK conversations over a shared Rs485Bus, without Node-RED: one poll of one pack (all requests of the
 * protocol, strictly one at a time through the bus FIFO), auto-detection, switch writes with read-back, and
 * listen-only decoding of a JK-PB master's traffic. The jk-bms node and `dcpower scan` both use it.
 */
import type { Exchange, Rs485Bus } from '../../lib/rs485/bus';
import type { Frame, FrameDescription } from '../../lib/rs485/framer';
import { narrowed } from '../../lib/rs485/framer';
import {
  autoProbes,
  buildBalancerWrite,
  buildSwitchWrite,
  decodePoll,
  detectProtocol,
  getProtocol,
  JK_PROTOCOL_IDS,
  JkDecodeContext,
  JkDecoded,
  JkFrameShape,
  JkProtocolId,
  JkRequestKind,
  JkSwitch,
} from './protocol';

/** The protocol shapes as framer descriptions; `protocol` is `<jk protocol>/<shape>`. */
export function shapeDescription(shape: JkFrameShape, protocol: JkProtocolId, address?: number): FrameDescription {
  const d: FrameDescription = {
    protocol: `${protocol}/${shape.name}`,
    header: shape.header,
    maxLength: shape.maxLength,
    length(head) {
      if (head.length < shape.minBytes) return undefined;
      const lengths = shape.lengths(head);
      return lengths === null ? -1 : lengths;
    },
    check: (frame) => shape.valid(frame),
  };
  // Modbus RTU starts with any byte: narrow it to the address asked, so noise cannot pose as a long frame.
  if (address !== undefined && shape.header.length === 0) return narrowed(d, (head) => (head.length < 1 ? undefined : head[0] === address));
  return d;
}

export function descriptionsFor(protocol: JkProtocolId, address?: number): FrameDescription[] {
  const codec = getProtocol(protocol);
  return codec ? codec.framing.shapes.map((s) => shapeDescription(s, protocol, address)) : [];
}

export interface PollResult {
  decoded: JkDecoded;
  /** every frame sent and received in this poll, for the raw-hex debug output */
  tx: Buffer[];
  rx: Buffer[];
}

/** Which frames of a protocol answer a request to `address`. */
function isAnswer(protocol: JkProtocolId, decoded: JkDecoded, frame: Buffer, address: number): boolean {
  switch (protocol) {
    case 'jk-nw':
      return decoded.frameType !== 'request';
    case 'jk-balancer':
      return frame[0] === 0xeb && frame[2] === address;
    case 'jk-modbus':
      return frame[0] === address && decoded.frameType !== 'request' && decoded.frameType !== 'trigger';
    default:
      return false;
  }
}

/**
 * One request/reply exchange of a JK protocol. JK02 replies are a 300-byte frame (no address) followed by the
 * FC10 acknowledgement of the responder; the pair counts only when the acknowledgement carries our address,
 * so a late frame of another pack is never taken for this one.
 */
export function jkExchange(protocol: JkProtocolId, address: number, request: Buffer, context: JkDecodeContext, timeoutMs?: number): Exchange<Frame[]> {
  const codec = getProtocol(protocol);
  if (!codec) throw new RangeError(`unknown protocol ${protocol}`);
  const expect = descriptionsFor(protocol, protocol === 'jk02' ? undefined : address);
  return {
    bytes: request,
    expect,
    timeoutMs,
    label: `${protocol} address ${address}`,
    accept(frame, kept) {
      if (protocol === 'jk02') {
        if (frame.protocol === 'jk02/jk02') {
          kept.length = 0; // a newer 300-byte frame replaces one whose ack never came
          return 'more';
        }
        const d = codec.decode(frame.bytes, context);
        if (!d.ok || d.value.frameType !== 'ack') return 'ignore';
        if (d.value.address !== address || kept.length === 0) {
          kept.length = 0;
          return 'ignore';
        }
        return 'done';
      }
      const d = codec.decode(frame.bytes, { ...context, request });
      if (!d.ok) {
        // an FC03 reply decodes only with its request; a Modbus exception is an answer too (reported below)
        return protocol === 'jk-modbus' && frame.bytes[0] === address && frame.bytes[1] !== 0x03 && frame.bytes[1] !== 0x10 ? 'done' : 'ignore';
      }
      return isAnswer(protocol, d.value, frame.bytes, address) ? 'done' : 'ignore';
    },
  };
}

/** The data frame of an exchange (JK02: the 300-byte frame, not its ack). */
function dataFrame(frames: Frame[]): Buffer {
  return frames[0].bytes;
}

/** Runs every request of one poll of one pack and decodes the replies as one reading. */
export async function pollPack(
  bus: Rs485Bus,
  protocol: JkProtocolId,
  address: number,
  kind: JkRequestKind,
  context: JkDecodeContext = {},
): Promise<PollResult> {
  const codec = getProtocol(protocol);
  if (!codec) throw new RangeError(`unknown protocol ${protocol}`);
  const requests = codec.buildRequests(address, kind);
  const exchanges: Array<{ request: Uint8Array; reply: Uint8Array }> = [];
  const tx: Buffer[] = [];
  const rx: Buffer[] = [];
  for (const request of requests) {
    tx.push(request);
    const frames = await bus.request(jkExchange(protocol, address, request, context));
    rx.push(...frames.map((f) => f.bytes));
    exchanges.push({ request, reply: dataFrame(frames) });
  }
  const decoded = decodePoll(protocol, exchanges, context);
  if (!decoded.ok) throw new BadFrameError(`${protocol} address ${address}: ${decoded.error.message}`);
  return { decoded: decoded.value, tx, rx };
}

export class BadFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadFrameError';
  }
}

/**
 * A frame that passed its checksum but whose values cannot be real (lib/plausibility.ts): treated like a bad
 * checksum, a failed read with quality bad_data. `keys` names the implausible values and their ranges.
 */
export class ImplausibleFrameError extends BadFrameError {
  constructor(readonly keys: string) {
    super(`implausible values: ${keys}`);
    this.name = 'ImplausibleFrameError';
  }
}

/** Sends the NW activate command (0x01) that wakes a sleeping board; its reply, if any, is not needed. */
export async function wakeNw(bus: Rs485Bus, address: number): Promise<void> {
  const codec = getProtocol('jk-nw');
  if (!codec) return;
  const [request] = codec.buildRequests(address, 'activate');
  await bus
    .request({
      bytes: request,
      expect: descriptionsFor('jk-nw'),
      label: 'NW activate',
      accept: (frame) => (frame.bytes[10] === 1 ? 'done' : 'ignore'),
    })
    .catch(() => undefined);
}

/** Protocols worth probing on a link of this baud (a gateway's baud is unknown: all). */
export async function detectPack(
  bus: Rs485Bus,
  address: number,
  baud: number | undefined,
  options: { timeoutMs?: number; multiDrop?: boolean } = {},
): Promise<JkProtocolId | undefined> {
  const timeoutMs = options.timeoutMs;
  // NW is point-to-point (no address on the wire): on a bus of several packs it would take any pack's reply.
  const probes = autoProbes(address).filter((p) => (baud === undefined || p.baud === baud) && !(options.multiDrop && p.protocol === 'jk-nw'));
  const tried = new Set<string>();
  for (const probe of probes) {
    if (tried.has(probe.protocol)) continue;
    tried.add(probe.protocol);
    const all = JK_PROTOCOL_IDS.flatMap((id) => descriptionsFor(id, id === 'jk02' ? undefined : address));
    try {
      const frames = await bus.request({
        bytes: probe.request,
        expect: all,
        timeoutMs,
        label: `probe ${probe.protocol} address ${address}`,
        accept(frame, kept) {
          const protocol = detectProtocol(frame.bytes);
          if (probe.protocol === 'jk02') {
            if (frame.protocol === 'jk02/jk02') return 'more';
            if (kept.length > 0 && frame.bytes[0] === address && frame.bytes[1] === 0x10 && frame.bytes.length === 8) return 'done';
            return 'ignore';
          }
          if (protocol !== probe.protocol) return 'ignore';
          if (probe.protocol === 'jk-nw') return frame.bytes[10] === 1 ? 'done' : 'ignore';
          if (probe.protocol === 'jk-balancer') return frame.bytes.length === 74 && frame.bytes[2] === address ? 'done' : 'ignore';
          return frame.bytes[0] === address && (frame.bytes[1] === 0x03 || frame.bytes[1] === 0x83) ? 'done' : 'ignore';
        },
      });
      if (frames.length > 0) return probe.protocol;
    } catch {
      // no answer to this probe: try the next protocol
    }
  }
  return undefined;
}

/** The switches a write may touch, by the reading key users know. */
export const WRITABLE: { [key: string]: { modbus: JkSwitch; setting: string } } = {
  chargeEnabled: { modbus: 'charge', setting: 'chargeSwitch' },
  dischargeEnabled: { modbus: 'discharge', setting: 'dischargeSwitch' },
  balancerEnabled: { modbus: 'balancer', setting: 'balancerSwitch' },
};

export interface WriteOutcome {
  confirmed: boolean;
  /** the value read back */
  readBack?: boolean;
}

/**
 * Writes one switch through the JK Modbus map (on a Modbus port or the JK-PB bus) or the balancer's own
 * command, then reads it back. A write the device ignores comes back unconfirmed (docs/jk-bms-protocols.md §6.6:
 * whether RS485 writes work at all is disputed).
 */
export async function writeSwitch(
  bus: Rs485Bus,
  protocol: JkProtocolId,
  address: number,
  key: string,
  value: boolean,
  context: JkDecodeContext = {},
): Promise<WriteOutcome> {
  const target = WRITABLE[key];
  if (!target) throw new RangeError(`${key} is not writable`);
  if (protocol === 'jk-balancer') {
    if (key !== 'balancerEnabled') throw new RangeError(`the balancer has no ${key} switch`);
    await bus.request(jkExchange('jk-balancer', address, buildBalancerWrite(address, 'balancer', value), context));
    const { decoded } = await pollPack(bus, 'jk-balancer', address, 'status', context);
    const readBack = decoded.reading?.balancerEnabled;
    return { confirmed: readBack === value, readBack };
  }
  if (protocol !== 'jk-modbus' && protocol !== 'jk02') {
    throw new RangeError(`writes go through the JK Modbus map; protocol ${protocol} cannot write`);
  }
  const request = buildSwitchWrite(address, target.modbus, value);
  await bus.request({
    bytes: request,
    expect: descriptionsFor('jk-modbus', address),
    label: `write ${key} address ${address}`,
    accept: (frame) => (frame.bytes[0] === address && (frame.bytes[1] === 0x10 || frame.bytes[1] === 0x90) && frame.bytes.length <= 8 ? 'done' : 'ignore'),
    finish(frames) {
      if (frames[0].bytes[1] & 0x80) throw new Error(`address ${address} refused the write (Modbus exception ${frames[0].bytes[2]})`);
      return frames;
    },
  });
  const { decoded } = await pollPack(bus, protocol, address, 'settings', context);
  const raw = decoded.settings?.[target.setting];
  const readBack = raw === undefined ? undefined : raw === 1;
  return { confirmed: readBack === value, readBack };
}

export interface ListenedFrame {
  address: number;
  decoded: JkDecoded;
  bytes: Buffer;
}

/**
 * Listen-only decoding of a JK-PB parallel bus with a master at address 0 (docs/jk-bms-protocols.md §5.5): every
 * 300-byte frame is attributed from the acknowledgement that follows it. Transmits nothing.
 */
export class Jk02Listener {
  private pending: Frame | undefined;
  private readonly descriptions = descriptionsFor('jk02');
  private unsubscribe: (() => void) | undefined;
  private readonly onFrame = (frame: Frame): void => this.handle(frame);

  constructor(private readonly bus: Rs485Bus, private readonly context: JkDecodeContext, private readonly deliver: (f: ListenedFrame) => void) {}

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.bus.listen(this.descriptions);
    this.bus.on('frame', this.onFrame);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.bus.off('frame', this.onFrame);
    this.pending = undefined;
  }

  private handle(frame: Frame): void {
    if (!frame.protocol.startsWith('jk02/')) return;
    if (frame.protocol === 'jk02/jk02') {
      this.pending = frame;
      return;
    }
    const codec = getProtocol('jk02');
    const d = codec?.decode(frame.bytes, this.context);
    if (!d || !d.ok || d.value.frameType !== 'ack' || d.value.address === undefined || !this.pending) return;
    const data = this.pending;
    this.pending = undefined;
    const decoded = codec?.decode(data.bytes, this.context);
    if (decoded && decoded.ok) this.deliver({ address: d.value.address, decoded: decoded.value, bytes: data.bytes });
  }
}
