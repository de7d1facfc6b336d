/**
 * JK conversations over a shared Rs485Bus, without Node-RED: one poll of one pack (all requests of the
 * protocol, strictly one at a time through the bus FIFO), auto-detection, switch writes with read-back, and
 * listen-only decoding of a JK-PB master's traffic. The jk-bms node and `dcpower scan` both use it.
 */
import type { Exchange, Rs485Bus } from '../../lib/rs485/bus';
import type { Frame, FrameDescription } from '../../lib/wire/framer';
import type { Result } from '../../lib/wire/result';
import { buildSettingWrite, JkWriteContext, JkWriteError, JkWritableSetting } from './protocol/writes';
import {
  autoProbes,
  buildBalancerWrite,
  buildSwitchWrite,
  decodePoll,
  descriptionsFor,
  getProtocol,
  JK_PROTOCOL_IDS,
  JK_PROTOCOLS,
  JkAnswer,
  JkAnswerReader,
  JkDecodeContext,
  JkDecoded,
  JkProtocol,
  JkProtocolId,
  JkRequestKind,
  JkSwitch,
  showsBusMaster as decodedShowsBusMaster,
} from './protocol';

// the jk-bms node subscribes the bus to these to hear a bus master
export { descriptionsFor };

export interface PollResult {
  decoded: JkDecoded;
  /** every frame sent and received in this poll, for the raw-hex debug output */
  tx: Buffer[];
  rx: Buffer[];
}

/** One request/reply exchange of a JK protocol: the codec reads each frame once and says when the answer is complete. */
function jkExchange(protocol: JkProtocolId, address: number, request: Buffer, context: JkDecodeContext, timeoutMs?: number): Exchange<JkAnswer> {
  const codec = getProtocol(protocol);
  if (!codec) throw new RangeError(`unknown protocol ${protocol}`);
  const expect = descriptionsFor(protocol, protocol === 'jk02' ? undefined : address);
  return answerExchange(codec, request, expect, { label: `${protocol} address ${address}`, timeoutMs, context });
}

interface AnswerOptions {
  label: string;
  timeoutMs?: number;
  context?: JkDecodeContext;
}

function answerExchange(codec: JkProtocol, request: Buffer, expect: FrameDescription[], options: AnswerOptions): Exchange<JkAnswer> {
  const reader = new JkAnswerReader(codec, request, { ...options.context, request });
  return {
    bytes: request,
    expect,
    timeoutMs: options.timeoutMs,
    label: options.label,
    accept: (frame) => reader.read(frame.bytes),
    finish() {
      const answer = reader.answer;
      if (!answer) throw new Error(`${options.label}: no answer`); // cannot happen: the bus finishes only on done
      return answer;
    },
  };
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
  const answers: JkAnswer[] = [];
  const tx: Buffer[] = [];
  const rx: Buffer[] = [];
  for (const request of requests) {
    tx.push(request);
    const answer = await bus.request(jkExchange(protocol, address, request, context));
    rx.push(...answer.frames.map((f) => Buffer.from(f)));
    answers.push(answer);
  }
  const decoded = decodePoll(protocol, answers, context);
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
  const codec = JK_PROTOCOLS['jk-nw'];
  const [request] = codec.buildRequests(address, 'activate');
  await bus.request(answerExchange(codec, request, descriptionsFor('jk-nw'), { label: 'NW activate' })).catch(() => undefined);
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
  const all = JK_PROTOCOL_IDS.flatMap((id) => descriptionsFor(id, id === 'jk02' ? undefined : address));
  for (const probe of probes) {
    if (tried.has(probe.protocol)) continue;
    tried.add(probe.protocol);
    try {
      // any answer counts, even one that reports an error (a Modbus exception): something speaks this protocol here
      await bus.request(answerExchange(JK_PROTOCOLS[probe.protocol], probe.request, all, { label: `probe ${probe.protocol} address ${address}`, timeoutMs }));
      return probe.protocol;
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
  const written = await bus.request(answerExchange(JK_PROTOCOLS['jk-modbus'], request, descriptionsFor('jk-modbus', address), { label: `write ${key} address ${address}` }));
  if (!written.decoded.ok) throw new Error(`address ${address} refused the write (${written.decoded.error.message})`);
  const { decoded } = await pollPack(bus, protocol, address, 'settings', context);
  const raw = decoded.settings?.[target.setting];
  const readBack = raw === undefined ? undefined : raw === 1;
  return { confirmed: readBack === value, readBack };
}

/** A setting write refused before anything was sent: the range check of protocol/writes.ts failed. */
export class SettingRefusedError extends Error {
  constructor(readonly refusal: JkWriteError) {
    super(refusal.message);
    this.name = 'SettingRefusedError';
  }
}

export interface SettingOutcome {
  confirmed: boolean;
  /** the value read back, in the setting's unit */
  readBack?: number;
}

/**
 * Writes one setting (protocol/writes.ts builds and range-checks the frames against the device's limits and the
 * protection settings in `context`; a refusal throws SettingRefusedError before anything is sent), then reads the
 * settings back. jk02 and jk-modbus write through the JK Modbus map, jk-balancer with its own set command.
 */
export async function writeSetting(
  bus: Rs485Bus,
  protocol: JkProtocolId,
  address: number,
  setting: JkWritableSetting,
  value: number,
  writeContext: JkWriteContext,
  context: JkDecodeContext = {},
): Promise<SettingOutcome> {
  const built = buildSettingWrite(protocol, address, setting, value, writeContext);
  if (!built.ok) throw new SettingRefusedError(built.error);
  const readKind: JkRequestKind = protocol === 'jk-balancer' ? 'status' : 'settings';
  for (const frame of built.value) {
    if (protocol === 'jk-balancer') {
      await bus.request(jkExchange('jk-balancer', address, frame, context));
      continue;
    }
    const written = await bus.request(answerExchange(JK_PROTOCOLS['jk-modbus'], frame, descriptionsFor('jk-modbus', address), { label: `write ${setting} address ${address}` }));
    if (!written.decoded.ok) throw new Error(`address ${address} refused the write (${written.decoded.error.message})`);
  }
  const { decoded } = await pollPack(bus, protocol, address, readKind, context);
  const readBack = decoded.settings?.[setting];
  return { confirmed: readBack !== undefined && Math.abs(readBack - value) < 1e-6, readBack };
}

export interface ListenedFrame {
  address: number;
  decoded: JkDecoded;
  bytes: Buffer;
}

/** The part of a bus the listener needs (a test can stand in for it). */
export type ListenedBus = Pick<Rs485Bus, 'listen' | 'on' | 'off'>;

/**
 * Whether a frame nobody asked for shows a bus master polling this JK-PB bus (docs/jk-bms-protocols.md §2.3): one
 * master per bus, so a node that sees one must stop transmitting. Only the short Modbus frames can tell; 300-byte
 * frames carry no address and are not decoded for this.
 */
export function showsBusMaster(frame: Frame): boolean {
  if (frame.protocol !== JK02_ACK_SHAPE) return false;
  const d = getProtocol('jk02')?.decode(frame.bytes);
  return d !== undefined && d.ok && decodedShowsBusMaster(d.value);
}

const JK02_ACK_SHAPE = 'jk02/modbus-rtu';

/**
 * Listen-only decoding of a JK-PB parallel bus with a master at address 0 (docs/jk-bms-protocols.md §5.5): every frame
 * is decoded once, and each 300-byte frame is attributed to the pack of the FC10 acknowledgement that follows it
 * (address 0 = the master's own broadcast); a settings frame whose ack was lost still names its pack (byte 270).
 * Triggers are noted (`lastTrigger`) but never used to attribute: the master also triggers absent addresses, and its
 * own broadcasts follow no trigger. Transmits nothing.
 */
export class Jk02Listener {
  private pending: { decoded: JkDecoded; bytes: Buffer } | undefined;
  /** address and register of the last trigger seen (who the master is asking) */
  lastTrigger: { address: number; register: number } | undefined;
  private readonly descriptions = descriptionsFor('jk02');
  private unsubscribe: (() => void) | undefined;
  private readonly onFrame = (frame: Frame): void => this.handle(frame);

  constructor(private readonly bus: ListenedBus, private readonly context: JkDecodeContext, private readonly deliver: (f: ListenedFrame) => void) {}

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

  /** Call when the bus has been silent for the inter-byte timeout: a frame still waiting gets no ack. */
  flush(): void {
    const waiting = this.pending;
    this.pending = undefined;
    if (waiting) this.orphan(waiting);
  }

  private handle(frame: Frame): void {
    if (!frame.protocol.startsWith('jk02/')) return;
    this.push(getProtocol('jk02')?.decode(frame.bytes, this.context), frame.bytes);
  }

  private push(d: Result<JkDecoded> | undefined, bytes: Buffer): void {
    const waiting = this.pending;
    this.pending = undefined;
    if (d?.ok && d.value.frameType === 'ack' && d.value.address !== undefined) {
      if (waiting) this.deliver({ address: d.value.address, decoded: { ...waiting.decoded, address: d.value.address }, bytes: waiting.bytes });
      return;
    }
    // anything else ends the wait for an ack (a frame that does not decode too): a settings frame can still name its pack
    if (waiting) this.orphan(waiting);
    if (!d?.ok) return;
    const decoded = d.value;
    if (decoded.frameType === 'status' || decoded.frameType === 'settings' || decoded.frameType === 'device') this.pending = { decoded, bytes };
    else if (decoded.frameType === 'trigger' && decoded.address !== undefined && decoded.register !== undefined) {
      this.lastTrigger = { address: decoded.address, register: decoded.register };
    }
  }

  private orphan(frame: { decoded: JkDecoded; bytes: Buffer }): void {
    if (frame.decoded.frameType === 'settings' && frame.decoded.address !== undefined) this.deliver({ address: frame.decoded.address, decoded: frame.decoded, bytes: frame.bytes });
  }
}
