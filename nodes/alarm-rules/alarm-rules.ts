/**
 * alarm-rules: the Node-RED wrapper around the pure alarm engine. Output 1 carries one message per alarm state
 * change, output 2 the alarm table for a dashboard. State lives in node context (the store is configurable)
 * so a persistent store carries it across a restart.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow, SendFunction, DoneFunction } from '../../lib/red';
import { asError, guard } from '../../lib/red';
import { TimerSet } from '../../lib/timers';
import type { NodeStatus } from '../../lib/status';
import { AlarmCommand, AlarmEngine, AlarmEvent, AlarmTable, Scheduler } from './engine';
import { compileRules } from './rules';
import { alarmPresets } from '../../lib/alarm-presets';

interface AlarmRulesDef extends NodeDef {
  rules?: unknown;
  store?: string;
  chatterCount?: number | string;
  chatterWindow?: number | string;
  maxShelve?: number | string;
  defaultShelve?: number | string;
}

/** What the node keeps in context: the engine state, and rules set by msg.rules for the deployed rules. */
interface Persisted {
  version: 1;
  /** JSON of the deployed rules the runtime rules replaced; a new deploy of other rules wins over them */
  configRules: string;
  runtimeRules?: unknown;
  state: unknown;
}

const CONTEXT_KEY = 'alarmRules';
const SAVE_DELAY_MS = 1000;
const MAX_BUFFERED = 10_000;

function num(v: unknown, dflt: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : dflt;
}

function parseRules(raw: unknown): unknown {
  if (typeof raw === 'string') {
    if (raw.trim() === '') return [];
    try {
      return JSON.parse(raw) as unknown;
    } catch (err) {
      return { invalidJson: asError(err).message };
    }
  }
  return raw ?? [];
}

export = function (RED: NodeAPI): void {
  // The dialog's preset picker reads the catalogue from here (docs/node-red-notes.md A8: admin endpoints need a
  // permission).
  RED.httpAdmin.get('/dcpower/alarm-rules/presets', RED.auth.needsPermission('alarm-rules.read'), (_req, res) => {
    res.json(alarmPresets());
  });

  function AlarmRulesNode(this: Node, config: AlarmRulesDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const timers = new TimerSet();
    const store = typeof config.store === 'string' && config.store.trim() !== '' ? config.store.trim() : undefined;
    const configRulesRaw = parseRules(config.rules);
    const configRulesJson = JSON.stringify(configRulesRaw);
    let runtimeRules: unknown;
    let loaded = false;
    let closed = false;
    let saveTimer: NodeJS.Timeout | undefined;
    let lastStatus = '';
    let tablePending = false;
    let lastSaveError = '';
    let configError: string | null = null;
    const buffered: Array<{ msg: NodeMessageInFlow; send: SendFunction; done: DoneFunction }> = [];

    // a throw inside a timer callback would take Node-RED down: report it instead (docs/node-red-notes.md A3)
    const reportTimerError = (err: Error): void => node.error(err, { topic: 'alarm-rules' });
    const scheduler: Scheduler = {
      now: () => Date.now(),
      setTimer: (fn, ms) => timers.timeout(guard(reportTimerError, fn), ms),
      clearTimer: (h) => timers.clear(h as NodeJS.Timeout | undefined),
    };

    const engine = new AlarmEngine([], {
      scheduler,
      chatterCount: num(config.chatterCount, 3),
      chatterWindow: num(config.chatterWindow, 60),
      maxShelve: num(config.maxShelve, 8 * 3600),
      defaultShelve: num(config.defaultShelve, 3600),
      onWarn: (id, reason) => node.warn(RED._('alarm-rules.warn.badValue', { id, reason })),
      // one line per source and change: a dead device is one warning, however many rules it feeds
      onSource: (topic, state, quality) => {
        if (state === 'lost') node.warn(RED._('alarm-rules.warn.sourceLost', { topic: topic || '-', quality }));
        else node.log(RED._('alarm-rules.log.sourceBack', { topic: topic || '-' }));
      },
      onEvents: (events) => {
        // events from delays, shelving expiry, re-alarms and stale timers
        if (events.length > 0) node.send([events.map(eventMessage), null] as unknown as NodeMessage[]);
        afterChange();
      },
    });

    // Error texts: the translated lead plus the engine's detail, which names the rule.
    const refused = (detail: string): string => `${RED._('alarm-rules.errors.rulesRefused')}: ${detail}`;

    const initial = compileRules(configRulesRaw);
    if (initial.ok) engine.setRules(initial.rules);
    else {
      configError = initial.error;
      // reported once the flow has started, so a Catch node on the same tab sees it
      timers.timeout(guard(reportTimerError, () => node.error(refused(initial.error), { topic: 'rules', rules: configRulesRaw })), 0);
    }

    function eventMessage(ev: AlarmEvent): NodeMessage {
      return { topic: ev.id, payload: ev } as NodeMessage;
    }

    function tableMessage(table: AlarmTable, report = false): NodeMessage {
      const msg: Record<string, unknown> = { topic: 'alarms', payload: table.rows, counts: table.counts };
      if (report) msg.report = true;
      return msg as NodeMessage;
    }

    function updateStatus(table?: AlarmTable): void {
      let status: NodeStatus;
      if (configError !== null) {
        status = { fill: 'red', shape: 'ring', text: RED._('alarm-rules.status.badRules') };
      } else {
        const c = (table ?? engine.table()).counts;
        const extras =
          (c.chattering > 0 ? ' ' + RED._('alarm-rules.status.chattering', { n: c.chattering }) : '') +
          (c.badQuality > 0 ? ' ' + RED._('alarm-rules.status.bad', { n: c.badQuality }) : '') +
          (c.raised10m > 0 ? ' ' + RED._('alarm-rules.status.rate', { n: c.raised10m }) : '');
        if (c.unacknowledged > 0 || c.active > 0) {
          const text = RED._('alarm-rules.status.alarms', { active: c.active, unack: c.unacknowledged }) + extras;
          if (c.unacknowledged === 0) status = { fill: 'blue', shape: 'ring', text };
          else if (c.worst === 'warning') status = { fill: 'yellow', shape: 'dot', text };
          else status = { fill: 'red', shape: 'dot', text };
        } else if (c.badQuality > 0 || c.chattering > 0) {
          status = { fill: 'yellow', shape: 'dot', text: RED._('alarm-rules.status.normal', { n: c.tracked }) + extras };
        } else {
          status = { fill: 'green', shape: 'dot', text: RED._('alarm-rules.status.normal', { n: c.tracked }) + extras };
        }
      }
      const key = `${status.fill}|${status.shape}|${status.text}`;
      if (key === lastStatus) return;
      lastStatus = key;
      node.status(status);
    }

    function persisted(): Persisted {
      return {
        version: 1,
        configRules: configRulesJson,
        ...(runtimeRules !== undefined ? { runtimeRules } : {}),
        state: engine.exportState(),
      };
    }

    function save(cb?: () => void): void {
      if (saveTimer !== undefined) timers.clear(saveTimer);
      saveTimer = undefined;
      const value = persisted();
      const after = (err?: Error | null): void => {
        // a failing store is reported once per different failure, not on every save
        const text = err ? err.message : '';
        if (text !== '' && text !== lastSaveError) node.warn(RED._('alarm-rules.warn.saveFailed', { error: text }));
        lastSaveError = text;
        cb?.();
      };
      try {
        if (store !== undefined) node.context().set(CONTEXT_KEY, value, store, after);
        else node.context().set(CONTEXT_KEY, value, after);
      } catch (err) {
        after(asError(err));
      }
    }

    /**
     * After state changes: the table (output 2) and the status follow once per turn of the event loop, so a burst
     * of messages costs one table, not one per message; the state is saved a second later (the persistent store
     * itself flushes on its own interval).
     */
    function afterChange(): void {
      if (closed) return;
      if (!tablePending) {
        tablePending = true;
        timers.timeout(guard(reportTimerError, flushTable), 0);
      }
      if (saveTimer !== undefined) return;
      saveTimer = timers.timeout(
        guard(reportTimerError, () => {
          saveTimer = undefined;
          save();
        }),
        SAVE_DELAY_MS,
      );
    }

    function flushTable(): void {
      tablePending = false;
      if (closed || !engine.takeTableDirty()) return;
      const table = engine.table();
      node.send([null, tableMessage(table)] as unknown as NodeMessage[]);
      updateStatus(table);
    }

    function handle(msg: NodeMessageInFlow, send: SendFunction, done: DoneFunction): void {
      const m = msg as unknown as Record<string, unknown>;
      if (m.rules !== undefined) {
        const res = engine.setRules(parseRules(m.rules));
        if (!res.ok) {
          done(new Error(refused(res.error)));
          return;
        }
        configError = null;
        runtimeRules = parseRules(m.rules);
        lastStatus = '';
        engine.markTableDirty();
        afterChange();
        done();
        return;
      }
      if (m.command !== undefined) {
        const command = typeof m.command === 'string' ? m.command.trim().toLowerCase() : String(m.command);
        const cmd: AlarmCommand = { command };
        if (typeof m.alarmId === 'string' && m.alarmId !== '') cmd.alarmId = m.alarmId;
        if (typeof m.rule === 'string' && m.rule !== '') cmd.rule = m.rule;
        if (m.duration !== undefined) cmd.duration = typeof m.duration === 'string' ? Number(m.duration) : (m.duration as number);
        if (m.oneShot === true) cmd.oneShot = true;
        const res = engine.command(cmd);
        if (!res.ok) {
          done(new Error(`${RED._('alarm-rules.errors.commandRefused')}: ${res.error}`));
          return;
        }
        const out1 = res.events.length > 0 ? res.events.map(eventMessage) : null;
        const out2 = command === 'report' ? tableMessage(engine.table(true), true) : null;
        if (out1 !== null || out2 !== null) send([out1, out2] as unknown as NodeMessage[]);
        if (res.events.length > 0) afterChange();
        done();
        return;
      }
      const events = engine.process(m);
      if (events.length > 0) {
        send([events.map(eventMessage), null] as unknown as NodeMessage[]);
        afterChange();
      } else if (engine.tableDirty) afterChange();
      done();
    }

    node.on('input', (msg: NodeMessageInFlow, send: SendFunction, done: DoneFunction) => {
      if (!loaded) {
        if (buffered.length >= MAX_BUFFERED) {
          done(new Error(RED._('alarm-rules.errors.notReady')));
          return;
        }
        buffered.push({ msg, send, done });
        return;
      }
      try {
        handle(msg, send, done);
      } catch (err) {
        done(asError(err));
      }
    });

    function restore(value: unknown): void {
      if (typeof value !== 'object' || value === null) return;
      const p = value as Partial<Persisted>;
      // rules set by msg.rules survive a restart as long as the deployed rules are the same ones they replaced
      if (p.runtimeRules !== undefined && p.configRules === configRulesJson) {
        const res = engine.setRules(p.runtimeRules);
        if (res.ok) {
          runtimeRules = p.runtimeRules;
          configError = null;
        }
      }
      engine.importState(p.state);
    }

    function start(value: unknown, err?: Error | null): void {
      if (closed) return;
      if (err) node.warn(RED._('alarm-rules.warn.loadFailed', { error: err.message }));
      try {
        restore(value);
      } catch (e) {
        node.warn(RED._('alarm-rules.warn.loadFailed', { error: asError(e).message }));
      }
      loaded = true;
      engine.takeTableDirty();
      const table = engine.table();
      if (table.rows.length > 0) node.send([null, tableMessage(table)] as unknown as NodeMessage[]);
      updateStatus(table);
      for (const b of buffered.splice(0)) {
        try {
          handle(b.msg, b.send, b.done);
        } catch (e) {
          b.done(asError(e));
        }
      }
    }

    try {
      const cb = (e: Error | null | undefined, value: unknown): void => start(value, e ?? null);
      if (store !== undefined) node.context().get(CONTEXT_KEY, store, cb);
      else node.context().get(CONTEXT_KEY, cb);
    } catch (err) {
      start(undefined, asError(err));
    }

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      engine.close();
      const finish = (): void => {
        timers.close();
        done();
      };
      for (const b of buffered.splice(0)) b.done();
      if (removed) {
        // a deleted node takes its alarms with it
        try {
          if (store !== undefined) node.context().set(CONTEXT_KEY, undefined, store, () => finish());
          else node.context().set(CONTEXT_KEY, undefined, () => finish());
        } catch {
          finish();
        }
        return;
      }
      if (!loaded) {
        finish();
        return;
      }
      save(finish);
    });
  }

  RED.nodes.registerType('alarm-rules', AlarmRulesNode);
};
