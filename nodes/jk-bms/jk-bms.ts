/**
 * jk-bms: reads JK BMS packs (NW, JK02/JK-PB poll or listen, JK Modbus) and JK balancers on an rs485-bus.
 * Thin glue (docs/design.md §1.4): the poller re-arms after each cycle, the bus FIFO serialises every request,
 * client.ts speaks the protocols, messages.ts shapes the envelope. One message per pack (or per value), errors
 * to Catch once per change of state, writes only to allow-listed switches and read back.
 */
import { DeviceIdentity, DeviceMessage, Quality } from '../../lib/wire/envelope';
import { ChangeFilter } from '../../lib/change-filter';
import { Poller } from '../../lib/poller';
import { translatorWithFallback } from '../../lib/i18n';
import { asError, ErrorOnce, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from '../../lib/red';
import { LinkDownError, Rs485Bus, BusState } from '../../lib/rs485/bus';
import type { Rs485BusNode } from '../../lib/rs485/config';
import { NodeStatus, statusVocabulary } from '../../lib/status';
import { TimerSet } from '../../lib/timers';
import { describeViolations } from '../../lib/plausibility';
import { BadFrameError, descriptionsFor, detectPack, ImplausibleFrameError, Jk02Listener, pollPack, wakeNw, WRITABLE, writeSwitch } from './client';
import { AlarmTracker, identity, packMessages, parseAddresses, parseDeadbands, screenPack } from './messages';
import { getProtocol, JkDecodeContext, JkDecoded, JkDeviceInfo, JkProtocolId, JkReading, maskSecrets } from './protocol';
import type { Frame } from '../../lib/rs485/framer';
import { registerAlarmPresets } from '../../lib/alarm-presets';
import { jkPresets } from './alarms';

interface JkBmsDef extends NodeDef {
  bus?: string;
  protocol?: string;
  variant?: string;
  addresses?: string;
  interval?: string | number;
  staleTime?: string | number;
  output?: string;
  onlyChanged?: boolean;
  deadbands?: string;
  invertCurrent?: boolean;
  rawHex?: boolean;
  topic?: string;
  language?: string;
  allowWrites?: boolean;
  allowCharge?: boolean;
  allowDischarge?: boolean;
  allowBalancer?: boolean;
}

type Mode = JkProtocolId | 'auto' | 'jk02-listen';
const MODES: readonly Mode[] = ['auto', 'jk-nw', 'jk02', 'jk02-listen', 'jk-modbus', 'jk-balancer'];

interface PackState {
  address: number;
  protocol?: JkProtocolId;
  device?: JkDeviceInfo;
  deviceTries: number;
  failures: number;
  lastGood: number;
  lastReading?: JkReading;
  quality?: Quality;
  polls: number;
}

function num(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

/** How often (in polls) identity is read again after it was read once. */
const DEVICE_REFRESH_POLLS = 500;

export = function (RED: NodeAPI): void {
  registerAlarmPresets(jkPresets);
  function JkBms(this: import('node-red').Node, config: JkBmsDef): void {
    RED.nodes.createNode(this, config);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const t = translatorWithFallback(RED, require('./locales/en-US/jk-bms.json'));
    const vocab = statusVocabulary(t);
    const timers = new TimerSet();
    const mode: Mode = MODES.find((m) => m === config.protocol) ?? 'auto';
    const intervalMs = num(config.interval, 5, 0.2, 86_400) * 1000;
    const staleMs = num(config.staleTime, 30, 0, 86_400) * 1000;
    const perValue = config.output === 'value';
    const prefix = (config.topic ?? '').trim() || 'jk';
    const lang = config.language === 'zh-CN' ? 'zh-CN' : 'en-US';
    const context: JkDecodeContext = {
      invertCurrent: config.invertCurrent === true,
      variant: config.variant === '24s' || config.variant === '32s' ? config.variant : ('auto' as const),
    };
    const { deadbands, defaultDeadband } = parseDeadbands(config.deadbands ?? '');
    const filter = new ChangeFilter({ deadbands, defaultDeadband });
    const alarms = new AlarmTracker();
    const allowed = new Set<string>(
      config.allowWrites === true
        ? [config.allowCharge ? 'chargeEnabled' : '', config.allowDischarge ? 'dischargeEnabled' : '', config.allowBalancer ? 'balancerEnabled' : ''].filter(
            (k) => k.length > 0,
          )
        : [],
    );
    const errors = new ErrorOnce((err, key) => node.error(err, { topic: `${prefix}/${key}`, payload: err.message } as NodeMessage));
    const packs = new Map<number, PackState>();
    let bus: Rs485Bus | undefined;
    let busNode: Rs485BusNode | null = null;
    let poller: Poller | undefined;
    let listener: Jk02Listener | undefined;
    let closed = false;
    let linkState: BusState | 'none' = 'none';
    let lastStatus = '';

    const setStatus = (status: NodeStatus): void => {
      const key = JSON.stringify(status);
      if (key === lastStatus) return;
      lastStatus = key;
      node.status(status);
    };

    const addresses = parseAddresses(config.addresses ?? '1', mode === 'jk02' || mode === 'jk02-listen' ? 15 : 247);
    busNode = config.bus ? (RED.nodes.getNode(config.bus) as unknown as Rs485BusNode | null) : null;
    if (!busNode) {
      setStatus(vocab.notConfigured());
      errors.report('config', new Error(t('common.errors.noLink')));
    } else if (!addresses.ok) {
      setStatus(vocab.error(addresses.error));
      errors.report('config', new Error(t('jk-bms.errors.addresses', { reason: addresses.error })));
    } else {
      for (const address of addresses.value) packs.set(address, { address, deviceTries: 0, failures: 0, lastGood: 0, polls: 0 });
      try {
        bus = busNode.register(node.id);
      } catch (err) {
        setStatus(vocab.error(asError(err).message));
        errors.report('link', asError(err));
      }
    }

    const deviceName = (address: number): string => `pack${address}`;

    const emit = (messages: DeviceMessage[], extra?: Record<string, unknown>): void => {
      if (messages.length === 0) return;
      const out = messages.map((m) => ({ ...m, ...(extra ?? {}) }) as unknown as NodeMessage);
      node.send(out.length === 1 ? out[0] : [out]);
    };

    const kindOf = (pack: PackState): 'jk-bms' | 'jk-balancer' => (pack.protocol === 'jk-balancer' ? 'jk-balancer' : 'jk-bms');

    /** identity plus the switches a command may set on this pack now (the uplink offers them to Home Assistant) */
    const identityOf = (pack: PackState): DeviceIdentity => {
      const device = identity(kindOf(pack), deviceName(pack.address), pack.address, pack.device);
      const protocol = pack.protocol ?? (mode === 'auto' || mode === 'jk02-listen' ? undefined : mode);
      if (allowed.size === 0 || mode === 'jk02-listen' || listening || protocol === undefined || protocol === 'jk-nw') return device;
      const writable = [...allowed].filter((k) => protocol !== 'jk-balancer' || k === 'balancerEnabled');
      if (writable.length > 0) device.writable = writable;
      return device;
    };

    const sendQuality = (pack: PackState, quality: Quality, reading: JkReading): void => {
      pack.quality = quality;
      emit(
        packMessages({
          prefix,
          device: identityOf(pack),
          reading,
          quality,
          timestamp: Date.now(),
          alarms: [],
          perValue: false,
        }),
      );
    };

    /**
     * A decoded status frame: its implausible values are dropped and it goes out as bad_data naming them
     * (msg.badKeys); a frame of nonsense throws ImplausibleFrameError, a failed read like a bad checksum.
     */
    const good = (pack: PackState, decoded: JkDecoded, raw?: { tx: Buffer[]; rx: Buffer[] }): void => {
      const screened = screenPack(decoded.reading ?? {});
      if (screened.rejected) throw new ImplausibleFrameError(describeViolations(screened.violations));
      const now = Date.now();
      const reading = screened.reading;
      const badKeys = screened.badKeys;
      const quality: Quality = badKeys.length > 0 ? 'bad_data' : 'good';
      pack.lastGood = now;
      pack.failures = 0;
      pack.lastReading = reading;
      if (decoded.device) pack.device = { ...pack.device, ...decoded.device };
      // a change of quality always goes out whole: keys dropped as implausible come back, or leave
      const sameQuality = pack.quality === quality;
      pack.quality = quality;
      errors.clear(`pack${pack.address}`);
      if (badKeys.length > 0) {
        errors.report(`pack${pack.address}/data`, new Error(t('jk-bms.errors.implausible', { address: pack.address, keys: describeViolations(screened.violations) })));
      } else errors.clear(`pack${pack.address}/data`);
      const key = String(pack.address);
      const deviceAlarms = alarms.update(key, reading.alarms ?? [], now, lang);
      let keys: string[] | undefined;
      if (config.onlyChanged === true) {
        keys = filter.changedKeys(key, reading as { [k: string]: import('../../lib/wire/envelope').ReadingValue });
        if (keys.length === 0 && sameQuality) return;
        if (!sameQuality) keys = undefined;
      }
      const messages = packMessages({
        prefix,
        device: identityOf(pack),
        reading,
        quality,
        timestamp: now,
        alarms: deviceAlarms,
        perValue,
        keys: perValue ? keys : undefined,
      });
      const extra: Record<string, unknown> = {};
      if (badKeys.length > 0) extra.badKeys = badKeys;
      if (config.rawHex === true && raw) extra.raw = { tx: raw.tx.map((b) => b.toString('hex')), rx: raw.rx.map((b) => maskSecrets(b)) };
      emit(messages, extra);
    };

    const failed = (pack: PackState, err: Error): void => {
      pack.failures++;
      const text =
        err instanceof ImplausibleFrameError
          ? t('jk-bms.errors.rejected', { address: pack.address, keys: err.keys })
          : t('jk-bms.errors.noReply', { address: pack.address, reason: err.message });
      errors.report(`pack${pack.address}`, new Error(text));
      // a reply that arrived but does not decode is bad data; silence is a communication error
      const quality: Quality = err instanceof BadFrameError ? 'bad_data' : 'comm_error';
      if (pack.quality !== quality) sendQuality(pack, quality, {});
      if (mode === 'auto' && pack.failures >= 3) pack.protocol = undefined; // detect again: the port may have been re-set
    };

    const checkStale = (): void => {
      if (staleMs <= 0) return;
      const now = Date.now();
      for (const pack of packs.values()) {
        if (pack.lastGood > 0 && pack.quality === 'good' && now - pack.lastGood >= staleMs) sendQuality(pack, 'stale', pack.lastReading ?? {});
      }
    };

    const showSummary = (): void => {
      if (linkState === 'down' || linkState === 'connecting') return;
      const total = packs.size;
      const ok = [...packs.values()].filter((p) => p.quality === 'good');
      if (ok.length === total && total > 0) {
        const last = Math.max(...ok.map((p) => p.lastGood));
        setStatus(vocab.ok(last, total > 1 ? t('jk-bms.status.packs', { good: total, total }) : undefined));
      } else if (ok.length > 0) {
        const last = Math.max(...ok.map((p) => p.lastGood));
        setStatus({ ...vocab.ok(last, t('jk-bms.status.packs', { good: ok.length, total })), fill: 'yellow' });
      } else if ([...packs.values()].some((p) => p.quality === 'stale')) {
        const oldest = Math.min(...[...packs.values()].map((p) => p.lastGood || Date.now()));
        setStatus(vocab.stale(Date.now() - oldest));
      } else if ([...packs.values()].some((p) => p.quality === 'comm_error')) {
        setStatus(vocab.error(t('jk-bms.status.noReply')));
      } else if ([...packs.values()].some((p) => p.quality === 'bad_data')) {
        setStatus(vocab.error(t('jk-bms.status.badData')));
      } else if (listening) {
        setStatus({ fill: 'yellow', shape: 'ring', text: t('jk-bms.status.listening') });
      }
    };

    const pollOne = async (pack: PackState): Promise<boolean> => {
      if (!bus) return false;
      const baud = bus.settings.kind === 'serial' ? bus.settings.baudRate : undefined;
      if (!pack.protocol) {
        const found = mode === 'auto' ? await detectPack(bus, pack.address, baud, { multiDrop: packs.size > 1 }) : (mode as JkProtocolId);
        if (!found) throw new Error(t('jk-bms.errors.noProtocol'));
        pack.protocol = found;
      }
      const protocol = pack.protocol;
      pack.polls++;
      const wantsDevice = (protocol === 'jk02' || protocol === 'jk-modbus') && ((!pack.device && pack.deviceTries < 3) || pack.polls % DEVICE_REFRESH_POLLS === 0);
      if (wantsDevice) {
        try {
          const info = await pollPack(bus, protocol, pack.address, 'device', context);
          if (info.decoded.device) pack.device = info.decoded.device;
        } catch (err) {
          pack.deviceTries++;
          if (err instanceof LinkDownError) throw err;
        }
      }
      if (protocol === 'jk-nw' && pack.failures > 0 && pack.failures % 2 === 0) {
        // a sleeping NW board answers only after the activate command (docs/jk-bms-protocols.md §3.2); whatever it
        // says is ignored
        await wakeNw(bus, pack.address);
      }
      const result = await pollPack(bus, protocol, pack.address, 'status', context);
      good(pack, result.decoded, result);
      return true;
    };

    const pollAll = async (): Promise<boolean> => {
      let anyGood = false;
      for (const pack of packs.values()) {
        if (closed || !bus || listening) break;
        try {
          if (await pollOne(pack)) anyGood = true;
        } catch (err) {
          if (closed) break;
          if (err instanceof LinkDownError) break; // the link state handler reports it once
          failed(pack, asError(err));
        }
      }
      checkStale();
      showSummary();
      return anyGood;
    };

    let linkReported = false;
    const onState = (state: BusState, err?: Error): void => {
      const previous = linkState;
      linkState = state;
      if (state === 'up') {
        errors.clear('link');
        linkReported = false;
        if (listening) setStatus({ fill: 'yellow', shape: 'ring', text: t('jk-bms.status.listening') });
        else setStatus(vocab.connecting());
        poller?.pollNow();
      } else if (state === 'down') {
        const reason = err?.message ?? 'link down';
        setStatus(vocab.error(reason));
        // once per loss, not once per retry: the retries' reasons differ (EIO, then ENOENT) but it is one event
        if (!linkReported) errors.report('link', new Error(t('jk-bms.errors.link', { link: busNode?.description ?? '', reason })));
        linkReported = true;
      } else if (state === 'connecting' && previous !== 'down') {
        setStatus(vocab.connecting());
      } else if (state === 'connecting') {
        linkState = 'down'; // a retry in progress: keep showing why the link is down
      }
    };

    let listening = mode === 'jk02-listen';
    const startListening = (): void => {
      if (!bus || listener) return;
      listener = new Jk02Listener(bus, context, ({ address, decoded, bytes }) => {
        const pack = packs.get(address);
        if (!pack) return;
        pack.protocol = 'jk02';
        if (decoded.frameType === 'status') {
          try {
            good(pack, decoded, { tx: [], rx: [bytes] });
          } catch (err) {
            failed(pack, asError(err));
          }
        }
        showSummary();
      });
      listener.start();
      if (staleMs > 0) {
        const tick = (): void => {
          checkStale();
          showSummary();
          timers.timeout(tick, Math.min(staleMs, 5000));
        };
        timers.timeout(tick, Math.min(staleMs, 5000));
      }
    };

    // One master per JK-PB bus (docs/jk-bms-protocols.md §2.3): a trigger request we did not send, or a pack at
    // address 0 broadcasting, means a master polls this bus. Polling as well would collide with it, so the node stops
    // transmitting and decodes the master's traffic instead.
    let stopSniffing: (() => void) | undefined;
    const onUnsolicited = (frame: Frame): void => {
      if (listening || !frame.protocol.startsWith('jk02/') || frame.bytes[0] === 0x55) return;
      const d = getProtocol('jk02')?.decode(frame.bytes, context);
      if (!d || !d.ok) return;
      const master = d.value.frameType === 'trigger' || (d.value.frameType === 'ack' && d.value.address === 0);
      if (!master) return;
      listening = true;
      poller?.stop();
      poller = undefined;
      stopSniffing?.();
      node.warn(t('jk-bms.errors.masterSeen'));
      startListening();
      setStatus({ fill: 'yellow', shape: 'ring', text: t('jk-bms.status.listening') });
    };

    if (bus) {
      bus.on('state', onState);
      onState(bus.state, bus.error);
      if (mode === 'jk02-listen') {
        startListening();
      } else {
        if (mode === 'auto' || mode === 'jk02') {
          const unsubscribe = bus.listen(descriptionsFor('jk02'));
          const sniffing = bus;
          sniffing.on('unsolicited', onUnsolicited);
          stopSniffing = () => {
            unsubscribe();
            sniffing.off('unsolicited', onUnsolicited);
            stopSniffing = undefined;
          };
        }
        poller = new Poller(pollAll, {
          intervalMs,
          firstDelayMs: 50,
          backoff: { initialMs: intervalMs, maxMs: Math.max(intervalMs, 60_000) },
          onError: (err) => errors.report('poll', err),
        });
        poller.start();
      }
    }

    const handleCommand = async (command: unknown): Promise<NodeMessage> => {
      if (typeof command !== 'object' || command === null) throw new Error(t('jk-bms.errors.command'));
      const c = command as { set?: unknown; value?: unknown; address?: unknown };
      if (typeof c.set !== 'string' || !(c.set in WRITABLE)) throw new Error(t('jk-bms.errors.command'));
      if (typeof c.value !== 'boolean') throw new Error(t('jk-bms.errors.commandValue'));
      if (config.allowWrites !== true) throw new Error(t('jk-bms.errors.writesOff'));
      if (!allowed.has(c.set)) throw new Error(t('jk-bms.errors.notAllowed', { key: c.set }));
      if (mode === 'jk02-listen' || listening) throw new Error(t('jk-bms.errors.listenOnly'));
      let address: number;
      if (c.address === undefined && packs.size === 1) address = [...packs.keys()][0];
      else if (typeof c.address === 'number' && packs.has(c.address)) address = c.address;
      else throw new Error(t('jk-bms.errors.commandAddress', { addresses: [...packs.keys()].join(',') }));
      const pack = packs.get(address) as PackState;
      if (!bus) throw new Error(t('common.errors.noLink'));
      const protocol = pack.protocol ?? (mode === 'auto' ? undefined : (mode as JkProtocolId));
      if (!protocol) throw new Error(t('jk-bms.errors.notDetected', { address }));
      if (protocol === 'jk-nw') throw new Error(t('jk-bms.errors.nwNoWrite'));
      const outcome = await writeSwitch(bus, protocol, address, c.set, c.value, context);
      if (!outcome.confirmed) throw new Error(t('jk-bms.errors.notConfirmed', { key: c.set, address }));
      poller?.pollNow();
      return {
        topic: `${prefix}/${deviceName(address)}/command`,
        payload: { set: c.set, value: c.value, address, confirmed: true },
      } as NodeMessage;
    };

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const command = (msg as { command?: unknown }).command;
      if (command !== undefined) {
        handleCommand(command).then(
          (reply) => {
            send({ ...msg, ...reply } as NodeMessage);
            done();
          },
          (err: unknown) => done(asError(err)),
        );
        return;
      }
      if (!bus) {
        done(new Error(t('common.errors.noLink')));
        return;
      }
      poller?.pollNow();
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      poller?.stop();
      listener?.stop();
      stopSniffing?.();
      timers.close();
      bus?.off('state', onState);
      const owner = busNode;
      bus = undefined;
      if (!owner) {
        done();
        return;
      }
      owner.deregister(node.id).then(
        () => done(),
        () => done(),
      );
    });
  }
  RED.nodes.registerType('jk-bms', JkBms);
};
