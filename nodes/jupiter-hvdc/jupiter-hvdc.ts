/**
 * jupiter-hvdc: Jupiter J540/J560 240 V HVDC units over SNMP (through the snmp-endpoint link) and dry contacts.
 * One node polls every unit of its link, one message per unit; traps from the link update the unit's alarms
 * at once; a unit without an SNMP card (contacts only) still reports its alarms.
 * Thin glue (docs/design.md §1.4): profile.ts decodes, unit.ts merges alarms, contacts.ts debounces.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage } from 'node-red';
import { envelope, envelopePerValue, type EnvelopeInput, type DeviceAlarm, type Quality, type Reading, type ReadingValue, type Unit } from '../../lib/wire/envelope';
import { Poller } from '../../lib/poller';
import { ErrorOnce, asError, guard, translator, type DoneFunction, type SendFunction } from '../../lib/red';
import { statusVocabulary, type NodeStatus } from '../../lib/status';
import { TimerSet } from '../../lib/timers';
import type { SnmpLink, SnmpTarget, SnmpTrap, SnmpVarbind } from '../../lib/snmp/types';
import { JUPITER_ALARMS, jupiterAlarm } from './alarms';
import { ContactInput, parseContactMessage, planContactReads, validateContacts, type ContactConfig } from './contacts';
import {
  OID,
  answerFrom,
  decodeRow,
  decodeUnit,
  defaultProfile,
  importProfile,
  normaliseOid,
  pollPlan,
  upsAlarmId,
  validateProfile,
  wellKnownAlarmOf,
  type DecodedUnit,
  type JupiterProfile,
} from './profile';
import { UnitAlarms, type AlarmEvent } from './unit';
import { asSnmpLink } from './link';
import { describeViolations } from '../../lib/plausibility';
import { screenUnit } from './screen';
import { JUPITER_SCHEMA } from './schema';
import { unitsOf } from '../../lib/schema';
import { missingSummary, parseUnitRows, resolveUnitNames, type MissingUnit } from './naming';
import { registerAlarmPresets } from '../../lib/alarm-presets';
import { jupiterPreset } from './alarms';

interface JupiterNodeDef extends NodeDef {
  link?: string;
  units?: unknown;
  interval?: number | string;
  staleTime?: number | string;
  topicPrefix?: string;
  profile?: string;
  contacts?: unknown;
  lang?: string;
  modbusLink?: string;
  contactInterval?: number | string;
  /** `unit` (default): one message per unit; `value`: one message per value, topic <prefix>/<unit>/<key> */
  output?: string;
  /** negate batteryCurrent: RFC 1628 gives it no sign and the manual is silent, so "+ = charging" is unverified */
  invertCurrent?: boolean;
}

/** the part of the modbus-endpoint link (lib/modbus/link.ts) the contact inputs use */
interface ModbusBits {
  register(user: { id: string }): void;
  deregister(user: { id: string }): Promise<void> | void;
  readBits(functionCode: 1 | 2, address: number, count: number): Promise<boolean[]>;
}

function asModbusBits(candidate: unknown): ModbusBits | undefined {
  const o = candidate as Record<string, unknown> | null | undefined;
  if (!o || typeof o !== 'object') return undefined;
  return typeof o.readBits === 'function' && typeof o.register === 'function' && typeof o.deregister === 'function' ? (o as unknown as ModbusBits) : undefined;
}

/** one unit the node reports */
interface UnitRuntime {
  name: string;
  target?: SnmpTarget;
  alarms: UnitAlarms;
  contacts: ContactInput[];
  decoded?: DecodedUnit;
  quality: Quality;
  lastGood: number;
  lastUpTime?: number;
  entitySensor: boolean;
  readAt: number;
  trapOnBattery?: boolean;
}

/** the unit of every reading key that has one (schema.ts) */
const UNITS: { [key: string]: Unit } = unitsOf(JUPITER_SCHEMA);

/** the reading keys a Jupiter message carries, in this order (docs/design.md §3.3) */
const READING_ORDER = ['dcOutputVoltage', 'loadVoltage', 'batteryVoltage', 'batteryCurrent', 'soc', 'batteryTemperature'];

function targetLabel(t: SnmpTarget): string {
  return t.port === 161 ? t.host : `${t.host}:${t.port}`;
}

/** the link's own display name for a target (`host` on its default port), when it offers one */
function endpointName(linkNode: unknown, target: SnmpTarget): string | undefined {
  const o = linkNode as { targetName?: unknown } | undefined;
  if (!o || typeof o.targetName !== 'function') return undefined;
  try {
    const n = (o.targetName as (t: SnmpTarget) => unknown).call(o, target);
    return typeof n === 'string' && n !== '' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** register with the link so it can delegate its status and errors to this node (SnmpEndpoint) */
function linkRegistration(linkNode: unknown, user: { id: string }, on: boolean): void {
  const o = linkNode as { register?: unknown; deregister?: unknown } | undefined;
  const fn = on ? o?.register : o?.deregister;
  if (typeof fn === 'function') {
    try {
      (fn as (u: { id: string }) => void).call(o, user);
    } catch {
      /* registration is a courtesy */
    }
  }
}

function seconds(v: unknown, fallback: number, min: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n >= min ? n : fallback;
}

export = function (RED: NodeAPI): void {
  registerAlarmPresets([jupiterPreset]);
  const t = translator(RED);

  function JupiterHvdcNode(this: Node, config: JupiterNodeDef): void {
    RED.nodes.createNode(this, config);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    const status = statusVocabulary(t);
    const timers = new TimerSet();
    const lang = config.lang === 'zh-CN' ? 'zh-CN' : 'en-US';
    const prefix = (config.topicPrefix ?? '').trim() || 'jupiter';
    const intervalMs = seconds(config.interval, 10, 1) * 1000;
    const staleMs = seconds(config.staleTime, 0, 0) * 1000 || 3 * intervalMs;
    const errors = new ErrorOnce((err, key) => {
      node.error(err, { topic: `${prefix}/${key}`, payload: err.message } as NodeMessage);
    });
    // a setup error found in the constructor waits until the flow's Catch nodes exist
    const reportSoon = (key: string, err: Error): void => {
      timers.timeout(() => errors.report(key, err), 250);
    };
    /** a node that stopped at a setup error still clears its timer on close */
    const closeEarly = (): void => {
      node.on('close', (_removed: boolean, done: () => void) => {
        timers.close();
        done();
      });
    };
    let closed = false;
    let lastStatusKey = '';
    const setStatus = (s: NodeStatus, key: string): void => {
      // status on each transition, and when the text (the time) changes
      const k = `${key}|${s.text ?? ''}`;
      if (k === lastStatusKey) return;
      lastStatusKey = k;
      node.status(s);
    };

    // ---- profile
    let profile: JupiterProfile = defaultProfile();
    if (typeof config.profile === 'string' && config.profile.trim() !== '') {
      const p = importProfile(config.profile);
      if (p.ok) profile = p.profile;
      else {
        const err = new Error(t('jupiter-hvdc.errors.badProfile', { reason: p.errors.slice(0, 3).join('; ') }));
        reportSoon('profile', err);
        setStatus(status.error(t('jupiter-hvdc.status.badProfile')), 'profile');
        closeEarly();
        return;
      }
    }

    // ---- contacts
    const contactsResult = validateContacts(config.contacts);
    let contactConfigs: ContactConfig[] = [];
    if (!contactsResult.ok) {
      reportSoon('contacts', new Error(t('jupiter-hvdc.errors.badContacts', { reason: contactsResult.errors.slice(0, 3).join('; ') })));
      setStatus(status.error(t('jupiter-hvdc.status.badContacts')), 'contacts');
      closeEarly();
      return;
    }
    contactConfigs = contactsResult.contacts;
    const modbusContacts = contactConfigs.filter((c) => c.source === 'modbus');
    const modbusNode = modbusContacts.length > 0 && config.modbusLink ? RED.nodes.getNode(config.modbusLink) : undefined;
    const modbus = asModbusBits(modbusNode);
    if (modbusContacts.length > 0 && !modbus) {
      reportSoon('modbus', new Error(t('jupiter-hvdc.errors.noModbusLink', { contacts: modbusContacts.map((c) => c.n).join(', ') })));
    }

    // ---- link and units
    const linkNode = config.link ? RED.nodes.getNode(config.link) : undefined;
    const link = asSnmpLink(linkNode);
    if (config.link && !link) {
      reportSoon('link', new Error(t('common.errors.noLink')));
    }
    const nameRows = parseUnitRows(config.units);
    const units: UnitRuntime[] = [];
    /** name rows whose unit the link does not have: shown in the status until the node is fixed */
    let notOnLink: MissingUnit[] = [];
    const makeUnit = (name: string, target?: SnmpTarget): UnitRuntime => ({
      name,
      target,
      alarms: new UnitAlarms(lang),
      contacts: [],
      quality: target ? 'stale' : 'good',
      lastGood: 0,
      entitySensor: profile.entitySensor !== 'off',
      readAt: 0,
    });
    if (link) {
      let targets: SnmpTarget[] = [];
      try {
        targets = link.targets();
      } catch (err) {
        errors.report('link', asError(err));
      }
      const nameOf = (target: SnmpTarget): string => endpointName(linkNode, target) ?? targetLabel(target);
      const naming = resolveUnitNames(nameRows, targets, nameOf);
      targets.forEach((target, i) => units.push(makeUnit(naming.names.get(i) ?? nameOf(target), target)));
      notOnLink = naming.missing;
      const listed = (list: MissingUnit[]): string => list.map((m) => `${m.name} (${m.ref})`).join(', ');
      // a warning, not an error: the other units work, and nothing a Catch node could act on has happened
      if (naming.missing.length > 0) node.warn(t('jupiter-hvdc.errors.notOnLink', { units: listed(naming.missing), count: targets.length }));
      if (naming.duplicates.length > 0) node.warn(t('jupiter-hvdc.errors.namedTwice', { units: listed(naming.duplicates) }));
    }
    const unitByName = new Map(units.map((u) => [u.name, u]));
    // contacts attach to their unit by name or target; an unknown unit becomes a contacts-only unit
    for (const c of contactConfigs) {
      const wanted = c.unit !== '' ? c.unit : units[0]?.name ?? 'jupiter';
      let unit = unitByName.get(wanted) ?? units.find((u) => u.target && (targetLabel(u.target) === wanted || `${u.target.host}:${u.target.port}` === wanted));
      if (!unit) {
        unit = makeUnit(wanted);
        units.push(unit);
        unitByName.set(wanted, unit);
      }
      unit.contacts.push(new ContactInput(c));
    }
    const contactByN = new Map<number, { unit: UnitRuntime; input: ContactInput }>();
    for (const u of units) for (const c of u.contacts) contactByN.set(c.config.n, { unit: u, input: c });
    const snmpUnits = units.filter((u) => u.target);

    /** `rack-3 not on link`, appended to the status while a name row points past the link's list */
    const notOnLinkText = (): string => (notOnLink.length > 0 ? t('jupiter-hvdc.status.notOnLink', { name: missingSummary(notOnLink) }) : '');
    const warnNotOnLink = (s: NodeStatus): NodeStatus => {
      if (notOnLink.length === 0 || s.fill === 'red') return s;
      return { ...s, fill: 'yellow', text: `${s.text ?? ''} ${notOnLinkText()}`.trim() };
    };

    if (units.length === 0) {
      if (notOnLink.length > 0) setStatus({ fill: 'yellow', shape: 'ring', text: notOnLinkText() }, 'notOnLink');
      else setStatus(status.notConfigured(), 'notConfigured');
    }

    // ---- message shaping
    const perValue = config.output === 'value';
    const buildMessage = (u: UnitRuntime, now: number): NodeMessage | NodeMessage[] => {
      const d = u.decoded;
      const reading: Reading = {};
      if (d) {
        for (const k of READING_ORDER) if (d.values[k] !== undefined) reading[k] = d.values[k] as ReadingValue;
        for (const [k, v] of Object.entries(d.values)) if (!(k in reading) && k !== 'onBattery') reading[k] = v as ReadingValue;
      }
      // AC input: the merged alarms say it best; otherwise the UPS output source
      const acKnown = u.alarms.known('ac_interruption') || u.alarms.known('ac_breaker_open');
      const onBattery = u.trapOnBattery ?? (typeof d?.values.onBattery === 'boolean' ? d.values.onBattery : undefined);
      if (acKnown) reading.acInputOk = !(u.alarms.isActive('ac_interruption') || u.alarms.isActive('ac_breaker_open'));
      else if (onBattery !== undefined) reading.acInputOk = !onBattery;
      if (onBattery !== undefined) reading.onBattery = onBattery;
      if (d?.rectifiers) reading.rectifiers = d.rectifiers.map((r) => ({ ...r })) as unknown as ReadingValue;
      if (u.contacts.length > 0) {
        const contacts: { [n: string]: ReadingValue } = {};
        const states: { [n: string]: ReadingValue } = {};
        for (const c of u.contacts) {
          states[String(c.config.n)] = c.state;
          if (c.state === 'closed' || c.state === 'open') contacts[String(c.config.n)] = c.state === 'closed';
        }
        reading.contacts = contacts;
        reading.contactStates = states;
      }
      // flags in the manual's polarity, wherever the alarm's state is known (the alarm-rules preset reads them)
      const flags: { [id: string]: ReadingValue } = {};
      for (const def of JUPITER_ALARMS) {
        if (def.signal.kind !== 'flag' || !u.alarms.known(def.id)) continue;
        flags[def.id] = u.alarms.isActive(def.id) ? def.signal.alarmFlag : def.signal.clearFlag;
      }
      if (d) for (const [id, f] of Object.entries(d.flags)) if (!(id in flags)) flags[id] = f;
      if (Object.keys(flags).length > 0) reading.flags = flags;
      if (d && Object.keys(d.sensors).length > 0) reading.sensors = d.sensors;
      const active = u.alarms.active();
      reading.alarms = active.map((a) => a.id);
      const quality: Quality = u.contacts.some((c) => c.state === 'comm_error') && !u.target ? 'comm_error' : u.quality;
      const input: EnvelopeInput<Reading> = {
        prefix,
        device: {
          kind: 'jupiter-hvdc',
          name: u.name,
          ...(u.target ? { address: `${u.target.host}:${u.target.port}` } : {}),
          ...(d?.identity.model ? { model: d.identity.model } : {}),
          ...(d?.identity.firmware ? { firmware: d.identity.firmware } : {}),
        },
        reading,
        quality,
        timestamp: u.readAt || now,
        alarms: active as DeviceAlarm[],
        units: UNITS,
      };
      const events = u.alarms.takeEvents();
      if (perValue) {
        // dashboards: one message per value; the raise/end events ride on the `alarms` value's message
        return envelopePerValue(input).map((m) => {
          const out = m as unknown as NodeMessage & { alarmEvents?: AlarmEvent[]; badKeys?: string[] };
          if (events.length > 0 && m.topic.endsWith('/alarms')) out.alarmEvents = events;
          if (d?.badKeys) out.badKeys = d.badKeys;
          return out;
        });
      }
      const msg = envelope(input) as unknown as NodeMessage & { alarmEvents?: AlarmEvent[]; unsupported?: string[]; badKeys?: string[] };
      if (events.length > 0) msg.alarmEvents = events;
      if (d && d.unsupported.length > 0) msg.unsupported = d.unsupported;
      if (d?.badKeys) msg.badKeys = d.badKeys;
      return msg;
    };

    const sendUnit = (u: UnitRuntime): void => {
      if (closed) return;
      try {
        const out = buildMessage(u, Date.now());
        node.send(Array.isArray(out) ? [out] : out);
      } catch (err) {
        errors.report(`${u.name}/send`, asError(err));
      }
    };

    // ---- SNMP polling
    const pollUnit = async (u: UnitRuntime): Promise<boolean> => {
      if (!link || !u.target) return false;
      const target = u.target;
      const plan = pollPlan(profile, { entitySensor: u.entitySensor });
      let gets: SnmpVarbind[];
      const walks: [string, SnmpVarbind[]][] = [];
      try {
        gets = await link.get(target, plan.gets);
        for (const base of plan.walks) {
          // a table the agent does not have is an empty walk, not a failure
          walks.push([base, await link.walk(target, base)]);
        }
      } catch (err) {
        if (closed) return false;
        const now = Date.now();
        const e = asError(err);
        u.quality = 'comm_error';
        u.readAt = now;
        u.alarms.applyCommFailure(now);
        errors.report(u.name, new Error(t('jupiter-hvdc.errors.pollFailed', { unit: u.name, reason: e.message })));
        sendUnit(u);
        return false;
      }
      if (closed) return false;
      const now = Date.now();
      // values no unit can have are dropped before anything uses them (ranges.ts); the message names them
      const decoded = screenUnit(decodeUnit(profile, answerFrom(gets, walks)), profile);
      if (config.invertCurrent === true && typeof decoded.values.batteryCurrent === 'number') decoded.values.batteryCurrent = -decoded.values.batteryCurrent;
      const entityWalked = plan.walks.includes(OID.entPhySensorEntry);
      if (entityWalked && !decoded.entitySensorSeen) u.entitySensor = false; // the agent has no sensor table
      const up = decoded.identity.upTimeSeconds;
      if (up !== undefined && u.lastUpTime !== undefined && up + 1 < u.lastUpTime) {
        node.log(t('jupiter-hvdc.log.restarted', { unit: u.name }));
      }
      if (up !== undefined) u.lastUpTime = up;
      const anyValue = Object.keys(decoded.values).length > 0 || decoded.upsAlarms.length > 0 || Object.keys(decoded.flagAlarms).length > 0;
      u.decoded = decoded;
      u.readAt = now;
      u.trapOnBattery = undefined;
      if (!anyValue) {
        u.quality = 'bad_data';
        errors.report(u.name, new Error(t('jupiter-hvdc.errors.noValues', { unit: u.name, invalid: decoded.invalid.join(', ') || '-' })));
      } else {
        u.quality = decoded.badKeys ? 'bad_data' : 'good';
        u.lastGood = now;
        if (decoded.badKeys) errors.report(u.name, new Error(t('common.errors.implausible', { device: u.name, keys: describeViolations(decoded.violations ?? []) })));
        else errors.clear(u.name);
      }
      const upsTableRead = profile.upsMib && plan.walks.includes(OID.upsAlarmDescr);
      u.alarms.applySnmp(decoded, upsTableRead, now);
      sendUnit(u);
      return anyValue;
    };

    const updateStatus = (): void => {
      if (closed) return;
      if (snmpUnits.length === 0) {
        if (units.length === 0) return;
        const bad = units.filter((u) => u.contacts.some((c) => c.state === 'comm_error')).length;
        const active = units.reduce((n, u) => n + u.alarms.active().length, 0);
        if (bad > 0) setStatus(status.error(t('jupiter-hvdc.status.contactComm')), 'contactComm');
        else setStatus(warnNotOnLink(status.ok(Date.now(), t('jupiter-hvdc.status.alarms', { count: active }))), 'ok');
        return;
      }
      const good = snmpUnits.filter((u) => u.quality === 'good').length;
      const active = units.reduce((n, u) => n + u.alarms.active().length, 0);
      if (good === 0) {
        setStatus(status.error(t('jupiter-hvdc.status.noUnit', { total: snmpUnits.length })), 'error');
        return;
      }
      const detail = t('jupiter-hvdc.status.units', { good, total: snmpUnits.length }) + (active > 0 ? ' ' + t('jupiter-hvdc.status.alarms', { count: active }) : '');
      const s = status.ok(Date.now(), detail);
      if (good < snmpUnits.length) s.fill = 'yellow';
      setStatus(warnNotOnLink(s), 'ok');
    };

    // One schedule per unit: a dead unit's timeouts and retries delay only its own next poll, never the live
    // units' (the link bounds how many requests are in flight at once). No back-off: each poll re-arms after the
    // previous one finished, so a dead unit costs one timeout per interval and is seen again within an interval.
    const markStale = (u: UnitRuntime, age: number): void => {
      if (closed || u.quality !== 'good') return;
      u.quality = 'stale';
      sendUnit(u);
      updateStatus();
      if (snmpUnits.every((x) => x.quality !== 'good')) setStatus(status.stale(age), 'stale');
    };
    const pollers = new Map<UnitRuntime, Poller>(
      snmpUnits.map((u) => [
        u,
        new Poller(
          async () => {
            const good = await pollUnit(u).catch(() => false);
            updateStatus();
            return good;
          },
          {
            intervalMs,
            firstDelayMs: 100,
            staleMs,
            onStale: (age) => markStale(u, age),
            onError: (err) => errors.report(`${u.name}/poll`, err),
          },
        ),
      ]),
    );
    const pollAllNow = (): void => {
      for (const p of pollers.values()) p.pollNow();
    };

    // ---- traps
    const onTrap = guard(
      (err) => errors.report('trap', err),
      (trap: SnmpTrap) => {
        if (closed || !trap.target) return;
        const u = snmpUnits.find((x) => x.target && x.target.host === trap.target?.host && x.target.port === trap.target?.port);
        if (!u) return;
        const now = Date.now();
        const trapOid = normaliseOid(trap.trapOid);
        let touched = false;
        if (trapOid === OID.upsTrapAlarmEntryAdded || trapOid === OID.upsTrapAlarmEntryRemoved) {
          const added = trapOid === OID.upsTrapAlarmEntryAdded;
          for (const vb of trap.varbinds) {
            if (!normaliseOid(vb.oid).startsWith(OID.upsAlarmDescr + '.')) continue;
            const w = typeof vb.value === 'string' ? wellKnownAlarmOf(vb.value) : undefined;
            if (!w) continue;
            u.alarms.applyTrap(upsAlarmId(w), added, added ? w.name : 0, now);
            touched = true;
          }
        } else if (trapOid === OID.upsTrapOnBattery) {
          u.trapOnBattery = true;
          u.alarms.applyTrap('ac_interruption', true, 'OnBattery', now);
          touched = true;
        }
        for (const m of profile.traps) {
          if (m.trapOid !== trapOid) continue;
          u.alarms.applyTrap(m.alarm, m.action === 'raise', m.action === 'raise' ? 1 : 0, now);
          touched = true;
        }
        // a trap that carries a mapped vendor flag updates that alarm
        for (const vb of trap.varbinds) {
          const oid = normaliseOid(vb.oid);
          const row = profile.vendor.find((r) => r.oid === oid && (r.type === 'flag' || r.type === 'bitmask') && jupiterAlarm(r.key));
          if (!row) continue;
          const d = decodeRow(row, vb);
          if (d.kind !== 'value') continue;
          const def = jupiterAlarm(row.key);
          const alarmFlag = def?.signal.kind === 'flag' ? def.signal.alarmFlag : 1;
          u.alarms.applyTrap(row.key, d.value === 1, d.value === 1 ? alarmFlag : 1 - alarmFlag, now);
          touched = true;
        }
        if (touched) {
          sendUnit(u);
          updateStatus();
        }
      },
    );
    let unsubscribe: (() => void) | undefined;
    if (link) linkRegistration(linkNode, node, true);
    if (link && snmpUnits.length > 0) {
      try {
        unsubscribe = link.onTrap(onTrap);
      } catch (err) {
        errors.report('trap', asError(err));
      }
    }

    // ---- contacts from messages
    const contactChanged = (entry: { unit: UnitRuntime; input: ContactInput }, now: number): void => {
      entry.unit.alarms.applyContact(entry.input.config.alarm, entry.input.alarmActive, now);
      if (!entry.unit.target) entry.unit.readAt = now;
      sendUnit(entry.unit);
      updateStatus();
    };
    const scheduleTick = (entry: { unit: UnitRuntime; input: ContactInput }, dueAt: number): void => {
      timers.timeout(() => {
        if (closed) return;
        const now = Date.now();
        const r = entry.input.tick(now);
        if (r.changed) contactChanged(entry, now);
        else if (r.dueAt !== undefined) scheduleTick(entry, r.dueAt);
      }, Math.max(0, dueAt - Date.now()));
    };

    // ---- contacts polled from a Modbus digital-input module
    const contactReads = planContactReads(modbusContacts);
    const modbusUser = { id: node.id, onLinkState: (): void => undefined };
    const pollContacts = async (): Promise<boolean> => {
      const now = (): number => Date.now();
      let good = true;
      for (const read of contactReads) {
        let bits: boolean[] | undefined;
        let failure: Error | undefined;
        if (!modbus) failure = new Error(t('jupiter-hvdc.errors.noModbusLink', { contacts: read.members.map((m) => m.n).join(', ') }));
        else {
          try {
            bits = await modbus.readBits(read.fc, read.address, read.count);
            if (bits.length < read.count) throw new Error(`short answer: ${bits.length} of ${read.count} inputs`);
          } catch (err) {
            failure = asError(err);
          }
        }
        if (closed) return false;
        const key = `modbus/${read.fc}/${read.address}`;
        if (failure || !bits) {
          good = false;
          errors.report(key, new Error(t('jupiter-hvdc.errors.contactRead', { contacts: read.members.map((m) => m.n).join(', '), reason: failure?.message ?? '' })));
          for (const m of read.members) {
            const entry = contactByN.get(m.n);
            if (entry && entry.input.commFail(now())) contactChanged(entry, now());
          }
          continue;
        }
        errors.clear(key);
        for (const m of read.members) {
          const entry = contactByN.get(m.n);
          if (!entry) continue;
          const r = entry.input.input(bits[m.offset] ? 1 : 0, now());
          if (r.changed) contactChanged(entry, now());
          else if (r.dueAt !== undefined) scheduleTick(entry, r.dueAt);
        }
      }
      return good;
    };
    const contactPoller =
      contactReads.length > 0
        ? new Poller(pollContacts, {
            intervalMs: seconds(config.contactInterval, 1, 0.1) * 1000,
            firstDelayMs: 50,
            onError: (err) => errors.report('modbus', err),
          })
        : undefined;
    if (modbus && contactPoller) modbus.register(modbusUser);

    node.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      try {
        const topic = typeof msg.topic === 'string' ? msg.topic : '';
        if (topic.startsWith('contact/')) {
          const parsed = parseContactMessage(topic, msg.payload);
          if (!parsed.ok) {
            done(new Error(parsed.error));
            return;
          }
          const entry = contactByN.get(parsed.n);
          if (!entry) {
            done(new Error(t('jupiter-hvdc.errors.unknownContact', { n: parsed.n })));
            return;
          }
          const now = Date.now();
          const r = entry.input.input(parsed.level, now);
          if (r.changed) contactChanged(entry, now);
          else if (r.dueAt !== undefined) scheduleTick(entry, r.dueAt);
          done();
          return;
        }
        if (msg.topic === 'profile' || (typeof msg === 'object' && 'profile' in msg)) {
          const p = validateProfile((msg as NodeMessage & { profile?: unknown }).profile ?? msg.payload);
          if (!p.ok) {
            done(new Error(t('jupiter-hvdc.errors.badProfile', { reason: p.errors.slice(0, 3).join('; ') })));
            return;
          }
          profile = p.profile;
          for (const u of snmpUnits) u.entitySensor = profile.entitySensor !== 'off';
        }
        // anything else: poll now
        pollAllNow();
        done();
      } catch (err) {
        done(asError(err));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      for (const p of pollers.values()) p.stop();
      timers.close();
      try {
        unsubscribe?.();
      } catch {
        /* the link may already be gone */
      }
      if (link) linkRegistration(linkNode, node, false);
      contactPoller?.stop();
      if (modbus && contactPoller) {
        // the last user to leave closes the Modbus connection; never wait longer than a moment for it
        const t = setTimeout(done, 2000);
        Promise.resolve()
          .then(() => modbus.deregister(modbusUser))
          .catch(() => undefined)
          .then(() => {
            clearTimeout(t);
            done();
          });
        return;
      }
      done();
    });

    contactPoller?.start();
    if (snmpUnits.length > 0) {
      setStatus(warnNotOnLink(status.connecting()), 'connecting');
      for (const p of pollers.values()) p.start();
    } else if (units.length > 0) {
      setStatus(warnNotOnLink(status.ok(Date.now(), t('jupiter-hvdc.status.contactsOnly'))), 'contactsOnly');
    }
  }

  RED.nodes.registerType('jupiter-hvdc', JupiterHvdcNode);

  // The dialog's profile import: validated by the same code the runtime uses.
  RED.httpAdmin.post('/jupiter-hvdc/profile/validate', RED.auth.needsPermission('jupiter-hvdc.read'), (req, res) => {
    const body: unknown = req.body;
    const r = validateProfile(typeof body === 'object' && body !== null && 'profile' in body ? (body as { profile: unknown }).profile : body);
    if (r.ok) res.json({ ok: true, profile: r.profile });
    else res.status(400).json({ ok: false, errors: r.errors });
  });

  // The alarm catalogue for the dialog's contact rows (one table, no copy in the editor).
  RED.httpAdmin.get('/jupiter-hvdc/catalogue', RED.auth.needsPermission('jupiter-hvdc.read'), (_req, res) => {
    res.json(
      JUPITER_ALARMS.filter((a) => a.signal.kind !== 'link').map((a) => ({
        id: a.id,
        text: a.text,
        manualClass: a.manualClass,
        severity: a.severity,
        alarmFlag: a.signal.kind === 'flag' ? a.signal.alarmFlag : undefined,
      })),
    );
  });

  // The built-in default profile for the dialog (export, reset).
  RED.httpAdmin.get('/jupiter-hvdc/profile/default', RED.auth.needsPermission('jupiter-hvdc.read'), (_req, res) => {
    res.json(defaultProfile());
  });
};

