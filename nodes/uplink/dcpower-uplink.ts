/**
 * `dcpower-uplink`: publishes device envelopes and alarm-rules state changes to an MQTT broker, as plain JSON
 * under a unified-namespace topic tree, as a Sparkplug B edge node, or as Home Assistant MQTT discovery
 * (topics.ts, uns.ts, sparkplug.ts, home-assistant.ts).
 */
import { randomBytes } from 'crypto';
import { Backoff } from '../../lib/backoff';
import { asError, DoneFunction, ErrorOnce, Node, NodeAPI, NodeDef, NodeMessageInFlow, translator } from '../../lib/red';
import { NodeStatus, statusVocabulary } from '../../lib/status';
import { isBrokerNode } from '../links/mqtt-endpoint';
import { ConnectionState, UplinkConnection } from './connection';
import { classify } from './input';
import type { SessionSignal, UplinkProfile } from './profile';
import { SparkplugProfile, SparkplugWarning } from './sparkplug';
import { HaSwitchCommand, HomeAssistantProfile } from './home-assistant';
import { TimerSet } from '../../lib/timers';
import { UnsProfile } from './uns';
import { configNumber } from '../../lib/config-number';

interface UplinkDef extends NodeDef {
  broker: string;
  format: 'json' | 'sparkplug' | 'homeassistant';
  enterprise: string;
  site: string;
  area: string;
  edge: string;
  group: string;
  qos: number | string;
  retain: boolean;
  splitValues: boolean;
  alarmsDevice: string;
  bufferSize: number | string;
  /** Sparkplug primary host application id; empty: none */
  primaryHost?: string;
  /** the primary host speaks Sparkplug 2.2 STATE (`STATE/<id>`, ONLINE/OFFLINE) */
  legacyHostState?: boolean;
  /** context store that keeps the last bdSeq across restarts; empty: the default store */
  bdSeqStore?: string;
  /** Home Assistant discovery prefix; empty: `homeassistant` */
  haPrefix?: string;
  /** seconds a device may be silent, or a key missing from its values, before its entities are removed */
  haForgetAfter?: number | string;
  /** context store of the published configs and the energy totals; empty: the default store */
  haStore?: string;
}

/** node context key of the last bdSeq (Sparkplug) */
const BDSEQ_KEY = 'sparkplugBdSeq';

/** node context keys of the Home Assistant mode: the configs it published, the energy totals */
const HA_RECORD_KEY = 'haDiscovery';
const HA_ENERGY_KEY = 'haEnergy';
/** how often the published configs and energy totals are written to the context store, at most */
const HA_SAVE_MS = 5_000;

/** A broker that has never answered is reported to Catch only after this long (the status shows it at once). */
const UNREACHABLE_REPORT_MS = 30_000;

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
}

/** the dialog's whole numbers, read by the one rule of lib/config-number.ts */
function bounded(value: unknown, fallback: number, min: number, max: number): number {
  return configNumber(value, { fallback, min, max, integer: true });
}

/** `ECONNREFUSED` rather than `connect ECONNREFUSED 127.0.0.1:1883`: the status has room for ~20 characters. */
function reasonOf(err: Error | undefined): string {
  if (!err) return 'closed';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.length > 0) return code;
  return err.message;
}

/** Sets a value in the node's context, in the chosen store or the default one; a throw is reported as an error too. */
function storeValue(node: Node, key: string, value: unknown, store: string | undefined, after: (err?: Error | null) => void): void {
  try {
    if (store !== undefined) node.context().set(key, value, store, after);
    else node.context().set(key, value, after);
  } catch (err) {
    after(asError(err));
  }
}

/** Reads a value of the node's context (a persistent store answers asynchronously). */
function readValue(node: Node, key: string, store: string | undefined, cb: (err: Error | null | undefined, value: unknown) => void): void {
  try {
    if (store !== undefined) node.context().get(key, store, cb);
    else node.context().get(key, cb);
  } catch (err) {
    cb(asError(err), undefined);
  }
}

/** The jk-bms node's reply to a command this node sent (`msg.haDevice` came back with it): confirmed, read back. */
function commandReply(msg: Record<string, unknown>): { device: string; key: string; value: boolean } | undefined {
  const payload = msg.payload as Record<string, unknown> | undefined;
  if (typeof msg.haDevice !== 'string' || typeof payload !== 'object' || payload === null) return undefined;
  if (payload.confirmed !== true || typeof payload.set !== 'string' || typeof payload.value !== 'boolean') return undefined;
  return { device: msg.haDevice, key: payload.set, value: payload.value };
}

export = function (RED: NodeAPI): void {
  const t = translator(RED);
  /** last bdSeq per Sparkplug edge node, so a redeploy goes on counting CONNECTs instead of starting at 0 again */
  const lastBdSeq = new Map<string, number>();
  /**
   * Home Assistant configs published and energy totals per node, across redeploys in this process: without a
   * configured context store Node-RED deletes a node's context when it closes (context store or not, this is the
   * freshest copy within one process; the store carries them across a restart)
   */
  const lastHome = new Map<string, { record: unknown; energy: unknown }>();
  const status = statusVocabulary(t);

  function DcpowerUplink(this: Node, def: UplinkDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const errors = new ErrorOnce((err) => node.error(err, { topic: 'dcpower-uplink', payload: err.message }));
    const broker = RED.nodes.getNode(def.broker);

    const refuse = (reason: string, st: NodeStatus): void => {
      node.status(st);
      errors.report('config', new Error(reason));
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: DoneFunction) => done(new Error(reason)));
    };
    if (!isBrokerNode(broker)) {
      refuse(t('dcpower-uplink.errors.noBroker'), status.notConfigured());
      return;
    }
    const edge = text(def.edge, 'node-red');
    const endpoint = broker.endpoint(`${edge}-${randomBytes(3).toString('hex')}`);
    if (!endpoint.ok) {
      refuse(endpoint.error, status.error(endpoint.error));
      return;
    }
    const edgeKey = `${text(def.group, 'dcpower')}/${edge}`;
    const store = text(def.bdSeqStore, '') || undefined;
    const primaryHost = text(def.primaryHost, '');
    let closed = false;
    /** bdSeq of each CONNECT, into the chosen context store so a restarted Node-RED goes on counting */
    const persistBdSeq = (bdSeq: number): void => {
      const after = (err?: Error | null): void => {
        if (err) errors.report('bdSeqStore', new Error(t('dcpower-uplink.errors.bdSeqSave', { error: err.message })));
        else errors.clear('bdSeqStore');
      };
      storeValue(node, BDSEQ_KEY, bdSeq, store, after);
    };
    /** names a case-insensitive host would merge: the profile refuses them and reports each once */
    const warnRefused = (w: SparkplugWarning): void => {
      if (w.kind === 'metricCase') node.warn(t('dcpower-uplink.warnings.metricCase', { device: w.device, name: w.name, existing: w.existing }));
      else node.warn(t('dcpower-uplink.warnings.deviceCase', { device: w.device, existing: w.existing }));
    };
    const sparkplug =
      def.format === 'sparkplug'
        ? new SparkplugProfile({
            group: text(def.group, 'dcpower'),
            edge,
            alarmsDevice: text(def.alarmsDevice, 'alarms'),
            previousBdSeq: lastBdSeq.get(edgeKey),
            primaryHost: primaryHost !== '' ? { id: primaryHost, form: def.legacyHostState === true ? 'legacy' : 'v3' } : undefined,
            onBdSeq: persistBdSeq,
            onWarning: warnRefused,
          })
        : undefined;
    const haStore = text(def.haStore, '') || undefined;
    const timers = new TimerSet();
    const refusedOnce = new Set<string>();
    const sendCommand = (c: HaSwitchCommand): void => {
      const address = typeof c.address === 'string' && /^\d+$/.test(c.address) ? Number(c.address) : c.address;
      const command = { set: c.key, value: c.value, address };
      // wired to the jk-bms node: its allow-list and read-back decide; its reply comes back with haDevice
      node.send({ topic: `${c.source}/command`, command, payload: command, haDevice: c.device } as unknown as NodeMessageInFlow);
    };
    const home =
      def.format === 'homeassistant'
        ? new HomeAssistantProfile({
            prefix: text(def.haPrefix, 'homeassistant'),
            edge,
            forgetAfterMs: bounded(def.haForgetAfter, 600, 1, 30 * 86_400) * 1000,
            startedAt: Date.now(),
            onCommand: sendCommand,
            onRefused: (device, key, reason) => {
              const once = `${device}/${key}/${reason}`;
              if (refusedOnce.has(once)) return;
              refusedOnce.add(once);
              node.warn(t('dcpower-uplink.warnings.haRefused', { device, key, reason: t(`dcpower-uplink.warnings.haReason.${reason}`) }));
            },
          })
        : undefined;
    const profile: UplinkProfile<unknown> = sparkplug
      ? (sparkplug as UplinkProfile<unknown>)
      : home
        ? (home as UplinkProfile<unknown>)
        : (new UnsProfile({
            enterprise: text(def.enterprise, 'dcpower'),
            site: text(def.site, 'site1'),
            area: text(def.area, ''),
            edge,
            qos: Number(def.qos) === 1 ? 1 : 0,
            retain: def.retain !== false,
            splitValues: def.splitValues === true,
          }) as UplinkProfile<unknown>);

    let shown = '';
    /** the connection's status without the queue detail, so input can refresh the counts */
    let base: NodeStatus = status.connecting();
    const show = (st: NodeStatus): void => {
      const key = `${st.fill}|${st.shape}|${st.text}`;
      if (key === shown) return;
      shown = key;
      node.status(st);
    };
    const queueDetail = (buffered: number, dropped: number): string => {
      const parts: string[] = [];
      if (buffered > 0) parts.push(t('dcpower-uplink.status.queued', { n: buffered }));
      if (dropped > 0) parts.push(t('dcpower-uplink.status.dropped', { n: dropped }));
      return parts.join(', ');
    };
    const withDetail = (st: NodeStatus, detail: string): NodeStatus => (detail ? { ...st, text: `${st.text} ${detail}` } : st);
    /** connected, births held: the primary host is offline or has not said yet */
    const holding = (): NodeStatus =>
      status.waiting(
        sparkplug?.hostState === 'offline'
          ? t('dcpower-uplink.status.hostOffline', { host: primaryHost })
          : t('dcpower-uplink.status.hostUnknown', { host: primaryHost }),
      );

    let unreachableSince: number | undefined;
    let everConnected = false;
    /** one report per outage: the reason may change from attempt to attempt (refused, reset, timed out) */
    let outageReported = false;
    const connection = new UplinkConnection<unknown>(profile, {
      url: endpoint.url,
      clientOptions: endpoint.options,
      bufferSize: bounded(def.bufferSize, 1000, 0, 100_000),
      backoff: new Backoff({ initialMs: 1_000, maxMs: 30_000 }),
      onState: (s: ConnectionState) => {
        const detail = queueDetail(s.buffered, s.dropped);
        if (s.phase === 'connecting') {
          base = status.connecting();
          show(withDetail(base, detail));
        } else if (s.phase === 'holding') {
          unreachableSince = undefined;
          everConnected = true;
          outageReported = false;
          errors.clear('connection');
          base = holding();
          show(withDetail(base, detail));
        } else if (s.phase === 'connected') {
          unreachableSince = undefined;
          everConnected = true;
          outageReported = false;
          errors.clear('connection');
          show(withDetail(status.ok(Date.now()), detail));
        } else {
          const now = Date.now();
          if (unreachableSince === undefined) unreachableSince = now;
          base = status.error(reasonOf(s.error));
          show(withDetail(base, detail));
          // a lost connection or a refusal by the broker (bad credentials) is news at once; a broker that was
          // never reachable (no broker running yet) only after a while, so a first deploy is not an error flood
          const refused = typeof (s.error as { code?: unknown } | undefined)?.code === 'number';
          if (!outageReported && (everConnected || refused || now - unreachableSince >= UNREACHABLE_REPORT_MS)) {
            outageReported = true;
            errors.report('connection', new Error(t('dcpower-uplink.errors.connection', { broker: endpoint.label, reason: s.error?.message ?? 'closed' })));
          }
        }
      },
      onInternalError: (err) => errors.report('internal', err),
      onSession: (signal: SessionSignal) => {
        // a malformed STATE is reported once (until a good one arrives), never on every retained re-delivery
        if (signal.error !== undefined) {
          errors.report('hostState', new Error(t('dcpower-uplink.errors.hostState', { topic: sparkplug?.hostTopic ?? '', reason: signal.error })));
        } else {
          errors.clear('hostState');
        }
      },
    });

    let lastStatusKey = '';
    node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: DoneFunction) => {
      const now = Date.now();
      const reply = home ? commandReply(msg as unknown as Record<string, unknown>) : undefined;
      if (home && reply) {
        connection.submit(home.confirmed(reply.device, reply.key, reply.value));
        done();
        return;
      }
      const input = classify(msg as unknown as Record<string, unknown>, now);
      if (!input.ok) {
        done(new Error(input.error));
        return;
      }
      try {
        connection.submit(profile.accept(input.value, connection.isOnline, now));
      } catch (err) {
        done(asError(err));
        return;
      }
      // the status text changes at most once a second or when the counts change: skip translating it otherwise
      const at = connection.lastPublishAt || now;
      const statusKey = `${connection.isOnline ? Math.floor(at / 1000) : base.text}|${connection.bufferedCount}|${connection.dropped}`;
      if (statusKey !== lastStatusKey) {
        lastStatusKey = statusKey;
        const detail = queueDetail(connection.bufferedCount, connection.dropped);
        show(withDetail(connection.isOnline ? status.ok(at) : base, detail));
      }
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      timers.close();
      if (home) {
        saveHome();
        lastHome.set(node.id, { record: home.record(), energy: home.energyTotals() });
      }
      if (sparkplug && sparkplug.currentBdSeq >= 0) lastBdSeq.set(edgeKey, sparkplug.currentBdSeq);
      connection
        .close()
        .catch(() => undefined)
        .then(() => done());
    });

    /** the configs published and the energy totals, into the chosen store (only what changed) */
    function saveHome(): void {
      if (!home) return;
      const put = (key: string, value: unknown): void => {
        const after = (err?: Error | null): void => {
          if (err) errors.report('haStore', new Error(t('dcpower-uplink.errors.haSave', { error: err.message })));
          else errors.clear('haStore');
        };
        storeValue(node, key, value, haStore, after);
      };
      const record = home.takeRecord();
      if (record) put(HA_RECORD_KEY, record);
      const energy = home.takeEnergy();
      if (energy) put(HA_ENERGY_KEY, energy);
    }

    if (home) {
      const forgetMs = bounded(def.haForgetAfter, 600, 1, 30 * 86_400) * 1000;
      // removals go out only while connected: offline they would be dropped and the entity would stay
      timers.interval(() => {
        if (connection.isOnline) connection.submit(home.sweep(Date.now()));
      }, Math.min(60_000, Math.max(250, forgetMs / 4)));
      timers.interval(saveHome, HA_SAVE_MS);
      // what an earlier run published and integrated, before the first CONNECT (a persistent store is async)
      const read = (key: string): Promise<unknown> =>
        new Promise((resolve) => {
          readValue(node, key, haStore, (err, value) => {
            if (err) errors.report('haStore', new Error(t('dcpower-uplink.errors.haLoad', { error: err.message })));
            resolve(err ? undefined : value);
          });
        });
      Promise.all([read(HA_RECORD_KEY), read(HA_ENERGY_KEY)]).then(
        ([record, energy]) => {
          if (closed) return;
          const recent = lastHome.get(node.id);
          lastHome.delete(node.id);
          home.restore(recent?.record ?? record, recent?.energy ?? energy);
          connection.start();
        },
        () => {
          if (!closed) connection.start();
        },
      );
      return;
    }
    if (!sparkplug) {
      connection.start();
      return;
    }
    // the first will needs the last bdSeq: read the store before the first CONNECT (a persistent store is async)
    const resume = (value: unknown, err?: Error | null): void => {
      if (closed) return;
      if (err) errors.report('bdSeqStore', new Error(t('dcpower-uplink.errors.bdSeqLoad', { error: err.message })));
      // within one Node-RED process the in-memory value is the freshest (a store may flush late)
      if (!lastBdSeq.has(edgeKey)) sparkplug.resumeBdSeq(value);
      connection.start();
    };
    readValue(node, BDSEQ_KEY, store, (err, value) => resume(value, err));
  }

  RED.nodes.registerType('dcpower-uplink', DcpowerUplink as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
