/**
 * The JK adapter: how one pack is read over the rs485-bus (detection, identity, the NW wake-up, the status
 * poll) and which write commands are allowed.
 * No Node-RED here; the bus is the only I/O.
 */
import type { Quality } from '../../lib/wire/envelope';
import { LinkDownError, Rs485Bus } from '../../lib/rs485/bus';
import { detectPack, pollPack, PollResult, wakeNw, WRITABLE } from './client';
import { JkDecodeContext, JkDecoded, JkDeviceInfo, JkProtocolId, JkSettings, JkSwitchStates } from './protocol';
import { JkPayload, settingsForPayload } from './messages';
import { JK_WRITABLE_SETTINGS, type JkWritableSetting } from './protocol/writes';

export type Mode = JkProtocolId | 'auto' | 'jk02-listen';
export const MODES: readonly Mode[] = ['auto', 'jk-nw', 'jk02', 'jk02-listen', 'jk-modbus', 'jk-balancer'];

export interface PackState {
  address: number;
  protocol?: JkProtocolId;
  device?: JkDeviceInfo;
  deviceTries: number;
  failures: number;
  lastGood: number;
  lastReading?: JkPayload;
  quality?: Quality;
  polls: number;
  /** the settings last read (payload form: schema keys, SI units) and when */
  settings?: JkSettings;
  settingsReadAt?: number;
  /** the switches as configured, last read */
  switches?: JkSwitchStates;
  /** when the settings are next due (0: now, e.g. after a write); failed reads are retried on the next polls, 3 times */
  settingsDueAt: number;
  settingsTries: number;
}

export function newPack(address: number): PackState {
  return { address, deviceTries: 0, failures: 0, lastGood: 0, polls: 0, settingsDueAt: 0, settingsTries: 0 };
}

/** Keeps what a decoded frame says about the pack's settings, switches and identity (any frame type, polled or heard). */
export function noteFrame(pack: PackState, decoded: JkDecoded, now: number): void {
  if (decoded.settings) {
    const settings = settingsForPayload(decoded.settings);
    if (Object.keys(settings).length > 0) {
      pack.settings = { ...pack.settings, ...settings };
      pack.settingsReadAt = now;
    }
  }
  if (decoded.switches) pack.switches = { ...pack.switches, ...decoded.switches };
  if (decoded.device) pack.device = { ...pack.device, ...decoded.device };
}

/** Protocols whose settings need a read of their own (NW and the balancer send them with every status reply). */
const SEPARATE_SETTINGS: ReadonlySet<JkProtocolId> = new Set(['jk02', 'jk-modbus']);

/** the pack's name in topics and errors */
export function packName(address: number): string {
  return `pack${address}`;
}

/** How often (in polls) identity is read again after it was read once. */
const DEVICE_REFRESH_POLLS = 500;

/**
 * One poll of one pack: detects its protocol first (auto mode), reads its identity now and then, wakes a
 * sleeping NW board after failures, then reads its status. Throws what the bus throws; `noProtocol` when
 * detection found nothing.
 */
export async function pollOnePack(
  bus: Rs485Bus,
  pack: PackState,
  mode: Mode,
  context: JkDecodeContext,
  options: { multiDrop: boolean; noProtocol: () => Error; settingsEveryMs: number; now: () => number },
): Promise<PollResult> {
  const baud = bus.settings.kind === 'serial' ? bus.settings.baudRate : undefined;
  if (!pack.protocol) {
    const found = mode === 'auto' ? await detectPack(bus, pack.address, baud, { multiDrop: options.multiDrop }) : (mode as JkProtocolId);
    if (!found) throw options.noProtocol();
    pack.protocol = found;
  }
  const protocol = pack.protocol;
  pack.polls++;
  const wantsDevice = (protocol === 'jk02' || protocol === 'jk-modbus') && ((!pack.device && pack.deviceTries < 3) || pack.polls % DEVICE_REFRESH_POLLS === 0);
  if (wantsDevice) {
    try {
      const info = await pollPack(bus, protocol, pack.address, 'device', context);
      noteFrame(pack, info.decoded, options.now());
    } catch (err) {
      pack.deviceTries++;
      if (err instanceof LinkDownError) throw err;
    }
  }
  if (SEPARATE_SETTINGS.has(protocol) && options.now() >= pack.settingsDueAt) await readSettings(bus, pack, protocol, context, options);
  if (protocol === 'jk-nw' && pack.failures > 0 && pack.failures % 2 === 0) {
    // a sleeping NW board answers only after the activate command (docs/jk-bms-protocols.md §3.2); whatever it
    // says is ignored
    await wakeNw(bus, pack.address);
  }
  return pollPack(bus, protocol, pack.address, 'status', context);
}

/**
 * Reads the settings before the status (so the first message carries them), then every `settingsEveryMs` (0: only at
 * start, and after writes). A failed read is tried again on the next 3 polls, then at the settings interval.
 */
async function readSettings(bus: Rs485Bus, pack: PackState, protocol: JkProtocolId, context: JkDecodeContext, options: { settingsEveryMs: number; now: () => number }): Promise<void> {
  const later = options.settingsEveryMs > 0 ? options.now() + options.settingsEveryMs : Infinity;
  try {
    const read = await pollPack(bus, protocol, pack.address, 'settings', context);
    noteFrame(pack, read.decoded, options.now());
    pack.settingsTries = 0;
    pack.settingsDueAt = later;
  } catch (err) {
    if (err instanceof LinkDownError) throw err;
    pack.settingsTries++;
    pack.settingsDueAt = pack.settingsTries < 3 ? 0 : later;
  }
}

export type CommandProblem = 'command' | 'commandValue' | 'commandNumber' | 'writesOff' | 'notAllowed' | 'listenOnly' | 'commandAddress';
export type ParsedCommand =
  | { ok: true; set: string; value: boolean; address: number; kind: 'switch' }
  | { ok: true; set: JkWritableSetting; value: number; address: number; kind: 'setting' }
  | { ok: false; problem: CommandProblem; key?: string };

/** The settings a command may write (protocol/writes.ts): `{ set: 'maxChargeCurrent', value: 100 }` in the setting's unit. */
export function isWritableSetting(key: unknown): key is JkWritableSetting {
  return typeof key === 'string' && (JK_WRITABLE_SETTINGS as readonly string[]).includes(key);
}

/** Checks a `msg.command` against the allow-list and the node's packs, before anything is sent. */
export function parseCommand(command: unknown, allowed: ReadonlySet<string>, writesOn: boolean, listening: boolean, addresses: readonly number[]): ParsedCommand {
  if (typeof command !== 'object' || command === null) return { ok: false, problem: 'command' };
  const c = command as { set?: unknown; value?: unknown; address?: unknown };
  const isSwitch = typeof c.set === 'string' && Object.prototype.hasOwnProperty.call(WRITABLE, c.set);
  if (typeof c.set !== 'string' || (!isSwitch && !isWritableSetting(c.set))) return { ok: false, problem: 'command' };
  if (isSwitch && typeof c.value !== 'boolean') return { ok: false, problem: 'commandValue' };
  if (!isSwitch && (typeof c.value !== 'number' || !Number.isFinite(c.value))) return { ok: false, problem: 'commandNumber', key: c.set };
  if (!writesOn) return { ok: false, problem: 'writesOff' };
  if (!allowed.has(c.set)) return { ok: false, problem: 'notAllowed', key: c.set };
  if (listening) return { ok: false, problem: 'listenOnly' };
  const address = c.address === undefined && addresses.length === 1 ? addresses[0] : typeof c.address === 'number' && addresses.includes(c.address) ? c.address : undefined;
  if (address === undefined) return { ok: false, problem: 'commandAddress' };
  if (isSwitch) return { ok: true, set: c.set, value: c.value as boolean, address, kind: 'switch' };
  return { ok: true, set: c.set as JkWritableSetting, value: c.value as number, address, kind: 'setting' };
}
