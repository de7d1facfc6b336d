/**
 * bacs: reads a GENEREX BACS controller (CS141 / BACS web manager) through a modbus-endpoint link and sends the
 * whole system — status flags, strings, every module — as one envelope per poll, or one message per module.
 * Thin glue (docs/design.md §1.4): poller + planner read + registers.ts decoders + message shaping + status.
 */
import type { DeviceAlarm, DeviceIdentity, DeviceMessage, Quality, Reading, ReadingValue, Unit } from '../../lib/wire/envelope';
import { deviceTopic, envelope } from '../../lib/wire/envelope';
import { ChangeFilter } from '../../lib/change-filter';
import { ModbusError } from '../../lib/modbus/client';
import { badKeysUnder, describeViolations, screenReading } from '../../lib/plausibility';
import type { LinkStateEvent, ModbusLink } from '../../lib/modbus/link';
import { RegisterSnapshot } from '../../lib/wire/modbus-planner';
import { Poller } from '../../lib/poller';
import { asError, DoneFunction, ErrorOnce, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, translator } from '../../lib/red';
import { statusVocabulary } from '../../lib/status';
import type { SnmpLink } from '../../lib/snmp/types';
import {
  decodeGeneral,
  decodeModule,
  decodeString,
  deviceAlarms,
  GeneralReading,
  MODBUS_MAX_STRINGS,
  ModuleReading,
  pollRanges,
  setBits,
  StringReading,
  stringSizes,
} from './registers';
import { BACS_RANGES } from './schema';
import { BacsReading, bacsSettings, bacsUnits, mergeStrings, moduleUnits } from './settings';
import { readSnmpTables } from './snmp';
import { registerAlarmPresets } from '../../lib/alarm-presets';
import { bacsPresets } from './alarms';

interface BacsDef extends NodeDef {
  endpoint: string;
  deviceName: string;
  topicPrefix: string;
  interval: string | number;
  staleTime: string | number;
  output: 'envelope' | 'perModule' | 'perString';
  onlyOnChange: boolean;
  deadbandVoltage: string | number;
  deadbandTemperature: string | number;
  deadbandResistance: string | number;
  deadbandCurrent: string | number;
  countSource: 'register' | 'fixed';
  fixedStrings: string | number;
  fixedModules: string | number;
  stringSizes: string;
  moduleSource: 'modbus' | 'snmp' | 'none';
  moduleTemplate: unknown;
  stringScales: unknown;
  snmpEndpoint: string;
  snmpTarget: string;
}

type BacsNode = Node & { endpoint?: ModbusLink };

export = function (RED: NodeAPI): void {
  registerAlarmPresets(bacsPresets);
  const t = translator(RED);
  const tt = (key: string, subs?: Record<string, string | number>): string => t(`bacs.${key}`, subs);
  const vocabulary = statusVocabulary(t);

  function Bacs(this: BacsNode, config: BacsDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const settings = bacsSettings(config as unknown as { [key: string]: unknown });
    const link = (RED.nodes.getNode(config.endpoint) as unknown as ModbusLink | null) ?? undefined;
    const snmp = config.snmpEndpoint ? ((RED.nodes.getNode(config.snmpEndpoint) as unknown as SnmpLink | null) ?? undefined) : undefined;
    const deviceName = settings.deviceName || (link ? link.settings.host : 'bacs');
    const device: DeviceIdentity = {
      kind: 'bacs',
      name: deviceName,
      address: link ? `${link.target}#${link.settings.unitId}` : undefined,
      model: 'BACS',
    };
    const errors = new ErrorOnce((err) => node.error(err, { topic: deviceTopic(settings.topicPrefix, deviceName), device, error: { message: err.message } }));
    const filter = new ChangeFilter({
      deadbands: {
        voltage: settings.deadbands.voltage,
        averageVoltage: settings.deadbands.voltage,
        temperature: settings.deadbands.temperature,
        resistance: settings.deadbands.resistance,
        current: settings.deadbands.current,
        rippleCurrent: settings.deadbands.current,
      },
    });
    const alarmSince = new Map<string, number>();
    let counts: { strings: number; modules: number } | undefined =
      settings.countSource === 'fixed' ? { strings: settings.fixedStrings, modules: settings.fixedModules } : undefined;
    let lastGood = 0;
    let lastQuality: Quality | undefined;
    let waitingDone: Array<{ done: DoneFunction }> = [];
    let closed = false;
    // created once poll() exists; the link's state callback may come before
    let poller: Poller | undefined;

    const user = {
      id: node.id,
      onLinkState: (event: LinkStateEvent): void => {
        if (closed) return;
        if (event.state === 'connecting' && lastGood === 0) node.status(vocabulary.connecting());
        else if (event.state === 'waiting' && event.error) {
          node.status(vocabulary.error(event.error.shortReason));
        } else if (event.state === 'connected' && errors.has('poll')) {
          // the link is back: read now rather than at the next interval
          poller?.pollNow();
        }
      },
    };

    if (!link) {
      node.status(vocabulary.notConfigured());
      node.error(new Error(t('common.errors.noLink')), {});
      node.on('input', (_msg: NodeMessage, _send: SendFunction, done: DoneFunction) => done(new Error(t('common.errors.noLink'))));
      return;
    }
    if (settings.moduleSource === 'modbus' && settings.templateProblem) {
      node.warn(tt('errors.template', { reason: settings.templateProblem }));
    }
    if (settings.moduleSource === 'snmp' && !snmp) node.warn(tt('errors.noSnmp'));

    const since = (id: string, now: number): number => {
      const at = alarmSince.get(id);
      if (at !== undefined) return at;
      alarmSince.set(id, now);
      return now;
    };

    async function readModbus(): Promise<{ snapshot: RegisterSnapshot; general: GeneralReading | undefined }> {
      const endpoint = link as ModbusLink;
      const template = settings.moduleSource === 'modbus' && !settings.templateProblem ? settings.template : undefined;
      const known = counts ?? { strings: MODBUS_MAX_STRINGS, modules: 0 };
      const first = await endpoint.readPlan(pollRanges(template, known.strings, known.modules));
      const snapshot = first.snapshot;
      const general = decodeGeneral(snapshot);
      if (settings.countSource === 'register' && general && !general.status.communicationLost) {
        const now = { strings: general.stringCount ?? 0, modules: Math.min(512, general.moduleCount ?? 0) };
        if (!counts || now.strings !== counts.strings || now.modules !== counts.modules) {
          // The system changed (or this is the first poll): read what the new counts add, once.
          const missing = pollRanges(template, now.strings, now.modules).filter((r) => !snapshot.has(r.address, r.count));
          if (missing.length > 0) {
            const more = await endpoint.readPlan(missing);
            for (const r of missing) {
              const values = more.snapshot.slice(r.address, r.count);
              if (values) snapshot.set(r.address, values);
            }
          }
          counts = now;
        }
      }
      return { snapshot, general };
    }

    async function poll(): Promise<boolean> {
      const endpoint = link as ModbusLink;
      const now = Date.now();
      let snmpError: Error | undefined;
      try {
        const { snapshot, general } = await readModbus();
        if (!general) throw new ModbusError('protocol', 'general block not read');
        const used = counts ?? { strings: general.stringCount ?? 0, modules: general.moduleCount ?? 0 };
        const sizes = stringSizes(used.modules, used.strings, settings.stringSizes);
        const reading: BacsReading = {
          status: general.status.flags,
          statusWord: general.status.word,
          batteryStatusWord: general.batteryStatusWord,
          batteryStatusBits: general.batteryStatusWord === undefined ? undefined : setBits(general.batteryStatusWord),
          alarmFlagsWord: general.alarmFlagsWord,
          alarmFlagBits: general.alarmFlagsWord === undefined ? undefined : setBits(general.alarmFlagsWord),
          stringCount: general.stringCount,
          moduleCount: general.moduleCount,
        };
        if (general.status.unknownBits.length > 0) reading.statusUnknownBits = general.status.unknownBits;
        const commLost = general.status.communicationLost;
        if (!commLost) {
          const strings: StringReading[] = [];
          for (let s = 1; s <= Math.min(MODBUS_MAX_STRINGS, used.strings); s++) strings.push(decodeString(snapshot, s, settings.stringScales));
          reading.strings = strings;
          if (settings.moduleSource === 'modbus' && !settings.templateProblem) {
            const modules: ModuleReading[] = [];
            for (let id = 1; id <= used.modules; id++) modules.push(decodeModule(snapshot, settings.template, id, sizes));
            reading.modules = modules;
            reading.moduleTemplateVerified = settings.template.verified;
            reading.moduleSource = 'modbus';
          } else if (settings.moduleSource === 'snmp' && snmp) {
            // The verified route: module (and string) tables over SNMP. A failed walk costs the modules of this
            // poll, not the status and strings read over Modbus: the message goes out without modules and with
            // quality comm_error, and the error is reported once.
            try {
              const target = snmpTargetOf(snmp, settings.snmpTarget, endpoint.settings.host);
              if (!target) throw new Error(tt('errors.noSnmpTarget'));
              const tables = await readSnmpTables(snmp, target, sizes, settings.template.stateCodes);
              reading.modules = tables.modules;
              reading.moduleSource = 'snmp';
              // values are verified on this route, the state codes are the template's map (docs/bacs.md §4.3)
              reading.moduleTemplateVerified = settings.template.verified;
              if (tables.strings.length > 0) reading.strings = mergeStrings(reading.strings ?? [], tables.strings);
              errors.clear('snmp');
            } catch (err) {
              snmpError = asError(err);
              errors.report('snmp', snmpError);
            }
          }
        }
        // values no BACS system can measure are dropped and named (msg.badKeys); a poll of mostly nonsense is a
        // failed read with quality bad_data
        const screened = screenReading(reading, BACS_RANGES);
        if (screened.rejected) {
          const error = new Error(tt('errors.rejected', { keys: describeViolations(screened.violations) }));
          node.status(vocabulary.error(tt('status.badData')));
          const reportedNow = errors.report('poll', error);
          if (lastQuality !== 'bad_data') {
            emitQualityOnly('bad_data', now, error.message);
            lastQuality = 'bad_data';
          }
          settle(reportedNow ? undefined : error);
          return false;
        }
        const badKeys = screened.badKeys;
        if (badKeys.length > 0) errors.report('data', new Error(tt('errors.implausible', { keys: describeViolations(screened.violations) })));
        else errors.clear('data');
        const checked = screened.reading;
        const quality: Quality = commLost || snmpError ? 'comm_error' : badKeys.length > 0 ? 'bad_data' : 'good';
        const alarms = deviceAlarms(general, checked.modules ?? [], (id) => since(id, now), {
          flag: (id) => tt(`flags.${id}`),
          module: (id, state) => tt('alarm.module', { id, state: tt(`states.${state}`) }),
        }, settings.template.verified);
        for (const id of [...alarmSince.keys()]) if (!alarms.some((a) => a.id === id)) alarmSince.delete(id);
        emit(checked, quality, alarms, now, badKeys);
        lastQuality = quality;
        errors.clear('poll');
        lastGood = now;
        if (commLost) {
          node.status({ fill: 'red', shape: 'ring', text: tt('status.commLost') });
          settle();
          return true;
        }
        if (snmpError) {
          node.status(vocabulary.error(`SNMP ${snmpError.message}`));
          settle();
          return true;
        }
        const moduleCount = checked.modules?.length ?? 0;
        if (badKeys.length > 0) node.status({ fill: 'yellow', shape: 'dot', text: tt('status.implausible', { n: badKeys.length }) });
        else node.status(vocabulary.ok(now, tt('status.modules', { n: moduleCount })));
        settle();
        return true;
      } catch (err) {
        const error = asError(err);
        if (closed || (error instanceof ModbusError && error.kind === 'closed')) {
          // a redeploy closed the link under this poll: nothing to report
          settle();
          return false;
        }
        const reason = error instanceof ModbusError ? error.shortReason : error.message;
        node.status(error instanceof ModbusError && error.kind === 'timeout' ? vocabulary.timeout() : vocabulary.error(reason, error instanceof ModbusError ? error.retryInMs : undefined));
        const reportedNow = errors.report('poll', error);
        if (lastQuality !== 'comm_error') {
          // once per failure: tell the flow the values stopped being current
          emitQualityOnly('comm_error', now, error.message);
          lastQuality = 'comm_error';
        }
        settle(reportedNow ? undefined : error);
        return false;
      }
    }

    /** Input messages waiting for "their" poll: done() once it finished; done(err) if it failed. */
    function settle(err?: Error): void {
      const list = waitingDone;
      waitingDone = [];
      for (const w of list) w.done(err);
    }

    /**
     * Sends the poll's reading in the configured shape. `badKeys` are paths in the whole reading; a message that
     * carries only part of it (the system, one module, one string) gets the ones under that part, relative to its
     * own payload, and quality bad_data only when it has any.
     */
    function emit(reading: BacsReading, quality: Quality, alarms: DeviceAlarm[], timestamp: number, badKeys: string[] = []): void {
      const units = bacsUnits();
      const systemBad = badKeys.filter((k) => !k.startsWith('modules['));
      if (settings.output === 'perModule') {
        const { modules, ...system } = reading;
        const messages: NodeMessage[] = [];
        const systemChanged = !settings.onlyOnChange || changedSystem(system);
        if (systemChanged) {
          const msg = envelope({ prefix: settings.topicPrefix, device, reading: system, quality: partQuality(quality, systemBad), timestamp, alarms, units: {} });
          msg.units = Object.fromEntries(Object.entries(units).filter(([k]) => k.startsWith('strings.')));
          messages.push(withBadKeys(msg, systemBad));
        }
        (modules ?? []).forEach((m, i) => {
          if (settings.onlyOnChange && !filter.changed(`module/${m.id}`, m as unknown as Reading)) return;
          const moduleAlarms = alarms.filter((a) => a.id.startsWith(`module/${m.id}/`));
          const own = badKeysUnder(badKeys, `modules[${i}].`);
          const msg: DeviceMessage = {
            topic: deviceTopic(settings.topicPrefix, deviceName, `module/${m.id}`),
            payload: m as unknown as Reading,
            device,
            quality: partQuality(quality, own),
            timestamp,
            alarms: moduleAlarms,
            units: moduleUnits(m),
          };
          messages.push(withBadKeys(msg, own));
        });
        if (messages.length > 0) node.send([messages]);
        return;
      }
      if (settings.output === 'perString') {
        // one message per string with its modules: what a per-string rule (temperature spread) needs
        const { modules, strings, ...system } = reading;
        const messages: NodeMessage[] = [];
        if (!settings.onlyOnChange || changedSystem({ ...system, strings })) {
          const msg = envelope({ prefix: settings.topicPrefix, device, reading: { ...system, strings }, quality: partQuality(quality, systemBad), timestamp, alarms, units: {} });
          msg.units = Object.fromEntries(Object.entries(units).filter(([k]) => k.startsWith('strings.')));
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
            topic: deviceTopic(settings.topicPrefix, deviceName, `string/${index}`),
            payload: { ...str, modules: own } as unknown as Reading,
            device,
            quality: partQuality(quality, ownBad),
            timestamp,
            alarms: alarms.filter((a) => own.some((m) => a.id.startsWith(`module/${m.id}/`))),
            units: Object.fromEntries(Object.entries(units).map(([k, u]) => [k.replace(/^strings\./, ''), u])),
          };
          messages.push(withBadKeys(msg, ownBad));
        }
        if (messages.length > 0) node.send([messages]);
        return;
      }
      if (settings.onlyOnChange) {
        // evaluate every part so each records what it last sent, then send if any changed
        const { modules, ...system } = reading;
        let changed = changedSystem(system);
        for (const m of modules ?? []) changed = filter.changed(`module/${m.id}`, m as unknown as Reading) || changed;
        if (!changed && quality === lastQuality) return;
      }
      const msg = envelope({ prefix: settings.topicPrefix, device, reading, quality, timestamp, alarms, units: {} });
      msg.units = units;
      node.send(withBadKeys(msg, badKeys));
    }

    function changedSystem(system: Omit<BacsReading, 'modules'>): boolean {
      const flat: Reading = {};
      for (const [k, v] of Object.entries(system)) if (v !== undefined && k !== 'strings') flat[k] = v as ReadingValue;
      let changed = filter.changed('system', flat);
      for (const s of system.strings ?? []) changed = filter.changed(`string/${s.index}`, s as unknown as Reading) || changed;
      return changed;
    }

    function emitQualityOnly(quality: Quality, timestamp: number, error?: string): void {
      const msg = envelope({ prefix: settings.topicPrefix, device, reading: {}, quality, timestamp, units: {} }) as unknown as NodeMessage & {
        error?: { message: string };
      };
      if (error) msg.error = { message: error };
      node.send(msg);
    }

    // No back-off of its own: the link backs off its reconnects and fails a read at once while it waits, so
    // polling on at the interval costs nothing and sees the device within one interval of the link's return.
    poller = new Poller(poll, {
      intervalMs: settings.intervalMs,
      firstDelayMs: 100,
      staleMs: settings.staleMs,
      onStale: (ageMs) => {
        if (closed) return;
        // a failing link keeps its red status (with the reason); stale is for a link that is quiet without error
        if (!errors.has('poll')) node.status(vocabulary.stale(ageMs));
        if (lastQuality === 'good') {
          emitQualityOnly('stale', Date.now());
          lastQuality = 'stale';
        }
      },
      onError: (err) => errors.report('poller', err),
    });

    link.register(user);
    const snmpEndpoint = snmp as (SnmpLink & { register?: (n: { id: string }) => void; deregister?: (n: { id: string }) => void }) | undefined;
    if (settings.moduleSource === 'snmp') snmpEndpoint?.register?.({ id: node.id });
    node.status(vocabulary.connecting());
    poller.start();

    node.on('input', (msg: NodeMessage & { reset?: unknown; interval?: unknown }, _send: SendFunction, done: DoneFunction) => {
      try {
        if (msg.reset !== undefined && msg.reset !== false) filter.reset();
        if (typeof msg.interval === 'number' && Number.isFinite(msg.interval) && msg.interval >= 0.2) poller.setInterval(Math.round(msg.interval * 1000));
        waitingDone.push({ done });
        poller.pollNow();
      } catch (err) {
        done(asError(err));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      poller.stop();
      settle();
      if (settings.moduleSource === 'snmp') snmpEndpoint?.deregister?.({ id: node.id });
      link.deregister(user).then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('bacs', Bacs);
};

/** A part's quality: bad_data only for a part with implausible values of its own; a link failure wins. */
function partQuality(quality: Quality, own: readonly string[]): Quality {
  if (quality === 'comm_error' || quality === 'stale') return quality;
  return own.length > 0 ? 'bad_data' : 'good';
}

/** The message as sent, with `badKeys` (the payload keys left out as implausible) when there are any. */
function withBadKeys(msg: DeviceMessage<object>, badKeys: readonly string[]): NodeMessage {
  return (badKeys.length > 0 ? { ...msg, badKeys: [...badKeys] } : msg) as unknown as NodeMessage;
}

function snmpTargetOf(link: SnmpLink, wanted: string, fallbackHost: string) {
  const targets = link.targets();
  const name = wanted || fallbackHost;
  return targets.find((t) => t.host === name || `${t.host}:${t.port}` === name) ?? (wanted ? undefined : targets[0]);
}

