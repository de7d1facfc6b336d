/**
 * The bacs node's messages: the poll's reading as one envelope, one message per module (plus the system), or one
 * per string with its modules; only-on-change per part; `badKeys` relative to each message's own payload.
 * Pure apart from the change filter's memory.
 */
import type { NodeMessage } from 'node-red';
import type { DeviceAlarm, DeviceIdentity, DeviceMessage, Quality, Reading, ReadingValue } from '../../lib/wire/envelope';
import { deviceTopic, envelope } from '../../lib/wire/envelope';
import { ChangeFilter } from '../../lib/change-filter';
import { badKeysUnder } from '../../lib/plausibility';
import { BacsReading, BacsSettings, bacsUnits, moduleUnits } from './settings';

/** what node.send takes: one message, or one output's list of messages */
export type Outgoing = NodeMessage | NodeMessage[][];

export class BacsMessages {
  private readonly filter: ChangeFilter;

  constructor(
    private readonly settings: BacsSettings,
    private readonly device: DeviceIdentity,
  ) {
    const d = settings.deadbands;
    this.filter = new ChangeFilter({
      deadbands: { voltage: d.voltage, averageVoltage: d.voltage, temperature: d.temperature, resistance: d.resistance, current: d.current, rippleCurrent: d.current },
    });
  }

  /** forget what was sent: the next poll sends everything */
  reset(): void {
    this.filter.reset();
  }

  /**
   * The poll's reading in the configured shape, or undefined when only-on-change leaves nothing to send.
   * `badKeys` are paths in the whole reading; a message that carries part of it gets the ones under that part,
   * and quality bad_data only when it has any. `lastQuality`: a change of quality always goes out.
   */
  messages(reading: BacsReading, quality: Quality, alarms: DeviceAlarm[], timestamp: number, badKeys: string[], lastQuality: Quality | undefined): Outgoing | undefined {
    const { settings, device, filter } = this;
    const units = bacsUnits();
    const systemBad = badKeys.filter((k) => !k.startsWith('modules['));
    const stringUnits = (): DeviceMessage['units'] => Object.fromEntries(Object.entries(units).filter(([k]) => k.startsWith('strings.')));
    if (settings.output === 'perModule') {
      const { modules, ...system } = reading;
      const messages: NodeMessage[] = [];
      if (!settings.onlyOnChange || this.changedSystem(system)) {
        const msg = envelope({ prefix: settings.topicPrefix, device, reading: system, quality: partQuality(quality, systemBad), timestamp, alarms, units: {} });
        msg.units = stringUnits();
        messages.push(withBadKeys(msg, systemBad));
      }
      (modules ?? []).forEach((m, i) => {
        if (settings.onlyOnChange && !filter.changed(`module/${m.id}`, m as unknown as Reading)) return;
        const own = badKeysUnder(badKeys, `modules[${i}].`);
        const msg: DeviceMessage = {
          topic: deviceTopic(settings.topicPrefix, device.name, `module/${m.id}`),
          payload: m as unknown as Reading,
          device,
          quality: partQuality(quality, own),
          timestamp,
          alarms: alarms.filter((a) => a.id.startsWith(`module/${m.id}/`)),
          units: moduleUnits(m),
        };
        messages.push(withBadKeys(msg, own));
      });
      return messages.length > 0 ? [messages] : undefined;
    }
    if (settings.output === 'perString') {
      // one message per string with its modules: what a per-string rule (temperature spread) needs
      const { modules, strings, ...system } = reading;
      const messages: NodeMessage[] = [];
      if (!settings.onlyOnChange || this.changedSystem({ ...system, strings })) {
        const msg = envelope({ prefix: settings.topicPrefix, device, reading: { ...system, strings }, quality: partQuality(quality, systemBad), timestamp, alarms, units: {} });
        msg.units = stringUnits();
        messages.push(withBadKeys(msg, systemBad));
      }
      const indexes = new Set<number>([...(strings ?? []).map((s) => s.index), ...(modules ?? []).map((m) => m.string)]);
      for (const index of [...indexes].sort((a, b) => a - b)) {
        const own = (modules ?? []).filter((m) => m.string === index);
        const position = (strings ?? []).findIndex((s) => s.index === index);
        const str = (strings ?? [])[position] ?? { index };
        // bad keys relative to this message's payload: the string's own fields, then its modules by their place here
        const ownBad = [
          ...(position >= 0 ? badKeysUnder(badKeys, `strings[${position}].`) : []),
          ...own.flatMap((m, p) => badKeysUnder(badKeys, `modules[${(modules ?? []).indexOf(m)}].`).map((k) => `modules[${p}].${k}`)),
        ];
        if (settings.onlyOnChange) {
          let changed = filter.changed(`string/${index}`, str as unknown as Reading);
          for (const m of own) changed = filter.changed(`module/${m.id}`, m as unknown as Reading) || changed;
          if (!changed) continue;
        }
        const msg: DeviceMessage = {
          topic: deviceTopic(settings.topicPrefix, device.name, `string/${index}`),
          payload: { ...str, modules: own } as unknown as Reading,
          device,
          quality: partQuality(quality, ownBad),
          timestamp,
          alarms: alarms.filter((a) => own.some((m) => a.id.startsWith(`module/${m.id}/`))),
          units: Object.fromEntries(Object.entries(units).map(([k, u]) => [k.replace(/^strings\./, ''), u])),
        };
        messages.push(withBadKeys(msg, ownBad));
      }
      return messages.length > 0 ? [messages] : undefined;
    }
    if (settings.onlyOnChange) {
      // evaluate every part so each records what it last sent, then send if any changed
      const { modules, ...system } = reading;
      let changed = this.changedSystem(system);
      for (const m of modules ?? []) changed = filter.changed(`module/${m.id}`, m as unknown as Reading) || changed;
      if (!changed && quality === lastQuality) return undefined;
    }
    const msg = envelope({ prefix: settings.topicPrefix, device, reading, quality, timestamp, alarms, units: {} });
    msg.units = units;
    return withBadKeys(msg, badKeys);
  }

  /** A message with no values: the values stopped being current (comm_error, stale) or are nonsense (bad_data). */
  qualityOnly(quality: Quality, timestamp: number, error?: string): NodeMessage {
    const msg = envelope({ prefix: this.settings.topicPrefix, device: this.device, reading: {}, quality, timestamp, units: {} }) as unknown as NodeMessage & {
      error?: { message: string };
    };
    if (error) msg.error = { message: error };
    return msg;
  }

  private changedSystem(system: Omit<BacsReading, 'modules'>): boolean {
    const flat: Reading = {};
    for (const [k, v] of Object.entries(system)) if (v !== undefined && k !== 'strings') flat[k] = v as ReadingValue;
    let changed = this.filter.changed('system', flat);
    for (const s of system.strings ?? []) changed = this.filter.changed(`string/${s.index}`, s as unknown as Reading) || changed;
    return changed;
  }
}

/** A part's quality: bad_data only for a part with implausible values of its own; a link failure wins. */
function partQuality(quality: Quality, own: readonly string[]): Quality {
  if (quality === 'comm_error' || quality === 'stale') return quality;
  return own.length > 0 ? 'bad_data' : 'good';
}

/** The message as sent, with `badKeys` (the payload keys left out as implausible) when there are any. */
function withBadKeys(msg: DeviceMessage<object>, badKeys: readonly string[]): NodeMessage {
  return (badKeys.length > 0 ? { ...msg, badKeys: [...badKeys] } : msg) as unknown as NodeMessage;
}
