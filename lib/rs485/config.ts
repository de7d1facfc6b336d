/**
 * Typed settings of the rs485-bus config node and the interface user nodes see, kept outside the node file so
 * that user nodes, tests and the command-line tool can import them.
 */
import type { Node, NodeDef } from '../red';
import { BusOptions, DEFAULT_BUS_OPTIONS, Rs485Bus } from './bus';
import { LinkSettings, Parity } from './link';
import { configNumber } from '../config-number';

export interface Rs485BusDef extends NodeDef {
  link?: string;
  path?: string;
  baud?: string | number;
  dataBits?: string | number;
  parity?: string;
  stopBits?: string | number;
  host?: string;
  port?: string | number;
  gap?: string | number;
  timeout?: string | number;
  echo?: boolean | string;
  queue?: string | number;
  reconnectMs?: string | number;
  reconnectMaxMs?: string | number;
}

export interface Rs485BusNode extends Node {
  readonly linkSettings: LinkSettings;
  readonly busOptions: Partial<BusOptions>;
  /** what the link is, for status and error texts */
  readonly description: string;
  register(user: string): Rs485Bus;
  deregister(user: string): Promise<void>;
}

/** the dialog's numbers, read by the one rule of lib/config-number.ts */
function num(value: unknown, fallback: number, min: number, max: number): number {
  return configNumber(value, { fallback, min, max });
}

const PARITIES: readonly Parity[] = ['none', 'even', 'odd', 'mark', 'space'];

/** Editor values to typed settings; anything odd falls back to the default instead of failing. */
export function settingsFromConfig(config: Rs485BusDef): { link: LinkSettings; options: Partial<BusOptions> } {
  const link: LinkSettings =
    config.link === 'tcp'
      ? { kind: 'tcp', host: String(config.host ?? '').trim() || '127.0.0.1', port: Math.round(num(config.port, 8899, 1, 65535)) }
      : {
          kind: 'serial',
          path: String(config.path ?? '').trim(),
          baudRate: Math.round(num(config.baud, 115200, 50, 4_000_000)),
          dataBits: ([5, 6, 7, 8] as const).find((b) => b === Number(config.dataBits)) ?? 8,
          parity: PARITIES.find((p) => p === config.parity) ?? 'none',
          stopBits: ([1, 1.5, 2] as const).find((b) => b === Number(config.stopBits)) ?? 1,
        };
  const options: Partial<BusOptions> = {
    gapMs: Math.round(num(config.gap, DEFAULT_BUS_OPTIONS.gapMs, 0, 60_000)),
    timeoutMs: Math.round(num(config.timeout, DEFAULT_BUS_OPTIONS.timeoutMs, 10, 60_000)),
    echo: config.echo === undefined ? DEFAULT_BUS_OPTIONS.echo : config.echo === true || config.echo === 'true',
    queueCapacity: Math.round(num(config.queue, DEFAULT_BUS_OPTIONS.queueCapacity, 1, 10_000)),
    reconnectMinMs: Math.round(num(config.reconnectMs, DEFAULT_BUS_OPTIONS.reconnectMinMs, 10, 600_000)),
    reconnectMaxMs: Math.round(num(config.reconnectMaxMs, DEFAULT_BUS_OPTIONS.reconnectMaxMs, 10, 3_600_000)),
  };
  return { link, options };
}

