/**
 * `dcpower decode <protocol> <hex>`: decodes one captured frame and prints { protocol, frameType, reading,
 * device } (docs/design.md §4). A capture may hold several frames (a JK-PB reply with its ack, pad
 * bytes, an echo): the data frame is decoded, the ack supplies the address. A checksum or layout error exits 1.
 */
import { splitFrames } from '../lib/wire/framer';
import { getProtocol, JK_PROTOCOL_IDS, JkDecoded } from '../nodes/jk-bms/protocol';
import { Command, parse, printJson } from './cli';

export function parseHex(text: string): Buffer {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,.-]/g, '');
  if (!/^[0-9a-f]*$/i.test(clean) || clean.length % 2 !== 0 || clean.length === 0) throw new Error('not a hex string of whole bytes');
  return Buffer.from(clean, 'hex');
}

const DATA_TYPES = new Set(['status', 'settings', 'device']);

export interface DecodeOutput {
  protocol: string;
  frameType: string;
  address?: number;
  variant?: string;
  reading?: JkDecoded['reading'];
  device?: JkDecoded['device'];
  settings?: JkDecoded['settings'];
  raw?: JkDecoded['raw'];
  register?: number;
  frames?: Array<{ frameType: string; address?: number; register?: number }>;
}

/** Decodes a capture; returns the output or an error message. */
export function decodeCapture(protocolId: string, bytes: Buffer, options: { request?: Buffer; variant?: '24s' | '32s'; invertCurrent?: boolean; balancerTemperatureScale?: 0.1 | 1 } = {}): { ok: true; value: DecodeOutput } | { ok: false; error: string } {
  const protocol = getProtocol(protocolId);
  if (!protocol) return { ok: false, error: `unknown protocol '${protocolId}' (one of ${JK_PROTOCOL_IDS.join(', ')})` };
  const context = { request: options.request, variant: options.variant, invertCurrent: options.invertCurrent, balancerTemperatureScale: options.balancerTemperatureScale };
  const split = splitFrames(protocol.framing.shapes, bytes);
  let decoded: JkDecoded[] = [];
  if (split.frames.length > 0 && split.dropped <= 2) {
    for (const f of split.frames) {
      const r = protocol.decode(f.bytes, context);
      if (!r.ok) return { ok: false, error: `${r.error.code}: ${r.error.message}` };
      decoded.push(r.value);
    }
  } else {
    // nothing valid could be cut: decode the whole capture so the codec names what is wrong
    const r = protocol.decode(bytes, context);
    if (!r.ok) return { ok: false, error: `${r.error.code}: ${r.error.message}` };
    decoded = [r.value];
  }
  const main = decoded.find((d) => DATA_TYPES.has(d.frameType)) ?? decoded[0];
  const ack = decoded.find((d) => d.frameType === 'ack');
  const out: DecodeOutput = { protocol: main.protocol, frameType: main.frameType };
  const address = main.address ?? (main !== ack ? ack?.address : undefined);
  if (address !== undefined) out.address = address;
  if (main.variant) out.variant = main.variant;
  if (main.reading) out.reading = main.reading;
  if (main.device) out.device = main.device;
  if (main.settings) out.settings = main.settings;
  if (main.raw && Object.keys(main.raw).length) out.raw = main.raw;
  if (main.register !== undefined) out.register = main.register;
  if (decoded.length > 1) out.frames = decoded.map((d) => ({ frameType: d.frameType, address: d.address, register: d.register }));
  return { ok: true, value: out };
}

function printText(out: DecodeOutput): void {
  const lines: string[] = [`${out.protocol} ${out.frameType}${out.address !== undefined ? ` from address ${out.address}` : ''}${out.variant ? ` (${out.variant})` : ''}`];
  for (const [title, obj] of [['reading', out.reading], ['device', out.device], ['settings', out.settings]] as const) {
    if (!obj) continue;
    lines.push(`${title}:`);
    for (const [k, v] of Object.entries(obj)) lines.push(`  ${k.padEnd(22)} ${Array.isArray(v) ? v.join(' ') : String(v)}`);
  }
  if (out.frames) lines.push(`frames: ${out.frames.map((f) => f.frameType + (f.address !== undefined ? `@${f.address}` : '')).join(', ')}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export const command: Command = {
  summary: 'decode one captured JK frame (hex) and print the reading',
  usage: [
    'usage: dcpower decode <protocol> <hex> [--request <hex>] [--variant 24s|32s] [--invert-current] [--json]',
    '',
    `protocols: ${JK_PROTOCOL_IDS.join(', ')}`,
    'A jk-modbus FC03 reply needs its request (--request) to know which registers it holds. The capture may',
    'hold several frames (a JK-PB frame and its ack). A frame failing its checksum or layout exits with 1.',
    'Device passwords in a capture are never decoded.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parse(argv, {
      request: { type: 'string' },
      variant: { type: 'string' },
      'invert-current': { type: 'boolean', default: false },
      'balancer-temperature-scale': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const [protocol, ...hexParts] = positionals;
    if (!protocol || hexParts.length === 0) {
      process.stderr.write('usage: dcpower decode <protocol> <hex>\n');
      return 2;
    }
    const variant = values.variant;
    if (variant !== undefined && variant !== '24s' && variant !== '32s') throw new Error('--variant must be 24s or 32s');
    const scale = values['balancer-temperature-scale'];
    const result = decodeCapture(protocol, parseHex(hexParts.join('')), {
      request: values.request ? parseHex(values.request) : undefined,
      variant,
      invertCurrent: values['invert-current'],
      balancerTemperatureScale: scale === '1' ? 1 : scale === undefined || scale === '0.1' ? 0.1 : undefined,
    });
    if (!result.ok) {
      process.stderr.write(`dcpower decode: ${result.error}\n`);
      return 1;
    }
    if (values.json) printJson(result.value);
    else printText(result.value);
    return 0;
  },
};
