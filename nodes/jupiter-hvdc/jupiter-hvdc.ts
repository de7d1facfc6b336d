/**
 * jupiter-hvdc: Jupiter J540/J560 240 V HVDC units over SNMP (through the snmp-endpoint link) and dry contacts.
 * One node polls every unit of its link, one message per unit; traps from the link update the unit's alarms
 * at once; a unit without an SNMP card (contacts only) still reports its alarms.
 * The device runtime (lib/device/) owns schedules, errors, status and closing; the adapter is pure: fleet.ts
 * (the units), link.ts (a unit's poll), message.ts (its message), traps.ts, unit.ts (alarms), contacts.ts.
 */
import type { NodeAPI, Node, NodeMessage } from 'node-red';
import { asError, guard, translator, type DoneFunction, type SendFunction } from '../../lib/red';
import { statusVocabulary } from '../../lib/status';
import { getLink, linkError } from '../../lib/device/links';
import { DeviceRuntime, within } from '../../lib/device/runtime';
import type { SnmpTarget, SnmpTrap } from '../../lib/snmp/types';
import { jupiterPreset } from './alarms';
import { parseContactMessage, planContactReads, validateContacts } from './contacts';
import { ContactBank } from './contact-bank';
import { registerJupiterAdmin } from './admin';
import { jupiterSettings, type JupiterNodeDef } from './settings';
import { defaultProfile, importProfile, validateProfile, type JupiterProfile, type PollPlan } from './profile';
import { assembleFleet, targetLabel, type UnitState } from './fleet';
import { applyAnswer, applyFailure, planFor, readUnit, type UnitAnswer } from './link';
import { unitMessages } from './message';
import { applyTrap, unitOfTrap } from './traps';
import { parseUnitRows, type MissingUnit } from './naming';
import { JupiterStatus } from './status';
import { registerAlarmPresets } from '../../lib/alarm-presets';

export = function (RED: NodeAPI): void {
  registerAlarmPresets([jupiterPreset]);
  const t = translator(RED);

  function JupiterHvdcNode(this: Node, config: JupiterNodeDef): void {
    RED.nodes.createNode(this, config);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    const status = statusVocabulary(t);
    const settings = jupiterSettings(config);
    const { prefix } = settings;
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
    const fleet = assembleFleet(targets, parseUnitRows(config.units), contactsResult.contacts, nameOf, settings.lang, profile);
    const { units, contactByN } = fleet;
    const listed = (list: MissingUnit[]): string => list.map((m) => `${m.name} (${m.ref})`).join(', ');
    // a warning, not an error: the other units work, and nothing a Catch node could act on has happened
    if (fleet.missing.length > 0) node.warn(t('jupiter-hvdc.errors.notOnLink', { units: listed(fleet.missing), count: targets.length }));
    if (fleet.duplicates.length > 0) node.warn(t('jupiter-hvdc.errors.namedTwice', { units: listed(fleet.duplicates) }));
    const snmpUnits = units.filter((u) => u.target);

    const statusOf = new JupiterStatus(units, fleet.missing, t, status);
    runtime.status(statusOf.initial());
    const updateStatus = (): void => {
      const s = statusOf.current();
      if (s) runtime.status(s);
    };

    const sendUnit = (u: UnitState): void => {
      if (runtime.closed) return;
      try {
        const out = unitMessages(u, { prefix, perValue: settings.perValue }, Date.now());
        node.send(Array.isArray(out) ? [out] : out);
      } catch (err) {
        runtime.report(u.name, 'send', asError(err));
      }
    };

    // ---- SNMP polling: one schedule per unit, so a dead unit's timeouts delay only its own next poll (the link
    // bounds how many requests are in flight). No back-off: a dead unit costs one timeout per interval.
    // the answer is handled in readUnit's callback: only the outcome goes into the poll's promise (see readUnit)
    const pollUnit = (u: UnitState): Promise<boolean> =>
      new Promise<boolean>((resolve) => {
        if (!link || !u.target) return resolve(false);
        const plan = planFor(u, profile);
        readUnit(link, u.target, plan, (err, answer) => {
          let good = false;
          try {
            good = err ? failedPoll(u, err) : answeredPoll(u, answer as UnitAnswer, plan);
          } catch (thrown) {
            runtime.report(u.name, 'poll', asError(thrown));
          } finally {
            resolve(good);
          }
        });
      });
    const failedPoll = (u: UnitState, err: Error): boolean => {
      if (runtime.closed) return false;
      applyFailure(u, Date.now());
      runtime.report(u.name, '', new Error(t('jupiter-hvdc.errors.pollFailed', { unit: u.name, reason: err.message })));
      sendUnit(u);
      return false;
    };
    const answeredPoll = (u: UnitState, answer: UnitAnswer, plan: PollPlan): boolean => {
      if (runtime.closed) return false;
      const { outcome, restarted } = applyAnswer(u, answer, plan, profile, settings, Date.now());
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
      (trap: SnmpTrap) => {
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
    const contacts = new ContactBank(contactByN, runtime.timers, (entry) => {
      sendUnit(entry.unit);
      updateStatus();
    });
    const contactReads = planContactReads(modbusContacts);
    const pollContacts = (): Promise<boolean> =>
      contacts.readModule(
        contactReads,
        modbus ? (fc, address, count) => modbus.readBits(fc, address, count) : undefined,
        (key, members, failure) => {
          if (failure) runtime.report(key, '', new Error(t('jupiter-hvdc.errors.contactRead', { contacts: members, reason: failure.message })));
          else runtime.clear(key);
        },
        (members) => new Error(t('jupiter-hvdc.errors.noModbusLink', { contacts: members })),
      );

    node.on('input', (msg: NodeMessage, _send: SendFunction, done: DoneFunction) => {
      try {
        const topic = typeof msg.topic === 'string' ? msg.topic : '';
        if (topic.startsWith('contact/')) {
          const parsed = parseContactMessage(topic, msg.payload);
          if (!parsed.ok) return done(new Error(parsed.error));
          const entry = contacts.entry(parsed.n);
          if (!entry) return done(new Error(t('jupiter-hvdc.errors.unknownContact', { n: parsed.n })));
          contacts.input(entry, parsed.level);
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
      runtime.schedule('modbus', pollContacts, { intervalMs: settings.contactIntervalMs, firstDelayMs: 50 });
      if (modbus) {
        const user = { id: node.id, onLinkState: (): void => undefined };
        modbus.register(user);
        // the last user to leave closes the Modbus connection; never wait longer than a moment for it
        runtime.onClose(() => within(2000, () => modbus.deregister(user)));
      }
    }
    for (const u of snmpUnits) {
      const poll = async (): Promise<boolean> => {
        const good = await pollUnit(u).catch(() => false);
        updateStatus();
        return good;
      };
      runtime.schedule(u.name, poll, { intervalMs: settings.intervalMs, firstDelayMs: 100, staleMs: settings.staleMs, onStale: () => markStale(u) });
    }
  }

  RED.nodes.registerType('jupiter-hvdc', JupiterHvdcNode);

  registerJupiterAdmin(RED);
};
