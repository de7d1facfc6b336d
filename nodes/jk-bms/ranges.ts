/**
 * Physical ranges of the JK reading keys (docs/design.md §3.1), walked by lib/plausibility.ts. A value outside
 * its range cannot come from a real pack at any operating point, so it is a corrupted frame that passed its
 * checksum (JK02's 8-bit sum, NW's 16-bit sum), not a measurement. The ranges are deliberately wide: a pack
 * reporting its true state must never be flagged, so each bound sits well past the hardware's own limits.
 */
import type { RangeTable } from '../../lib/plausibility';

/** every JK board has at most 32 cell slots (JK02 32S, the Modbus block); the DZ11 balancer 24 */
const MAX_CELLS = 32;
/** JK hardware measures cells up to 5 V (the JK-B2A4S manual: cell range 1–5 V, docs/jk-bms-protocols.md §9) */
const MAX_CELL_V = 5;
/**
 * −55 °C: the bottom of common NTC probes and below NW's lowest code (raw 140 reads −41 °C under the rule of
 * docs/jk-bms-protocols.md §3.6, one below the vendor's −40). 150 °C: above every protection limit, so a real
 * over-temperature still arrives as a number and raises its alarm.
 */
const TEMPERATURE = { min: -55, max: 150, unit: '°C' } as const;
/**
 * ±2000 A: the largest JK boards are rated a few hundred A; the reading is an average over the BMS's sample, so a
 * surge never reads near this. NW protocol 1 cannot even encode more than ±327.67 A.
 */
const MAX_CURRENT = 2000;
/** 32 cells × 5 V */
const MAX_PACK_V = MAX_CELLS * MAX_CELL_V;
/** far above any pack one JK board manages (the largest LiFePO4 cells are around 1000 Ah) */
const MAX_CAPACITY_AH = 10_000;

export const JK_RANGES: RangeTable = {
  // the cells are what the node is for: a frame with an impossible cell is rejected whole
  'cellVoltages[*]': { min: 0, max: MAX_CELL_V, unit: 'V', critical: true },
  cellMin: { min: 0, max: MAX_CELL_V, unit: 'V', derivedFrom: ['cellVoltages'] },
  cellMax: { min: 0, max: MAX_CELL_V, unit: 'V', derivedFrom: ['cellVoltages'] },
  cellAverage: { min: 0, max: MAX_CELL_V, unit: 'V', derivedFrom: ['cellVoltages'] },
  cellDelta: { min: 0, max: MAX_CELL_V, unit: 'V', derivedFrom: ['cellVoltages'] },
  cellMinIndex: { min: 1, max: MAX_CELLS, unit: '', derivedFrom: ['cellVoltages'] },
  cellMaxIndex: { min: 1, max: MAX_CELLS, unit: '', derivedFrom: ['cellVoltages'] },
  cellCount: { min: 0, max: MAX_CELLS, unit: '' },
  // balance-wire resistances are around 50–160 mΩ in every capture; 10 Ω is an open lead, which the BMS reports
  // through its wire-resistance alarm rather than as a number
  'cellResistances[*]': { min: 0, max: 10_000, unit: 'mΩ' },
  voltage: { min: 0, max: MAX_PACK_V, unit: 'V' },
  current: { min: -MAX_CURRENT, max: MAX_CURRENT, unit: 'A' },
  // NW computes power from voltage and current; JK02 and Modbus take the sign from the current
  power: { min: -MAX_PACK_V * MAX_CURRENT, max: MAX_PACK_V * MAX_CURRENT, unit: 'W', derivedFrom: ['voltage', 'current'] },
  soc: { min: 0, max: 100, unit: '%' },
  soh: { min: 0, max: 100, unit: '%' },
  // signed on the JK-PB (i32): a coulomb counter may run below zero near empty, so only the magnitude is bounded
  remainingCapacity: { min: -MAX_CAPACITY_AH, max: MAX_CAPACITY_AH, unit: 'Ah' },
  nominalCapacity: { min: 0, max: MAX_CAPACITY_AH, unit: 'Ah' },
  // lifetime total: 10,000 full cycles of the largest pack
  cycleCapacity: { min: 0, max: 10_000 * MAX_CAPACITY_AH, unit: 'Ah' },
  // LiFePO4 is rated for 6,000–10,000 cycles; the counter also counts partial charges
  cycles: { min: 0, max: 100_000, unit: '' },
  mosTemperature: TEMPERATURE,
  'temperatures[*]': TEMPERATURE,
  // JK active balancers move up to 2 A (JK-PB, DZ11 at most 2000 mA); 20 A leaves room for any model
  balanceCurrent: { min: -20, max: 20, unit: 'A' },
  // 31 years of uptime
  runtime: { min: 0, max: 1e9, unit: 's' },
};
