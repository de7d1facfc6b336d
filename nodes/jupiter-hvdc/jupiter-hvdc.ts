/**
 * jupiter-hvdc: Jupiter J540/J560 240 V HVDC units over SNMP (through the snmp-endpoint link) and dry contacts.
 * One node polls every unit of its link, one message per unit; traps from the link update the unit's alarms
 * at once; a unit without an SNMP card (contacts only) still reports its alarms.
 * The device runtime (lib/device/) owns schedules, errors, status and closing; the adapter is pure: fleet.ts
 * (the units), link.ts (a unit's poll), message.ts (its message), traps.ts, unit.ts (alarms), contacts.ts.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage } from 'node-red';
import { asError, guard, translator, type DoneFunction, type SendFunction } from '../../lib/red';
import { statusVocabulary, type NodeStatus } from '../../lib/status';
import { configNumber, configSeconds } from '../../lib/device/config-number';
import { getLink, linkError } from '../../lib/device/links';
import { DeviceRuntime, fleetStatus, summarize, within } from '../../lib/device/runtime';
import type { SnmpTarget } from '../../lib/snmp/types';
import { JUPITER_ALARMS, jupiterPreset } from './alarms';
import { parseContactMessage, planContactReads, validateContacts, type ContactInput } from './contacts';
import { defaultProfile, importProfile, validateProfile, type JupiterProfile } from './profile';
import { assembleFleet, targetLabel, type UnitState } from './fleet';
import { applyAnswer, applyFailure, planFor, readUnit } from './link';
import { unitMessages } from './message';
import { applyTrap, unitOfTrap } from './traps';
import { missingSummary, parseUnitRows, type MissingUnit } from './naming';
import { registerAlarmPresets } from '../../lib/alarm-presets';

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

type ContactEntry = { unit: UnitState; input: ContactInput };

export = function (RED: NodeAPI): void {
  registerAlarmPresets([jupiterPreset]);
  const t = translator(RED);

  function JupiterHvdcNode(this: Node, config: JupiterNodeDef): void {
    RED.nodes.createNode(this, config);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    const status = statusVocabulary(t);
    const lang = config.lang === 'zh-CN' ? 'zh-CN' : 'en-US';
    const prefix = (config.topicPrefix ?? '').trim() || 'jupiter';
    const intervalMs = configSeconds(config.interval, { fallback: 10, min: 1, max: 86_400 });
    const staleMs = configSeconds(config.staleTime, { fallback: 0, min: 0, max: 864_000 }) || 3 * intervalMs;
    const runtime = new DeviceRuntime(node, { errorMessage: (err, key) => ({ topic: `${prefix}/${key}`, payload: err.message }) });
    runtime.closeWith(node);

    // ---- profile and contacts: a bad one stops the node with a red status and one error
    let profile: JupiterProfile = defaultProfile();
    if (typeof config.profile === 'string' && config.profile.trim() !== '') {
      const p = importProfile(config.profile);
      if (!p.ok) {
        runtime.reportSoon('profile', '', new Error(t('jupiter-hvdc.errors.badProfile', { reason: p.errors.slice(0, 3).join('; ') })));
        runtime.status(status.error(t('jupiter-hvdc.status.badProfile')));
        return;
      }
      profile = p.profile;
    }
    const contactsResult = validateContacts(config.contacts);
    if (!contactsResult.ok) {
      runtime.reportSoon('contacts', '', new Error(t('jupiter-hvdc.errors.badContacts', { reason: contactsResult.errors.slice(0, 3).join('; ') })));
      runtime.status(status.error(t('jupiter-hvdc.status.badContacts')));
      return;
    }
    const modbusContacts = contactsResult.contacts.filter((c) => c.source === 'modbus');
    const modbusLookup = modbusContacts.length > 0 ? getLink(RED, config.modbusLink, 'modbus-endpoint') : undefined;
    const modbus = modbusLookup?.ok ? modbusLookup.link : undefined;
    if (modbusContacts.length > 0 && !modbus) {
      runtime.reportSoon('modbus', '', new Error(t('jupiter-hvdc.errors.noModbusLink', { contacts: modbusContacts.map((c) => c.n).join(', ') })));
    }

    // ---- link and units
    const lookup = getLink(RED, config.link, 'snmp-endpoint');
    const link = lookup.ok ? lookup.link : undefined;
    if (!lookup.ok && lookup.problem !== 'unset') runtime.reportSoon('link', '', linkError(t, lookup.problem, 'snmp-endpoint'));
    let targets: SnmpTarget[] = [];
    try {
      targets = link ? link.targets() : [];
    } catch (err) {
      runtime.report('link', '', asError(err));
    }
    const nameOf = (target: SnmpTarget): string => link?.targetName(target) || targetLabel(target);
    const fleet = assembleFleet(targets, parseUnitRows(config.units), contactsResult.contacts, nameOf, lang, profile);
    const { units, contactByN } = fleet;
    const notOnLink: MissingUnit[] = fleet.missing;
    const listed = (list: MissingUnit[]): string => list.map((m) => `${m.name} (${m.ref})`).join(', ');
    // a warning, not an error: the other units work, and nothing a Catch node could act on has happened
    if (fleet.missing.length > 0) node.warn(t('jupiter-hvdc.errors.notOnLink', { units: listed(fleet.missing), count: targets.length }));
    if (fleet.duplicates.length > 0) node.warn(t('jupiter-hvdc.errors.namedTwice', { units: listed(fleet.duplicates) }));
    const snmpUnits = units.filter((u) => u.target);

    /** `rack-3 not on link`, appended to the status while a name row points past the link's list */
    const notOnLinkText = (): string => (notOnLink.length > 0 ? t('jupiter-hvdc.status.notOnLink', { name: missingSummary(notOnLink) }) : '');
    const warnNotOnLink = (s: NodeStatus): NodeStatus =>
      notOnLink.length === 0 || s.fill === 'red' ? s : { ...s, fill: 'yellow', text: `${s.text ?? ''} ${notOnLinkText()}`.trim() };
    if (units.length === 0) runtime.status(notOnLink.length > 0 ? { fill: 'yellow', shape: 'ring', text: notOnLinkText() } : status.notConfigured());

    const perValue = config.output === 'value';
    const sendUnit = (u: UnitState): void => {
      if (runtime.closed) return;
      try {
        const out = unitMessages(u, { prefix, perValue }, Date.now());
        node.send(Array.isArray(out) ? [out] : out);
      } catch (err) {
        runtime.report(u.name, 'send', asError(err));
      }
    };

    const activeAlarms = (): number => units.reduce((n, u) => n + u.alarms.active().length, 0);
    const updateStatus = (): void => {
      if (snmpUnits.length === 0) {
        if (units.length === 0) return;
        if (units.some((u) => u.contacts.some((c) => c.state === 'comm_error'))) runtime.status(status.error(t('jupiter-hvdc.status.contactComm')));
        else runtime.status(warnNotOnLink(status.ok(Date.now(), t('jupiter-hvdc.status.alarms', { count: activeAlarms() }))));
        return;
      }
      const s = fleetStatus(status, summarize(snmpUnits), {
        detail: (good, total) => t('jupiter-hvdc.status.units', { good, total }) + (activeAlarms() > 0 ? ' ' + t('jupiter-hvdc.status.alarms', { count: activeAlarms() }) : ''),
        noneGood: (sum) => status.error(t('jupiter-hvdc.status.noUnit', { total: sum.total })),
      });
      if (s) runtime.status(warnNotOnLink(s));
    };

    // ---- SNMP polling: one schedule per unit, so a dead unit's timeouts delay only its own next poll (the link
    // bounds how many requests are in flight). No back-off: a dead unit costs one timeout per interval.
    const pollUnit = async (u: UnitState): Promise<boolean> => {
      if (!link || !u.target) return false;
      const plan = planFor(u, profile);
      let answer;
      try {
        answer = await readUnit(link, u.target, plan);
      } catch (err) {
        if (runtime.closed) return false;
        applyFailure(u, Date.now());
        runtime.report(u.name, '', new Error(t('jupiter-hvdc.errors.pollFailed', { unit: u.name, reason: asError(err).message })));
        sendUnit(u);
        return false;
      }
      if (runtime.closed) return false;
      const { outcome, restarted } = applyAnswer(u, answer, plan, profile, { invertCurrent: config.invertCurrent === true }, Date.now());
      if (restarted) node.log(t('jupiter-hvdc.log.restarted', { unit: u.name }));
      if (outcome.kind === 'noValues') runtime.report(u.name, '', new Error(t('jupiter-hvdc.errors.noValues', { unit: u.name, invalid: outcome.invalid })));
      else if (outcome.kind === 'implausible') runtime.report(u.name, '', new Error(t('common.errors.implausible', { device: u.name, keys: outcome.keys })));
      else runtime.clear(u.name);
      sendUnit(u);
      return outcome.kind !== 'noValues';
    };
    const markStale = (u: UnitState): void => {
      if (u.quality !== 'good') return;
      u.quality = 'stale';
      sendUnit(u);
      updateStatus();
    };

    // ---- traps
    const onTrap = guard(
      (err) => runtime.report('trap', '', err),
      (trap: Parameters<Parameters<NonNullable<typeof link>['onTrap']>[0]>[0]) => {
        const u = runtime.closed ? undefined : unitOfTrap(snmpUnits, trap);
        if (u && applyTrap(u, trap, profile, Date.now())) {
          sendUnit(u);
          updateStatus();
        }
      },
    );
    if (link) {
      link.register(node);
      runtime.onClose(() => link.deregister(node));
      if (snmpUnits.length > 0) {
        try {
          runtime.onClose(link.onTrap(onTrap));
        } catch (err) {
          runtime.report('trap', '', asError(err));
        }
      }
    }

    // ---- contacts, from messages or polled from a Modbus digital-input module
    const contactChanged = (entry: ContactEntry, now: number): void => {
      entry.unit.alarms.applyContact(entry.input.config.alarm, entry.input.alarmActive, now);
      if (!entry.unit.target) entry.unit.readAt = now;
      sendUnit(entry.unit);
      updateStatus();
    };
    const contactInput = (entry: ContactEntry, level: 0 | 1, now: number): void => {
      const r = entry.input.input(level, now);
      if (r.changed) contactChanged(entry, now);
      else if (r.dueAt !== undefined) scheduleTick(entry, r.dueAt);
    };
    const scheduleTick = (entry: ContactEntry, dueAt: number): void => {
      runtime.timers.timeout(() => {
        const now = Date.now();
        const r = entry.input.tick(now);
        if (r.changed) contactChanged(entry, now);
        else if (r.dueAt !== undefined) scheduleTick(entry, r.dueAt);
      }, Math.max(0, dueAt - Date.now()));
    };
    const contactReads = planContactReads(modbusContacts);
    const pollContacts = async (): Promise<boolean> => {
      let good = true;
      for (const read of contactReads) {
        const members = read.members.map((m) => m.n).join(', ');
        let bits: boolean[] | undefined;
        let failure: Error | undefined;
        if (!modbus) failure = new Error(t('jupiter-hvdc.errors.noModbusLink', { contacts: members }));
        else {
          try {
            bits = await modbus.readBits(read.fc, read.address, read.count);
            if (bits.length < read.count) throw new Error(`short answer: ${bits.length} of ${read.count} inputs`);
          } catch (err) {
            failure = asError(err);
          }
        }
        if (runtime.closed) return false;
        const key = `modbus/${read.fc}/${read.address}`;
        if (failure || !bits) {
          good = false;
          runtime.report(key, '', new Error(t('jupiter-hvdc.errors.contactRead', { contacts: members, reason: failure?.message ?? '' })));
          for (const m of read.members) {
            const entry = contactByN.get(m.n);
            if (entry && entry.input.commFail(Date.now())) contactChanged(entry, Date.now());
          }
          continue;
        }
        runtime.clear(key);
        for (const m of read.members) {
          const entry = contactByN.get(m.n);
          if (entry) contactInput(entry, bits[m.offset] ? 1 : 0, Date.now());
        }
      }
      return good;
    };

    node.on('input', (msg: NodeMessage, _send: SendFunction, done: DoneFunction) => {
      try {
        const topic = typeof msg.topic === 'string' ? msg.topic : '';
        if (topic.startsWith('contact/')) {
          const parsed = parseContactMessage(topic, msg.payload);
          if (!parsed.ok) return done(new Error(parsed.error));
          const entry = contactByN.get(parsed.n);
          if (!entry) return done(new Error(t('jupiter-hvdc.errors.unknownContact', { n: parsed.n })));
          contactInput(entry, parsed.level, Date.now());
          return done();
        }
        if (msg.topic === 'profile' || (typeof msg === 'object' && 'profile' in msg)) {
          const p = validateProfile((msg as NodeMessage & { profile?: unknown }).profile ?? msg.payload);
          if (!p.ok) return done(new Error(t('jupiter-hvdc.errors.badProfile', { reason: p.errors.slice(0, 3).join('; ') })));
          profile = p.profile;
          for (const u of snmpUnits) u.entitySensor = profile.entitySensor !== 'off';
        }
        // anything else: poll now
        runtime.pollNow();
        done();
      } catch (err) {
        done(asError(err));
      }
    });

    if (contactReads.length > 0) {
      runtime.schedule('modbus', pollContacts, { intervalMs: configSeconds(config.contactInterval, { fallback: 1, min: 0.1, max: 3600 }), firstDelayMs: 50 });
      if (modbus) {
        const user = { id: node.id, onLinkState: (): void => undefined };
        modbus.register(user);
        // the last user to leave closes the Modbus connection; never wait longer than a moment for it
        runtime.onClose(() => within(2000, () => modbus.deregister(user)));
      }
    }
    if (snmpUnits.length > 0) {
      runtime.status(warnNotOnLink(status.connecting()));
      for (const u of snmpUnits) {
        const poll = async (): Promise<boolean> => {
          const good = await pollUnit(u).catch(() => false);
          updateStatus();
          return good;
        };
        runtime.schedule(u.name, poll, { intervalMs, firstDelayMs: 100, staleMs, onStale: () => markStale(u) });
      }
    } else if (units.length > 0) {
      runtime.status(warnNotOnLink(status.ok(Date.now(), t('jupiter-hvdc.status.contactsOnly'))));
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
