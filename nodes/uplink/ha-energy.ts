/**
 * Charged and discharged energy of a battery, integrated from its power on the Node-RED side, for Home
 * Assistant's energy dashboard (a battery needs "energy going in" and "energy coming out" sensors of device class
 * energy, state class total_increasing: https://www.home-assistant.io/docs/energy/battery/). Pure: the node keeps
 * the totals in its context store so they survive a restart.
 */

/** Where a device kind's battery power comes from: a power key, or voltage times current (positive = charging). */
export interface EnergySource {
  power?: string;
  voltage: string;
  current: string;
}

export const ENERGY_SOURCES: { [kind: string]: EnergySource } = {
  'jk-bms': { power: 'power', voltage: 'voltage', current: 'current' },
  'jupiter-hvdc': { voltage: 'batteryVoltage', current: 'batteryCurrent' },
};

/** A gap longer than this between two readings is not integrated: nobody knows the power meanwhile. */
export const MAX_GAP_MS = 300_000;

export interface EnergyTotals {
  /** kWh into the battery since the totals started */
  chargedKwh: number;
  /** kWh out of the battery */
  dischargedKwh: number;
  /** the last sample, for the next step */
  at?: number;
  powerW?: number;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The battery power of a reading in W, or undefined when it carries none. */
export function batteryPower(source: EnergySource, reading: Record<string, unknown>): number | undefined {
  const power = source.power !== undefined ? finite(reading[source.power]) : undefined;
  if (power !== undefined) return power;
  const v = finite(reading[source.voltage]);
  const i = finite(reading[source.current]);
  return v !== undefined && i !== undefined ? v * i : undefined;
}

/**
 * One step of the trapezoidal rule. The mean power of the step decides the direction: a step that crosses zero
 * counts its net energy only, which is what a meter with one register per direction would also see at this rate.
 */
export function integrate(totals: EnergyTotals, powerW: number, at: number): EnergyTotals {
  const next: EnergyTotals = { chargedKwh: totals.chargedKwh, dischargedKwh: totals.dischargedKwh, at, powerW };
  if (totals.at === undefined || totals.powerW === undefined) return next;
  const dt = at - totals.at;
  if (dt <= 0) return { ...totals };
  if (dt > MAX_GAP_MS) return next;
  const kwh = (((totals.powerW + powerW) / 2) * dt) / 3_600_000 / 1000;
  if (kwh > 0) next.chargedKwh += kwh;
  else next.dischargedKwh -= kwh;
  return next;
}

/** Totals read back from a context store: anything malformed starts from zero rather than failing. */
export function restoreTotals(value: unknown): EnergyTotals {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const charged = finite(v.chargedKwh);
  const discharged = finite(v.dischargedKwh);
  // the last sample is not restored: the time across a restart is a gap, not a step
  return { chargedKwh: charged !== undefined && charged >= 0 ? charged : 0, dischargedKwh: discharged !== undefined && discharged >= 0 ? discharged : 0 };
}
