/**
 * The alarm state of one Jupiter unit: merges what SNMP polls, traps and dry contacts say about each catalogue
 * alarm (any source active = active), and keeps, per alarm record, the value at raise and the value at end as
 * the manual's EM software logs them (docs/jupiter-hvdc.md §2.1). Pure: the clock is passed in.
 */
import { JUPITER_ALARMS, aggregateValue, alarmText, analogActive, jupiterAlarm, type JupiterAlarmDef } from './alarms';
import type { AlarmSeverity } from '../../lib/alarm-types';
import { UPS_WELL_KNOWN_ALARMS, upsAlarmId, type DecodedUnit, type WellKnownAlarm } from './profile';

export type AlarmSource = 'snmp' | 'contact' | 'trap';
export type AlarmValue = number | string | boolean;

export interface AlarmRecord {
  id: string;
  text: string;
  severity: AlarmSeverity;
  /** the manual's class; `ups` for a UPS-MIB alarm outside the Jupiter catalogue */
  manualClass: 'general' | 'serious' | 'ups';
  /** where the alarm came from first */
  source: AlarmSource;
  /** ms since the epoch when raised */
  since: number;
  raiseValue: AlarmValue;
  endedAt?: number;
  endValue?: AlarmValue;
}

export interface AlarmEvent extends AlarmRecord {
  event: 'raised' | 'ended';
}

interface SourceState {
  active: boolean;
  value: AlarmValue;
}

interface AlarmSlot {
  bySource: Partial<Record<AlarmSource, SourceState>>;
  record?: AlarmRecord;
}

const UPS_ONLY: readonly { alarm: WellKnownAlarm; id: string }[] = UPS_WELL_KNOWN_ALARMS.filter((a) => !a.jupiter).map((alarm) => ({ alarm, id: upsAlarmId(alarm) }));
/** the well-known UPS alarms standing for each catalogue alarm, looked up once */
const STANDING = new Map(JUPITER_ALARMS.map((def) => [def.id, UPS_WELL_KNOWN_ALARMS.filter((a) => a.jupiter === def.id)]));

function upsOnlyText(a: WellKnownAlarm, lang: string): string {
  return lang.toLowerCase().startsWith('zh') ? a.text['zh-CN'] : a.text['en-US'];
}

export class UnitAlarms {
  private readonly slots = new Map<string, AlarmSlot>();
  private events: AlarmEvent[] = [];

  constructor(private readonly lang: string) {}

  private slot(id: string): AlarmSlot {
    let s = this.slots.get(id);
    if (!s) {
      s = { bySource: {} };
      this.slots.set(id, s);
    }
    return s;
  }

  /** Sets what one source says about one alarm; `undefined` = this source cannot tell any more. */
  set(id: string, source: AlarmSource, state: SourceState | undefined, now: number): void {
    const s = this.slot(id);
    if (state === undefined) delete s.bySource[source];
    else s.bySource[source] = state;
    this.settle(id, s, source, now);
  }

  private describe(id: string): { text: string; severity: AlarmSeverity; manualClass: AlarmRecord['manualClass'] } {
    const def = jupiterAlarm(id);
    if (def) return { text: alarmText(def, this.lang), severity: def.severity, manualClass: def.manualClass };
    const ups = UPS_ONLY.find((a) => a.id === id);
    return { text: ups ? upsOnlyText(ups.alarm, this.lang) : id, severity: 'minor', manualClass: 'ups' };
  }

  private settle(id: string, s: AlarmSlot, changed: AlarmSource, now: number): void {
    const activeSources = (Object.keys(s.bySource) as AlarmSource[]).filter((k) => s.bySource[k]?.active);
    const active = activeSources.length > 0;
    if (active && !s.record) {
      const source = activeSources.includes(changed) ? changed : activeSources[0];
      const d = this.describe(id);
      s.record = { id, ...d, source, since: now, raiseValue: s.bySource[source]?.value ?? 1 };
      this.events.push({ ...s.record, event: 'raised' });
    } else if (!active && s.record && Object.keys(s.bySource).length > 0) {
      const ended: AlarmRecord = { ...s.record, endedAt: now, endValue: s.bySource[changed]?.value ?? Object.values(s.bySource)[0]?.value ?? 0 };
      s.record = undefined;
      this.events.push({ ...ended, event: 'ended' });
    }
    // no source can tell (all unknown): keep the alarm as it was; the message quality says why
  }

  /** Applies one decoded SNMP answer: vendor flags, analog thresholds, UPS-MIB alarm table, link state. */
  applySnmp(decoded: DecodedUnit, upsTableRead: boolean, now: number): void {
    const upsPresent = new Set(decoded.upsAlarms.map((a) => a.n));
    for (const def of JUPITER_ALARMS) {
      const state = this.snmpStateOf(def, decoded, upsTableRead ? upsPresent : undefined);
      if (state !== undefined) {
        this.set(def.id, 'snmp', state, now);
        // a poll that can see the alarm supersedes what a trap said
        if (this.slots.get(def.id)?.bySource.trap) this.set(def.id, 'trap', undefined, now);
      }
    }
    this.set('network_interruption', 'snmp', { active: false, value: 0 }, now);
    if (upsTableRead) {
      for (const { alarm: a, id } of UPS_ONLY) {
        this.set(id, 'snmp', { active: upsPresent.has(a.n), value: upsPresent.has(a.n) ? 1 : 0 }, now);
        if (this.slots.get(id)?.bySource.trap) this.set(id, 'trap', undefined, now);
      }
    }
  }

  private snmpStateOf(def: JupiterAlarmDef, d: DecodedUnit, upsPresent: Set<number> | undefined): SourceState | undefined {
    if (def.signal.kind === 'link') return undefined;
    const s = def.signal;
    // 1. a mapped vendor flag
    if (def.id in d.flagAlarms) return { active: d.flagAlarms[def.id], value: d.flags[def.id] };
    // 2. the measured value against the manual's threshold
    if (s.kind === 'analog') {
      const raw = d.values[s.key];
      const reduced = s.reducedKey !== undefined ? d.values[s.reducedKey] : undefined;
      const value = Array.isArray(raw) ? aggregateValue(s, raw) : typeof raw === 'number' ? raw : typeof reduced === 'number' ? reduced : undefined;
      if (value !== undefined) {
        const was = this.slots.get(def.id)?.bySource.snmp?.active ?? false;
        return { active: analogActive(s, value, was), value };
      }
    }
    // 3. the RFC 1628 well-known alarms standing for it
    if (upsPresent) {
      const standing = STANDING.get(def.id) ?? [];
      if (standing.length > 0) {
        const present = standing.filter((a) => upsPresent.has(a.n));
        return { active: present.length > 0, value: present.length > 0 ? present.map((a) => a.name).join(',') : 0 };
      }
    }
    return undefined;
  }

  /** The unit did not answer: network interruption (raised at 1.00, ended at 0.00 as the manual logs it). */
  applyCommFailure(now: number): void {
    this.set('network_interruption', 'snmp', { active: true, value: 1 }, now);
  }

  /** A trap said an alarm is present or gone. */
  applyTrap(id: string, active: boolean, value: AlarmValue, now: number): void {
    this.set(id, 'trap', { active, value }, now);
  }

  /** A dry contact's alarm state, in the manual's flag polarity; `undefined` when the contact cannot tell. */
  applyContact(id: string, active: boolean | undefined, now: number): void {
    const def = jupiterAlarm(id);
    const alarmFlag = def?.signal.kind === 'flag' ? def.signal.alarmFlag : 1;
    if (active === undefined) this.set(id, 'contact', undefined, now);
    else this.set(id, 'contact', { active, value: active ? alarmFlag : 1 - alarmFlag }, now);
  }

  /** whether any source has said anything about the alarm */
  known(id: string): boolean {
    const s = this.slots.get(id);
    return s !== undefined && Object.keys(s.bySource).length > 0;
  }

  isActive(id: string): boolean {
    return this.slots.get(id)?.record !== undefined;
  }

  active(): AlarmRecord[] {
    const out: AlarmRecord[] = [];
    for (const s of this.slots.values()) if (s.record) out.push(s.record);
    return out.sort((a, b) => a.since - b.since || a.id.localeCompare(b.id));
  }

  /** the raise/end events since the last call */
  takeEvents(): AlarmEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  get pendingEvents(): number {
    return this.events.length;
  }
}
