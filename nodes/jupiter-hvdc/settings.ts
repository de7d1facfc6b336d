/** Settings of the jupiter-hvdc node from its dialog (numbers by the one rule of lib/device/config-number.ts). */
import type { NodeDef } from 'node-red';
import { configSeconds } from '../../lib/config-number';

export interface JupiterNodeDef extends NodeDef {
  link?: string;
  units?: unknown;
  interval?: number | string;
  staleTime?: number | string;
  topicPrefix?: string;
  profile?: string;
  contacts?: unknown;
  lang?: string;
  modbusLink?: string;
  contactInterval?: number | string;
  /** `unit` (default): one message per unit; `value`: one message per value, topic <prefix>/<unit>/<key> */
  output?: string;
  /** negate batteryCurrent: RFC 1628 gives it no sign and the manual is silent, so "+ = charging" is unverified */
  invertCurrent?: boolean;
}

export interface JupiterSettings {
  lang: 'en-US' | 'zh-CN';
  prefix: string;
  intervalMs: number;
  /** no good poll of a unit for this long turns it stale; the dialog's 0 means three intervals */
  staleMs: number;
  contactIntervalMs: number;
  perValue: boolean;
  invertCurrent: boolean;
}

export function jupiterSettings(config: JupiterNodeDef): JupiterSettings {
  const intervalMs = configSeconds(config.interval, { fallback: 10, min: 1, max: 86_400 });
  return {
    lang: config.lang === 'zh-CN' ? 'zh-CN' : 'en-US',
    prefix: (config.topicPrefix ?? '').trim() || 'jupiter',
    intervalMs,
    staleMs: configSeconds(config.staleTime, { fallback: 0, min: 0, max: 864_000 }) || 3 * intervalMs,
    contactIntervalMs: configSeconds(config.contactInterval, { fallback: 1, min: 0.1, max: 3600 }),
    perValue: config.output === 'value',
    invertCurrent: config.invertCurrent === true,
  };
}
