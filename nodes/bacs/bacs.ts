/**
 * bacs: reads a GENEREX BACS controller (CS141 / BACS web manager) through a modbus-endpoint link and sends the
 * whole system — status flags, strings, every module — as one envelope per poll, or one message per module.
 * The device runtime (lib/device/) owns the schedule, errors, status and closing; adapter.ts reads the
 * controller, registers.ts decodes, messages.ts shapes the messages.
 */
import type { DeviceIdentity, Quality } from '../../lib/wire/envelope';
import { deviceTopic } from '../../lib/wire/envelope';
import { ModbusError } from '../../lib/modbus/client';
import { describeViolations, screenReading } from '../../lib/plausibility';
import type { LinkStateEvent } from '../../lib/modbus/link';
import { asError, DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, translator } from '../../lib/red';
import { statusVocabulary } from '../../lib/status';
import { getLink, linkError } from '../../lib/device/links';
import { DeviceRuntime } from '../../lib/device/runtime';
import { deviceAlarms } from './registers';
import { BACS_RANGES } from './schema';
import { bacsSettings } from './settings';
import { BacsAdapter } from './adapter';
import { BacsMessages } from './messages';
import { registerAlarmPresets } from '../../lib/alarm-presets';
import { bacsPresets } from './alarms';

interface BacsDef extends NodeDef {
  endpoint: string;
  snmpEndpoint: string;
}

/** the one device of a bacs node, for error keys */
const SYSTEM = 'system';

export = function (RED: NodeAPI): void {
  registerAlarmPresets(bacsPresets);
  const t = translator(RED);
  const tt = (key: string, subs?: Record<string, string | number>): string => t(`bacs.${key}`, subs);
  const vocabulary = statusVocabulary(t);

  function Bacs(this: Node, config: BacsDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const settings = bacsSettings(config as unknown as { [key: string]: unknown });
    const lookup = getLink(RED, config.endpoint, 'modbus-endpoint');
    const snmpLookup = getLink(RED, config.snmpEndpoint, 'snmp-endpoint');
    const snmp = snmpLookup.ok ? snmpLookup.link : undefined;
    if (!lookup.ok) {
      node.status(vocabulary.notConfigured());
      const err = linkError(t, lookup.problem, 'modbus-endpoint');
      node.error(err, {});
      node.on('input', (_msg: NodeMessage, _send: SendFunction, done: DoneFunction) => done(err));
      return;
    }
    const link = lookup.link;
    const deviceName = settings.deviceName || link.settings.host;
    const device: DeviceIdentity = { kind: 'bacs', name: deviceName, address: `${link.target}#${link.settings.unitId}`, model: 'BACS' };
    const runtime = new DeviceRuntime(node, {
      errorMessage: (err) => ({ topic: deviceTopic(settings.topicPrefix, deviceName), device, error: { message: err.message } }),
    });
    const adapter = new BacsAdapter(link, snmp, settings, () => tt('errors.noSnmpTarget'));
    const shaper = new BacsMessages(settings, device);
    const alarmSince = new Map<string, number>();
    let lastGood = 0;
    let lastQuality: Quality | undefined;
    /** input messages waiting for "their" poll: done() once it finished; done(err) if it failed */
    const waitingDone: DoneFunction[] = [];

    if (settings.moduleSource === 'modbus' && settings.templateProblem) node.warn(tt('errors.template', { reason: settings.templateProblem }));
    if (settings.moduleSource === 'snmp' && !snmp) node.warn(tt('errors.noSnmp'));

    const since = (id: string, now: number): number => {
      const at = alarmSince.get(id);
      if (at !== undefined) return at;
      alarmSince.set(id, now);
      return now;
    };
    const settle = (err?: Error): void => {
      for (const done of waitingDone.splice(0)) done(err);
    };
    const sendQualityOnce = (quality: Quality, now: number, error?: string): void => {
      // once per change: tell the flow the values stopped being current, or are nonsense
      if (lastQuality === quality) return;
      node.send(shaper.qualityOnly(quality, now, error));
      lastQuality = quality;
    };

    const poll = async (): Promise<boolean> => {
      const now = Date.now();
      try {
        const { general, reading, commLost, snmpError } = await adapter.poll();
        if (snmpError) runtime.report(SYSTEM, 'snmp', snmpError);
        else if (settings.moduleSource === 'snmp' && snmp && !commLost) runtime.clear(SYSTEM, 'snmp');
        // values no BACS system can measure are dropped and named (msg.badKeys); a poll of mostly nonsense is a
        // failed read with quality bad_data
        const screened = screenReading(reading, BACS_RANGES);
        if (screened.rejected) {
          const error = new Error(tt('errors.rejected', { keys: describeViolations(screened.violations) }));
          runtime.status(vocabulary.error(tt('status.badData')));
          const reportedNow = runtime.report(SYSTEM, 'poll', error);
          sendQualityOnce('bad_data', now, error.message);
          settle(reportedNow ? undefined : error);
          return false;
        }
        const badKeys = screened.badKeys;
        if (badKeys.length > 0) runtime.report(SYSTEM, 'data', new Error(tt('errors.implausible', { keys: describeViolations(screened.violations) })));
        else runtime.clear(SYSTEM, 'data');
        const checked = screened.reading;
        const quality: Quality = commLost || snmpError ? 'comm_error' : badKeys.length > 0 ? 'bad_data' : 'good';
        const texts = { flag: (id: string) => tt(`flags.${id}`), module: (id: number, state: string) => tt('alarm.module', { id, state: tt(`states.${state}`) }) };
        const alarms = deviceAlarms(general, checked.modules ?? [], (id) => since(id, now), texts, settings.template.verified);
        for (const id of [...alarmSince.keys()]) if (!alarms.some((a) => a.id === id)) alarmSince.delete(id);
        const out = shaper.messages(checked, quality, alarms, now, badKeys, lastQuality);
        if (out) node.send(out);
        lastQuality = quality;
        runtime.clear(SYSTEM, 'poll');
        lastGood = now;
        if (commLost) runtime.status({ fill: 'red', shape: 'ring', text: tt('status.commLost') });
        else if (snmpError) runtime.status(vocabulary.error(`SNMP ${snmpError.message}`));
        else if (badKeys.length > 0) runtime.status({ fill: 'yellow', shape: 'dot', text: tt('status.implausible', { n: badKeys.length }) });
        else runtime.status(vocabulary.ok(now, tt('status.modules', { n: checked.modules?.length ?? 0 })));
        settle();
        return true;
      } catch (err) {
        const error = asError(err);
        if (runtime.closed || (error instanceof ModbusError && error.kind === 'closed')) {
          // a redeploy closed the link under this poll: nothing to report
          settle();
          return false;
        }
        const modbusError = error instanceof ModbusError ? error : undefined;
        runtime.status(modbusError?.kind === 'timeout' ? vocabulary.timeout() : vocabulary.error(modbusError?.shortReason ?? error.message, modbusError?.retryInMs));
        const reportedNow = runtime.report(SYSTEM, 'poll', error);
        sendQualityOnce('comm_error', now, error.message);
        settle(reportedNow ? undefined : error);
        return false;
      }
    };

    const user = {
      id: node.id,
      onLinkState: (event: LinkStateEvent): void => {
        if (runtime.closed) return;
        if (event.state === 'connecting' && lastGood === 0) runtime.status(vocabulary.connecting());
        else if (event.state === 'waiting' && event.error) runtime.status(vocabulary.error(event.error.shortReason));
        // the link is back: read now rather than at the next interval
        else if (event.state === 'connected' && runtime.hasError(SYSTEM, 'poll')) runtime.pollNow();
      },
    };
    link.register(user);
    runtime.onClose(() => link.deregister(user));
    if (settings.moduleSource === 'snmp' && snmp) {
      snmp.register(node);
      runtime.onClose(() => snmp.deregister(node));
    }
    runtime.onClose(() => settle());
    runtime.status(vocabulary.connecting());
    // No back-off of its own: the link backs off its reconnects and fails a read at once while it waits, so
    // polling on at the interval costs nothing and sees the device within one interval of the link's return.
    runtime.schedule(SYSTEM, poll, {
      intervalMs: settings.intervalMs,
      firstDelayMs: 100,
      staleMs: settings.staleMs,
      onStale: (ageMs) => {
        // a failing link keeps its red status (with the reason); stale is for a link that is quiet without error
        if (!runtime.hasError(SYSTEM, 'poll')) runtime.status(vocabulary.stale(ageMs));
        if (lastQuality === 'good') sendQualityOnce('stale', Date.now());
      },
    });

    node.on('input', (msg: NodeMessage & { reset?: unknown; interval?: unknown }, _send: SendFunction, done: DoneFunction) => {
      if (msg.reset !== undefined && msg.reset !== false) shaper.reset();
      if (typeof msg.interval === 'number' && Number.isFinite(msg.interval) && msg.interval >= 0.2) runtime.setInterval(Math.round(msg.interval * 1000));
      waitingDone.push(done);
      runtime.pollNow();
    });
    runtime.closeWith(node);
  }

  RED.nodes.registerType('bacs', Bacs);
};
