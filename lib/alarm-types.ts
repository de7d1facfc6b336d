/**
 * The alarm rule as the alarm-rules node, its dialog, msg.rules and every device preset describe it.
 * Times in a rule are seconds (what users type); the engine works in milliseconds internally.
 */
export type AlarmSeverity = 'critical' | 'major' | 'minor' | 'warning';

/** high: active when value >= alarmValue, clear when value <= clearValue; low the mirror; state: value equals
 * stateValue; stale: no value arrived within staleTime */
export type RuleType = 'high' | 'low' | 'state' | 'stale';

/** reduces a wildcard path (`payload.cellVoltages[*]`) to one alarm */
export type RuleAggregate = 'max' | 'min' | 'mean' | 'spread';

/** compares each element of a wildcard path with a reference of its array instead of an absolute level:
 * `median` = percent above (high) or below (low) the median of the elements of the same message */
export type RuleReference = 'median';

export interface LocalizedText {
  'en-US': string;
  'zh-CN': string;
}

export interface AlarmRuleConfig {
  id: string;
  name: string;
  severity: AlarmSeverity;
  /** where the value is: `payload`, `payload.voltage`, `payload.cellVoltages[*]` */
  path: string;
  /** exact topic or glob (`bms/*`); empty = any topic */
  topic?: string;
  type: RuleType;
  /** high/low threshold */
  alarmValue?: number;
  /** raise only strictly beyond alarmValue (`>` / `<`) instead of at it (`>=` / `<=`, the default); for manuals
   * that say "greater than" */
  strict?: boolean;
  /** explicit return-to-normal level (hysteresis); wins over deadband */
  clearValue?: number;
  /** hysteresis as a deadband instead of clearValue */
  deadband?: number;
  /** `absolute` (default) or `percent` of rangeMax - rangeMin */
  deadbandMode?: 'absolute' | 'percent';
  rangeMin?: number;
  rangeMax?: number;
  /** state rule: the value that means active (a closed dry contact `true`, a status flag `1`) */
  stateValue?: boolean | number | string;
  /** stale rule: seconds without a value */
  staleTime?: number;
  aggregate?: RuleAggregate;
  /** per-element rules only: alarmValue and clearValue are percent deviations from this reference (a block's
   * resistance against the median of its string), not absolute levels */
  reference?: RuleReference;
  /** seconds the condition must hold before the alarm raises */
  onDelay?: number;
  /** seconds the return-to-normal must hold before the alarm clears */
  offDelay?: number;
  /** seconds after which an alarm still standing (acknowledged or not) is unacknowledged again and re-announced,
   * counted from the raise or the previous re-alarm (OPC UA ReAlarmTime); 0 = never */
  realarm?: number;
  /** stays active until a reset command */
  latch?: boolean;
  requireAck?: boolean;
  unit?: string;
  /** `{{name}} {{number}}: {{value}} {{unit}} above {{alarmValue}}` ({{number}} counts from 1, {{index}} from 0) */
  message?: string;
  /** the text once the alarm has cleared; default `{{name}} {{number}} cleared: {{value}} {{unit}}` */
  clearMessage?: string;
  /** translated names for presets */
  text?: LocalizedText;
  /** presets: where alarmValue/clearValue come from; `preset` means the manual states none and the preset chose */
  thresholdSource?: 'manual' | 'preset';
  /** presets: a short note shown in the dialog (source page, assumptions) */
  note?: string;
  disabled?: boolean;
}

export interface AlarmPreset {
  /** stable id, e.g. `jupiter-j540`, `jk-lifepo4`, `bacs-c41` */
  id: string;
  label: LocalizedText;
  description: LocalizedText;
  rules: AlarmRuleConfig[];
}
