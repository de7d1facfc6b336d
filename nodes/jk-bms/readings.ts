/**
 * What the JK adapter makes of a pack's answers: a decoded status frame screened against the physical ranges
 * (implausible keys dropped and named, a frame of nonsense refused), alarms tracked, only-on-change applied,
 * and the pack's messages shaped. No I/O; the clock is passed in.
 */
import type { NodeMessage } from 'node-red';
import type { Quality, ReadingValue } from '../../lib/wire/envelope';
import { ChangeFilter } from '../../lib/change-filter';
import { describeViolations } from '../../lib/plausibility';
import { ImplausibleFrameError } from './client';
import { AlarmTracker, identity, JkPayload, JkDeviceIdentity, packMessages, parseDeadbands, screenPack } from './messages';
import { JkDecoded, JkReading, maskSecrets } from './protocol';
import { noteFrame, PackState, packName } from './adapter';
import type { JkSettings } from './settings';

export interface Accepted {
  /** the messages to send (none when only-on-change found nothing new) */
  messages: NodeMessage[];
  /** the implausible keys dropped, described; undefined when there were none */
  implausible?: string;
}

export class PackReadings {
  private readonly filter: ChangeFilter;
  private readonly alarms = new AlarmTracker();
  /** set when the node turns to listening to another master: it then writes nothing */
  listening = false;

  constructor(
    private readonly settings: JkSettings,
    deadbandsText: string,
  ) {
    this.filter = new ChangeFilter(parseDeadbands(deadbandsText));
  }

  /**
   * A decoded status frame: its implausible values are dropped and it goes out as bad_data naming them
   * (msg.badKeys); a frame of nonsense throws ImplausibleFrameError, a failed read like a bad checksum.
   */
  accept(pack: PackState, decoded: JkDecoded, raw: { tx: Buffer[]; rx: Buffer[] } | undefined, now: number): Accepted {
    const screened = screenPack(decoded.reading ?? {});
    if (screened.rejected) throw new ImplausibleFrameError(describeViolations(screened.violations));
    const { badKeys } = screened;
    const quality: Quality = badKeys.length > 0 ? 'bad_data' : 'good';
    pack.lastGood = now;
    pack.failures = 0;
    noteFrame(pack, decoded, now);
    const reading = withSettings(screened.reading, pack);
    pack.lastReading = reading;
    // a change of quality always goes out whole: keys dropped as implausible come back, or leave
    const sameQuality = pack.quality === quality;
    pack.quality = quality;
    const implausible = badKeys.length > 0 ? describeViolations(screened.violations) : undefined;
    const key = String(pack.address);
    const deviceAlarms = this.alarms.update(key, reading.alarms ?? [], now, this.settings.lang);
    let keys: string[] | undefined;
    if (this.settings.onlyChanged) {
      keys = this.filter.changedKeys(key, reading as { [k: string]: ReadingValue });
      if (keys.length === 0 && sameQuality) return { messages: [], implausible };
      if (!sameQuality) keys = undefined;
    }
    const { prefix, perValue } = this.settings;
    const extra: Record<string, unknown> = {};
    if (badKeys.length > 0) extra.badKeys = badKeys;
    if (this.settings.rawHex && raw) extra.raw = { tx: raw.tx.map((b) => b.toString('hex')), rx: raw.rx.map((b) => maskSecrets(b)) };
    const shaped = packMessages({ prefix, device: deviceOf(pack, this.settings, this.listening), reading, quality, timestamp: now, alarms: deviceAlarms, perValue, keys: perValue ? keys : undefined });
    return { messages: shaped.map((m) => ({ ...m, ...extra }) as unknown as NodeMessage), implausible };
  }

  /** The pack's quality changed without new values (comm_error, bad_data, stale): one whole message. */
  qualityOnly(pack: PackState, quality: Quality, reading: JkPayload, now: number): NodeMessage[] {
    pack.quality = quality;
    const { prefix } = this.settings;
    return packMessages({ prefix, device: deviceOf(pack, this.settings, this.listening), reading, quality, timestamp: now, alarms: [], perValue: false }) as unknown as NodeMessage[];
  }
}

/** what the DZ11 balancer can be written (its own set commands); the BMS protocols take all but the cell count */
const BALANCER_WRITABLE: ReadonlySet<string> = new Set(['balancerEnabled', 'cellCount', 'balanceTriggerDelta', 'maxBalanceCurrent']);

/**
 * A status reading with what the pack's other frames said: `settings` (with `readAt`), `switches`, and
 * `balancerEnabled` from the configured balancer switch where the status frame has no balancer state (JK02, Modbus).
 */
export function withSettings(reading: JkReading, pack: PackState): JkPayload {
  const out: JkPayload = { ...reading };
  if (out.balancerEnabled === undefined && pack.switches?.balancer !== undefined) out.balancerEnabled = pack.switches.balancer;
  if (pack.settings && pack.settingsReadAt !== undefined) out.settings = { readAt: pack.settingsReadAt, ...pack.settings };
  if (pack.switches) out.switches = { ...pack.switches };
  return out;
}

/**
 * The pack's identity, plus the switches and settings a command may set on it now (`device.writable`; the uplink offers them
 * to Home Assistant): none while writes are off, while listening, before the protocol is known, or on NW.
 */
function deviceOf(pack: PackState, settings: JkSettings, listening: boolean): JkDeviceIdentity {
  const device = identity(pack.protocol === 'jk-balancer' ? 'jk-balancer' : 'jk-bms', packName(pack.address), pack.address, pack.device);
  const protocol = pack.protocol ?? (settings.mode === 'auto' || settings.mode === 'jk02-listen' ? undefined : settings.mode);
  if (settings.allowed.size === 0 || listening || protocol === undefined || protocol === 'jk-nw') return device;
  const writable = [...settings.allowed].filter((k) => (protocol === 'jk-balancer' ? BALANCER_WRITABLE.has(k) : k !== 'cellCount'));
  if (writable.length > 0) device.writable = writable;
  return device;
}
