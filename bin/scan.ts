/**
 * `dcpower scan`: finds the JK packs (and balancers) on an RS485 bus, a serial port or a TCP gateway, by probing
 * each address with the JK protocols, strictly one request at a time with the JK command gap. Commissioning aid:
 * it tells which address answers which protocol, with the model and firmware where the protocol carries them.
 */
import { Rs485Bus } from '../lib/rs485/bus';
import { LinkSettings } from '../lib/rs485/link';
import type { Frame } from '../lib/wire/framer';
import { detectPack, Jk02Listener, pollPack } from '../nodes/jk-bms/client';
import { parseAddresses } from '../nodes/jk-bms/messages';
import { JK_PROTOCOL_IDS, JkProtocolId } from '../nodes/jk-bms/protocol';
import { Command, parse, printJson } from './cli';

export interface ScanHit {
  /** null for NW, which has no address on the wire (one board per port) */
  address: number | null;
  protocol: JkProtocolId;
  model?: string;
  firmware?: string;
  serial?: string;
  cells?: number;
  voltage?: number;
  soc?: number;
  /** heard from a JK-PB bus master's traffic, nothing sent */
  listened?: boolean;
}

export interface ScanOptions {
  link: LinkSettings;
  addresses: number[];
  protocol: JkProtocolId | 'auto';
  timeoutMs: number;
  gapMs: number;
  /**
   * ms to listen before sending anything (default 5000, above a JK-PB master's 4.4 s cycle): a bus master already
   * talking means the scan must not transmit (docs/jk-bms-protocols.md §2.3); it then lists the packs it hears
   */
  listenMs?: number;
  onProgress?: (address: number | null, hit: ScanHit | undefined) => void;
}

/** Listens without sending; the packs a bus master's traffic shows, or null when the bus stayed quiet. */
async function listenFirst(bus: Rs485Bus, ms: number): Promise<ScanHit[] | null> {
  if (ms <= 0) return null;
  let heard = 0;
  const hits = new Map<number, ScanHit>();
  const onFrame = (frame: Frame): void => {
    if (frame.protocol.startsWith('jk02/')) heard++;
  };
  const listener = new Jk02Listener(bus, {}, ({ address, decoded }) => {
    const hit = hits.get(address) ?? { address, protocol: 'jk02' as const, listened: true };
    const r = decoded.reading;
    if (r?.cellVoltages) hit.cells = r.cellVoltages.length;
    if (r?.voltage !== undefined) hit.voltage = r.voltage;
    if (r?.soc !== undefined) hit.soc = r.soc;
    hits.set(address, hit);
  });
  bus.on('frame', onFrame);
  listener.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    listener.stop();
    bus.off('frame', onFrame);
  }
  return heard > 0 ? [...hits.values()].sort((a, b) => (a.address ?? -1) - (b.address ?? -1)) : null;
}

/** NW has no address: one probe per port, whatever the address list, and one hit at most. */
async function probeNw(bus: Rs485Bus, address: number): Promise<ScanHit | undefined> {
  try {
    const { decoded } = await pollPack(bus, 'jk-nw', address, 'status');
    const hit: ScanHit = { address: null, protocol: 'jk-nw' };
    const r = decoded.reading ?? {};
    if (r.cellVoltages) hit.cells = r.cellVoltages.length;
    if (r.voltage !== undefined) hit.voltage = r.voltage;
    if (r.soc !== undefined) hit.soc = r.soc;
    if (decoded.device?.model) hit.model = decoded.device.model;
    if (decoded.device?.software) hit.firmware = decoded.device.software;
    return hit;
  } catch {
    return undefined;
  }
}

export async function scanBus(options: ScanOptions): Promise<ScanHit[]> {
  const bus = new Rs485Bus(options.link, { gapMs: options.gapMs, timeoutMs: options.timeoutMs, reconnectMinMs: 500, reconnectMaxMs: 500 });
  bus.start();
  try {
    await bus.waitUntilUp(5000);
    const baud = options.link.kind === 'serial' ? options.link.baudRate : undefined;
    const heard = await listenFirst(bus, options.listenMs ?? 5000);
    if (heard !== null) {
      for (const hit of heard) options.onProgress?.(hit.address, hit);
      return heard;
    }
    const hits: ScanHit[] = [];
    if ((options.protocol === 'auto' && (baud === undefined || baud === 115200)) || options.protocol === 'jk-nw') {
      const nw = await probeNw(bus, options.addresses[0] ?? 1);
      if (nw) hits.push(nw);
      options.onProgress?.(null, nw);
      if (options.protocol === 'jk-nw') return hits;
    }
    for (const address of options.addresses) {
      let protocol: JkProtocolId | undefined;
      // NW was probed once above: per address it would list the same board again
      if (options.protocol === 'auto') protocol = await detectPack(bus, address, baud, { multiDrop: true });
      else protocol = options.protocol;
      let hit: ScanHit | undefined;
      if (protocol) {
        try {
          const { decoded } = await pollPack(bus, protocol, address, 'status');
          hit = { address, protocol };
          const r = decoded.reading ?? {};
          if (r.cellVoltages) hit.cells = r.cellVoltages.length;
          if (r.voltage !== undefined) hit.voltage = r.voltage;
          if (r.soc !== undefined) hit.soc = r.soc;
          let device = decoded.device;
          if (!device && (protocol === 'jk02' || protocol === 'jk-modbus')) {
            device = await pollPack(bus, protocol, address, 'device').then(
              (d) => d.decoded.device,
              () => undefined,
            );
          }
          if (device?.model) hit.model = device.model;
          if (device?.software) hit.firmware = device.software;
          if (device?.serial) hit.serial = device.serial;
        } catch {
          hit = undefined;
        }
      }
      if (hit) hits.push(hit);
      options.onProgress?.(address, hit);
    }
    return hits;
  } finally {
    await bus.close();
  }
}

export const command: Command = {
  summary: 'find the JK packs on an RS485 bus (serial port or TCP gateway)',
  usage: [
    'usage: dcpower scan (--serial <path> [--baud 115200] | --host <ip> --port <n>) [options]',
    '',
    'Listens first (--listen ms): if a JK-PB bus master is talking, sends nothing and lists the packs it hears.',
    'Otherwise probes NW once (it has no address: one board per port), then each address with the JK-PB',
    'trigger, JK Modbus and the DZ11 balancer (only the protocols that match the baud), one request at a time.',
    '',
    'options:',
    '  --serial <path>       serial device, e.g. /dev/ttyUSB0 (needs the optional serialport package)',
    '  --baud <n>            serial baud (default 115200)',
    '  --host <ip>           RS485-to-TCP gateway (transparent mode)',
    '  --port <n>            gateway TCP port',
    '  --addresses <list>    addresses to probe, e.g. 1-15 or 1-4,7 (default 1-15)',
    `  --protocol <p>        auto (default) or one of ${JK_PROTOCOL_IDS.join(', ')}`,
    '  --timeout <ms>        per-request timeout (default 300)',
    '  --gap <ms>            quiet time between commands (default 100)',
    '  --listen <ms>         listen for a bus master before sending (default 5000; 0 = do not listen)',
    '  --json                print the result as JSON',
  ].join('\n'),
  async run(argv) {
    const { values } = parse(argv, {
      serial: { type: 'string' },
      baud: { type: 'string', default: '115200' },
      host: { type: 'string' },
      port: { type: 'string' },
      addresses: { type: 'string', default: '1-15' },
      protocol: { type: 'string', default: 'auto' },
      timeout: { type: 'string', default: '300' },
      gap: { type: 'string', default: '100' },
      listen: { type: 'string', default: '5000' },
      json: { type: 'boolean', default: false },
    });
    let link: LinkSettings;
    if (values.serial) {
      const baud = Number(values.baud);
      if (!Number.isInteger(baud) || baud < 50) throw new RangeError(`--baud ${values.baud}`);
      link = { kind: 'serial', path: values.serial, baudRate: baud, dataBits: 8, parity: 'none', stopBits: 1 };
    } else if (values.host && values.port) {
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`--port ${values.port}`);
      link = { kind: 'tcp', host: values.host, port };
    } else {
      throw new Error('give --serial <path> or --host <ip> --port <n> (see --help)');
    }
    const addresses = parseAddresses(String(values.addresses));
    if (!addresses.ok) throw new RangeError(`--addresses: ${addresses.error}`);
    const protocol = String(values.protocol);
    if (protocol !== 'auto' && !JK_PROTOCOL_IDS.includes(protocol as JkProtocolId)) throw new RangeError(`--protocol ${protocol}`);
    const timeoutMs = Number(values.timeout);
    const gapMs = Number(values.gap);
    const listenMs = Number(values.listen);
    if (!(timeoutMs > 0) || !(gapMs >= 0) || !(listenMs >= 0)) throw new RangeError('--timeout, --gap and --listen must be numbers of ms');
    const hits = await scanBus({
      link,
      addresses: addresses.value,
      protocol: protocol as JkProtocolId | 'auto',
      timeoutMs,
      gapMs,
      listenMs,
      onProgress: values.json
        ? undefined
        : (address, hit) => {
            if (hit) {
              const detail = [hit.model, hit.firmware && `fw ${hit.firmware}`, hit.cells && `${hit.cells} cells`, hit.voltage !== undefined && `${hit.voltage} V`, hit.soc !== undefined && `SOC ${hit.soc} %`]
                .filter(Boolean)
                .join(', ');
              const where = address === null ? 'NW board (point-to-point, no address)' : `address ${address}`;
              process.stdout.write(`${where}: ${hit.protocol}${hit.listened ? ' (heard from the bus master, nothing sent)' : ''}${detail ? ` (${detail})` : ''}\n`);
            }
          },
    });
    if (values.json) printJson({ link: link.kind === 'tcp' ? `${link.host}:${link.port}` : link.path, found: hits });
    else if (hits.length === 0) {
      process.stdout.write('no JK device answered: check A/B wiring, baud, the addresses and the UART1 protocol set in the JK app\n');
    } else process.stdout.write(`${hits.length} device(s) found\n`);
    return hits.length > 0 ? 0 : 3;
  },
};
