/** Settings of the jk-bms node from its dialog (numbers by the one rule of lib/device/config-number.ts). */
import type { NodeDef } from 'node-red';
import { configSeconds } from '../../lib/config-number';
import type { JkDecodeContext } from './protocol';
import { Mode, MODES } from './adapter';

export interface JkBmsDef extends NodeDef {
  bus?: string;
  protocol?: string;
  variant?: string;
  addresses?: string;
  interval?: string | number;
  settingsInterval?: string | number;
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
  allowMaxChargeCurrent?: boolean;
  allowMaxDischargeCurrent?: boolean;
  allowBalanceTriggerDelta?: boolean;
  allowBalanceStartVoltage?: boolean;
  allowMaxBalanceCurrent?: boolean;
  allowCellCount?: boolean;
}

export interface JkSettings {
  mode: Mode;
  intervalMs: number;
  /** settings are read again this often (0: only at start and after writes) */
  settingsEveryMs: number;
  staleMs: number;
  perValue: boolean;
  onlyChanged: boolean;
  rawHex: boolean;
  prefix: string;
  lang: 'en-US' | 'zh-CN';
  context: JkDecodeContext;
  /** the switches and settings writes may touch (none unless writes are on) */
  allowed: Set<string>;
  writesOn: boolean;
}

export function jkSettings(config: JkBmsDef): JkSettings {
  const writesOn = config.allowWrites === true;
  const allowTable: Array<[boolean | undefined, string]> = [
    [config.allowCharge, 'chargeEnabled'],
    [config.allowDischarge, 'dischargeEnabled'],
    [config.allowBalancer, 'balancerEnabled'],
    [config.allowMaxChargeCurrent, 'maxChargeCurrent'],
    [config.allowMaxDischargeCurrent, 'maxDischargeCurrent'],
    [config.allowBalanceTriggerDelta, 'balanceTriggerDelta'],
    [config.allowBalanceStartVoltage, 'balanceStartVoltage'],
    [config.allowMaxBalanceCurrent, 'maxBalanceCurrent'],
    [config.allowCellCount, 'cellCount'],
  ];
  return {
    mode: MODES.find((m) => m === config.protocol) ?? 'auto',
    intervalMs: configSeconds(config.interval, { fallback: 5, min: 0.2, max: 86_400 }),
    settingsEveryMs: configSeconds(config.settingsInterval, { fallback: 300, min: 0, max: 86_400 }),
    staleMs: configSeconds(config.staleTime, { fallback: 30, min: 0, max: 86_400 }),
    perValue: config.output === 'value',
    onlyChanged: config.onlyChanged === true,
    rawHex: config.rawHex === true,
    prefix: (config.topic ?? '').trim() || 'jk',
    lang: config.language === 'zh-CN' ? 'zh-CN' : 'en-US',
    context: {
      invertCurrent: config.invertCurrent === true,
      variant: config.variant === '24s' || config.variant === '32s' ? config.variant : 'auto',
    },
    allowed: new Set(writesOn ? allowTable.filter(([on]) => on === true).map(([, key]) => key) : []),
    writesOn,
  };
}
