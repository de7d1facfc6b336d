/**
 * jk-bms: reads JK BMS packs (NW, JK02/JK-PB poll or listen, JK Modbus) and JK balancers on an rs485-bus.
 * The device runtime (lib/device/) owns one poll schedule per pack (a silent pack backs off alone), errors,
 * status and closing; adapter.ts reads a pack, client.ts speaks the protocols, messages.ts shapes the envelope.
 * One message per pack (or per value); writes only to allow-listed switches and read back.
 */
import type { Quality } from '../../lib/wire/envelope';
import { translatorWithFallback } from '../../lib/i18n';
import { asError, NodeAPI, NodeMessage, NodeMessageInFlow } from '../../lib/red';
import { LinkDownError, Rs485Bus, BusState } from '../../lib/rs485/bus';
import type { Frame } from '../../lib/wire/framer';
import { NodeStatus, statusVocabulary } from '../../lib/status';
import { getLink, linkError } from '../../lib/device/links';
import { DeviceRuntime, fleetStatus, summarize } from '../../lib/device/runtime';
import { BadFrameError, descriptionsFor, ImplausibleFrameError, Jk02Listener, SettingRefusedError, showsBusMaster, writeSetting, writeSwitch } from './client';
import { parseAddresses } from './messages';
import { JkDecoded, JkProtocolId, JkReading } from './protocol';
import { newPack, noteFrame, PackState, packName, parseCommand, pollOnePack } from './adapter';
import { PackReadings } from './readings';
import { jkSettings, type JkBmsDef } from './settings';
import { registerAlarmPresets } from '../../lib/alarm-presets';
import { jkPresets } from './alarms';

export = function (RED: NodeAPI): void {
  registerAlarmPresets(jkPresets);
  function JkBms(this: import('node-red').Node, config: JkBmsDef): void {
    RED.nodes.createNode(this, config);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const t = translatorWithFallback(RED, require('./locales/en-US/jk-bms.json'));
    const vocab = statusVocabulary(t);
    const settings = jkSettings(config);
    const { mode, prefix, staleMs, intervalMs, context } = settings;
    const readings = new PackReadings(settings, config.deadbands ?? '');
    // packs share one bus: a few polls queued at once keep the bus busy without filling its queue
    const runtime = new DeviceRuntime(node, { concurrency: 4, errorMessage: (err, key) => ({ topic: `${prefix}/${key}`, payload: err.message }) });
    runtime.closeWith(node);
    const packs = new Map<number, PackState>();
    let bus: Rs485Bus | undefined;
    let linkState: BusState | 'none' = 'none';
    let listening = mode === 'jk02-listen';
    readings.listening = listening;
    const listeningStatus = (): NodeStatus => ({ fill: 'yellow', shape: 'ring', text: t('jk-bms.status.listening') });

    const addresses = parseAddresses(config.addresses ?? '1', mode === 'jk02' || mode === 'jk02-listen' ? 15 : 247);
    const lookup = getLink(RED, config.bus, 'rs485-bus');
    if (!lookup.ok) {
      runtime.status(vocab.notConfigured());
      runtime.report('config', '', linkError(t, lookup.problem, 'rs485-bus'));
    } else if (!addresses.ok) {
      runtime.status(vocab.error(addresses.error));
      runtime.report('config', '', new Error(t('jk-bms.errors.addresses', { reason: addresses.error })));
    } else {
      for (const address of addresses.value) packs.set(address, newPack(address));
      const busNode = lookup.link;
      try {
        bus = busNode.register(node.id);
      } catch (err) {
        runtime.status(vocab.error(asError(err).message));
        runtime.report('link', '', asError(err));
      }
      runtime.onClose(() => busNode.deregister(node.id));
    }

    const emit = (messages: NodeMessage[]): void => {
      if (messages.length === 0 || runtime.closed) return;
      node.send(messages.length === 1 ? messages[0] : [messages]);
    };
    const sendQuality = (pack: PackState, quality: Quality, reading: JkReading): void => emit(readings.qualityOnly(pack, quality, reading, Date.now()));
    const good = (pack: PackState, decoded: JkDecoded, raw?: { tx: Buffer[]; rx: Buffer[] }): void => {
      const { messages, implausible } = readings.accept(pack, decoded, raw, Date.now());
      const name = packName(pack.address);
      runtime.clear(name);
      if (implausible) runtime.report(name, 'data', new Error(t('jk-bms.errors.implausible', { address: pack.address, keys: implausible })));
      else runtime.clear(name, 'data');
      emit(messages);
    };

    const failed = (pack: PackState, err: Error): void => {
      pack.failures++;
      const text =
        err instanceof ImplausibleFrameError
          ? t('jk-bms.errors.rejected', { address: pack.address, keys: err.keys })
          : t('jk-bms.errors.noReply', { address: pack.address, reason: err.message });
      runtime.report(packName(pack.address), '', new Error(text));
      // a reply that arrived but does not decode is bad data; silence is a communication error
      const quality: Quality = err instanceof BadFrameError ? 'bad_data' : 'comm_error';
      if (pack.quality !== quality) sendQuality(pack, quality, {});
      if (mode === 'auto' && pack.failures >= 3) pack.protocol = undefined; // detect again: the port may have been re-set
    };

    const markStale = (pack: PackState): void => {
      if (pack.quality === 'good' && staleMs > 0 && Date.now() - pack.lastGood >= staleMs) sendQuality(pack, 'stale', pack.lastReading ?? {});
    };

    const showSummary = (): void => {
      if (linkState === 'down' || linkState === 'connecting') return;
      const s = fleetStatus(vocab, summarize(packs.values()), {
        detail: (ok, total) => (total > 1 || ok < total ? t('jk-bms.status.packs', { good: ok, total }) : undefined),
        noneGood: (sum) =>
          sum.commError > 0 ? vocab.error(t('jk-bms.status.noReply')) : sum.badData > 0 ? vocab.error(t('jk-bms.status.badData')) : listening ? listeningStatus() : undefined,
      });
      if (s) runtime.status(s);
    };

    const pollPackNow = async (pack: PackState): Promise<boolean> => {
      if (!bus || listening) return false;
      try {
        const result = await pollOnePack(bus, pack, mode, context, {
          multiDrop: packs.size > 1,
          noProtocol: () => new Error(t('jk-bms.errors.noProtocol')),
          settingsEveryMs: settings.settingsEveryMs,
          now: Date.now,
        });
        good(pack, result.decoded, result);
        return true;
      } catch (err) {
        // a lost link is reported once by the link state handler, not once per pack
        if (!runtime.closed && !(err instanceof LinkDownError)) failed(pack, asError(err));
        return false;
      } finally {
        showSummary();
      }
    };

    let linkReported = false;
    const onState = (state: BusState, err?: Error): void => {
      const previous = linkState;
      linkState = state;
      if (state === 'up') {
        runtime.clear('link');
        linkReported = false;
        runtime.status(listening ? listeningStatus() : vocab.connecting());
        runtime.pollNow();
      } else if (state === 'down') {
        const reason = err?.message ?? 'link down';
        runtime.status(vocab.error(reason));
        // once per loss, not once per retry: the retries' reasons differ (EIO, then ENOENT) but it is one event
        if (!linkReported) runtime.report('link', '', new Error(t('jk-bms.errors.link', { link: lookup.ok ? lookup.link.description : '', reason })));
        linkReported = true;
      } else if (state === 'connecting' && previous !== 'down') {
        runtime.status(vocab.connecting());
      } else if (state === 'connecting') {
        linkState = 'down'; // a retry in progress: keep showing why the link is down
      }
    };

    const startListening = (listenOn: Rs485Bus): void => {
      const listener = new Jk02Listener(listenOn, context, ({ address, decoded, bytes }) => {
        const pack = packs.get(address);
        if (!pack) return;
        pack.protocol = 'jk02';
        if (decoded.frameType === 'status') {
          try {
            good(pack, decoded, { tx: [], rx: [bytes] });
          } catch (err) {
            failed(pack, asError(err));
          }
        } else noteFrame(pack, decoded, Date.now()); // the master's settings and device-info frames go out with the next status
        showSummary();
      });
      listener.start();
      runtime.onClose(() => listener.stop());
      if (staleMs <= 0) return;
      const tick = (): void => {
        for (const pack of packs.values()) markStale(pack);
        showSummary();
        runtime.timers.timeout(tick, Math.min(staleMs, 5000));
      };
      runtime.timers.timeout(tick, Math.min(staleMs, 5000));
    };

    if (bus) {
      const owned = bus;
      owned.on('state', onState);
      runtime.onClose(() => owned.off('state', onState));
      onState(owned.state, owned.error);
      if (listening) startListening(owned);
      else {
        if (mode === 'auto' || mode === 'jk02') {
          // a master on the bus: polling as well would collide with it, so the node stops transmitting and
          // decodes the master's traffic instead
          const unsubscribe = owned.listen(descriptionsFor('jk02'));
          const onUnsolicited = (frame: Frame): void => {
            if (listening || !showsBusMaster(frame)) return;
            listening = true;
            readings.listening = true;
            runtime.stopPolling();
            unsubscribe();
            owned.off('unsolicited', onUnsolicited);
            node.warn(t('jk-bms.errors.masterSeen'));
            startListening(owned);
            runtime.status(listeningStatus());
          };
          owned.on('unsolicited', onUnsolicited);
          runtime.onClose(() => {
            unsubscribe();
            owned.off('unsolicited', onUnsolicited);
          });
        }
        for (const pack of packs.values()) {
          runtime.schedule(packName(pack.address), () => pollPackNow(pack), {
            intervalMs,
            firstDelayMs: 50,
            backoff: { initialMs: intervalMs, maxMs: Math.max(intervalMs, 60_000) },
            staleMs,
            onStale: () => {
              markStale(pack);
              showSummary();
            },
          });
        }
      }
    }

    const handleCommand = async (command: unknown): Promise<NodeMessage> => {
      const parsed = parseCommand(command, settings.allowed, settings.writesOn, listening, [...packs.keys()]);
      if (!parsed.ok) throw new Error(t(`jk-bms.errors.${parsed.problem}`, { key: parsed.key ?? '', addresses: [...packs.keys()].join(',') }));
      const { set, value, address } = parsed;
      const pack = packs.get(address) as PackState;
      if (!bus) throw new Error(t('common.errors.noLink'));
      const protocol = pack.protocol ?? (mode === 'auto' ? undefined : (mode as JkProtocolId));
      if (!protocol) throw new Error(t('jk-bms.errors.notDetected', { address }));
      if (protocol === 'jk-nw') throw new Error(t('jk-bms.errors.nwNoWrite'));
      let confirmed: boolean;
      if (parsed.kind === 'switch') confirmed = (await writeSwitch(bus, protocol, address, set, parsed.value, context)).confirmed;
      else {
        try {
          confirmed = (await writeSetting(bus, protocol, address, parsed.set, parsed.value, { settings: pack.settings, device: pack.device }, context)).confirmed;
        } catch (err) {
          if (!(err instanceof SettingRefusedError)) throw err;
          const r = err.refusal;
          throw new Error(t(`jk-bms.errors.write.${r.code}`, { key: set, value: String(value), address, min: r.min ?? '', max: r.max ?? '', bound: r.bound ?? '', protocol }));
        }
      }
      pack.settingsDueAt = 0; // the next poll reads the settings again, so the message shows what the pack holds now
      if (!confirmed) throw new Error(t('jk-bms.errors.notConfirmed', { key: set, address }));
      runtime.pollNow(packName(address));
      return { topic: `${prefix}/${packName(address)}/command`, payload: { set, value, address, confirmed: true } } as NodeMessage;
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
      if (!bus) return done(new Error(t('common.errors.noLink')));
      runtime.pollNow();
      done();
    });
  }
  RED.nodes.registerType('jk-bms', JkBms);
};
