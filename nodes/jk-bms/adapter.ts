/**
 * The JK adapter: how one pack is read over the rs485-bus (detection, identity, the NW wake-up, the status
 * poll) and which write commands are allowed.
 * No Node-RED here; the bus is the only I/O.
 */
import type { Quality } from '../../lib/wire/envelope';
import { LinkDownError, Rs485Bus } from '../../lib/rs485/bus';
import { detectPack, pollPack, PollResult, wakeNw, WRITABLE } from './client';
import { JkDecodeContext, JkDeviceInfo, JkProtocolId, JkReading } from './protocol';

export type Mode = JkProtocolId | 'auto' | 'jk02-listen';
export const MODES: readonly Mode[] = ['auto', 'jk-nw', 'jk02', 'jk02-listen', 'jk-modbus', 'jk-balancer'];

export interface PackState {
  address: number;
  protocol?: JkProtocolId;
  device?: JkDeviceInfo;
  deviceTries: number;
  failures: number;
  lastGood: number;
  lastReading?: JkReading;
  quality?: Quality;
  polls: number;
}

export function newPack(address: number): PackState {
  return { address, deviceTries: 0, failures: 0, lastGood: 0, polls: 0 };
}

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
  options: { multiDrop: boolean; noProtocol: () => Error },
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
      if (info.decoded.device) pack.device = info.decoded.device;
    } catch (err) {
      pack.deviceTries++;
      if (err instanceof LinkDownError) throw err;
    }
  }
  if (protocol === 'jk-nw' && pack.failures > 0 && pack.failures % 2 === 0) {
    // a sleeping NW board answers only after the activate command (docs/jk-bms-protocols.md §3.2); whatever it
    // says is ignored
    await wakeNw(bus, pack.address);
  }
  return pollPack(bus, protocol, pack.address, 'status', context);
}

export type CommandProblem = 'command' | 'commandValue' | 'writesOff' | 'notAllowed' | 'listenOnly' | 'commandAddress';
export type ParsedCommand = { ok: true; set: string; value: boolean; address: number } | { ok: false; problem: CommandProblem; key?: string };

/** Checks a `msg.command` against the allow-list and the node's packs, before anything is sent. */
export function parseCommand(command: unknown, allowed: ReadonlySet<string>, writesOn: boolean, listening: boolean, addresses: readonly number[]): ParsedCommand {
  if (typeof command !== 'object' || command === null) return { ok: false, problem: 'command' };
  const c = command as { set?: unknown; value?: unknown; address?: unknown };
  if (typeof c.set !== 'string' || !(c.set in WRITABLE)) return { ok: false, problem: 'command' };
  if (typeof c.value !== 'boolean') return { ok: false, problem: 'commandValue' };
  if (!writesOn) return { ok: false, problem: 'writesOff' };
  if (!allowed.has(c.set)) return { ok: false, problem: 'notAllowed', key: c.set };
  if (listening) return { ok: false, problem: 'listenOnly' };
  if (c.address === undefined && addresses.length === 1) return { ok: true, set: c.set, value: c.value, address: addresses[0] };
  if (typeof c.address === 'number' && addresses.includes(c.address)) return { ok: true, set: c.set, value: c.value, address: c.address };
  return { ok: false, problem: 'commandAddress' };
}
