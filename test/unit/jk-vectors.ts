/**
 * The captured JK frames of test/fixtures/jkbms-vectors.json (docs/jk-bms-protocols.md §12) and what each must decode
 * to, in the reading's units. Shared by the codec test and the `dcpower decode` test so both check the same
 * expectations. The vectors are independent of the codec and the simulator (docs/design.md §1.6).
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

export interface Vector {
  id: string;
  protocol: string;
  variant: string;
  hex: string;
  request_hex?: string;
  ack_hex_separate?: string | null;
  expected: { [key: string]: unknown };
}

export function loadVectors(): Vector[] {
  const file = path.resolve(__dirname, '..', 'fixtures', 'jkbms-vectors.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { vectors: Vector[] }).vectors;
}

/** Vector protocol names -> the protocol ids of the package. */
export const PROTOCOL_OF: { [k: string]: string } = {
  'jk-nw': 'jk-nw',
  jk02: 'jk02',
  'jk-modbus-rtu': 'jk-modbus',
  'jk-balancer-rs485': 'jk-balancer',
};

/** What a decoded capture looks like (DecodeOutput of bin/decode.ts and JkDecoded share these keys). */
export interface DecodedLike {
  protocol: string;
  frameType: string;
  address?: number;
  variant?: string;
  reading?: { [k: string]: unknown };
  device?: { [k: string]: unknown };
  settings?: { [k: string]: number };
  raw?: { [k: string]: number };
  register?: number;
}

const close = (actual: unknown, expected: number, what: string, tolerance = 1e-6) => {
  expect(actual, what).to.be.a('number');
  expect(actual as number, what).to.be.closeTo(expected, tolerance);
};

const closeArray = (actual: unknown, expected: number[], scale: number, what: string) => {
  expect(actual, what).to.be.an('array').with.lengthOf(expected.length);
  (actual as number[]).forEach((v, i) => close(v, expected[i] * scale, `${what}[${i}]`));
};

const SETTINGS_KEYS: { [k: string]: [string, number] } = {
  VolSmartSleep_mV: ['smartSleepVoltage', 0.001],
  VolCellUV_mV: ['cellUvp', 0.001],
  VolCellUVPR_mV: ['cellUvpRecovery', 0.001],
  VolCellOV_mV: ['cellOvp', 0.001],
  VolCellOVPR_mV: ['cellOvpRecovery', 0.001],
  VolBalanTrig_mV: ['balanceTriggerDelta', 0.001],
  VolSOC100_mV: ['socFullVoltage', 0.001],
  VolSOC0_mV: ['socEmptyVoltage', 0.001],
  VolCellRCV_mV: ['chargeRequestVoltage', 0.001],
  VolCellRFV_mV: ['floatVoltage', 0.001],
  VolSysPwrOff_mV: ['powerOffVoltage', 0.001],
  CurBatCOC_mA: ['maxChargeCurrent', 0.001],
  TIMBatCOCPDly_s: ['chargeOcpDelay', 1],
  TIMBatCOCPRDly_s: ['chargeOcpRecovery', 1],
  CurBatDcOC_mA: ['maxDischargeCurrent', 0.001],
  TIMBatDcOCPDly_s: ['dischargeOcpDelay', 1],
  TIMBatDcOCPRDly_s: ['dischargeOcpRecovery', 1],
  TIMBatSCPRDly_s: ['shortCircuitRecovery', 1],
  CurBalanMax_mA: ['maxBalanceCurrent', 0.001],
  'TMPBatCOT_0.1C': ['chargeOtp', 0.1],
  'TMPBatCOTPR_0.1C': ['chargeOtpRecovery', 0.1],
  'TMPBatDcOT_0.1C': ['dischargeOtp', 0.1],
  'TMPBatDcOTPR_0.1C': ['dischargeOtpRecovery', 0.1],
  'TMPBatCUT_0.1C': ['chargeUtp', 0.1],
  'TMPBatCUTPR_0.1C': ['chargeUtpRecovery', 0.1],
  'TMPMosOT_0.1C': ['mosOtp', 0.1],
  'TMPMosOTPR_0.1C': ['mosOtpRecovery', 0.1],
  CellCount: ['cellCount', 1],
  BatChargeEN: ['chargeSwitch', 1],
  BatDisChargeEN: ['dischargeSwitch', 1],
  BalanEN: ['balancerSwitch', 1],
  CapBatCell_mAh: ['designCapacity', 0.001],
  SCPDelay_us: ['shortCircuitDelay', 1e-6],
  VolStartBalan_mV: ['balanceStartVoltage', 0.001],
  DevAddr: ['deviceAddress', 1],
  TIMProdischarge_s: ['prechargeTime', 1],
  ControlBits_u16: ['controlBits', 1],
  heat_start_C: ['heaterStartTemperature', 1],
  heat_stop_C: ['heaterStopTemperature', 1],
  smart_sleep_h: ['smartSleepTime', 1],
};

/** Asserts that a decoded capture carries every expected value of its vector. */
export function checkVector(v: Vector, decoded: object): void {
  const d = decoded as DecodedLike;
  const e = v.expected;
  const r = d.reading ?? {};
  const n = (k: string) => e[k] as number;
  expect(d.protocol).to.equal(PROTOCOL_OF[v.protocol]);
  if (v.protocol === 'jk-nw') {
    if (v.variant === 'request') {
      expect(d.frameType).to.equal('request');
      expect(d.raw?.source).to.equal(e.frame_source);
      expect(d.raw?.command).to.equal(Number(e.command));
      return;
    }
    expect(d.frameType).to.equal('status');
    closeArray(r.cellVoltages, e.cells_mV as number[], 0.001, 'cellVoltages');
    expect(r.cellCount).to.equal(e.cell_count);
    close(r.voltage, n('total_voltage_V'), 'voltage');
    close(r.current, n('current_A'), 'current');
    expect(r.soc).to.equal(e.soc_percent_0x85);
    expect(r.cycles).to.equal(e.cycles_0x87);
    expect(r.cycleCapacity).to.equal(e.total_cycle_capacity_Ah_0x89);
    close(r.mosTemperature, n('mos_temp_C'), 'mosTemperature');
    expect(r.temperatures).to.deep.equal([e.temp1_C, e.temp2_C]);
    expect(r.chargeEnabled).to.equal(e.status_charge_mos_on);
    expect(r.dischargeEnabled).to.equal(e.status_discharge_mos_on);
    expect(r.balancing).to.equal(e.status_balancer_on);
    expect(r.balancerEnabled).to.equal(e.balancer_switch_0x9D === 1);
    expect(r.nominalCapacity).to.equal(e.capacity_setting_Ah_0xAA);
    expect(r.alarms).to.deep.equal([]);
    expect(d.settings?.chargeSwitch).to.equal(e.charge_switch_0xAB);
    expect(d.settings?.dischargeSwitch).to.equal(e.discharge_switch_0xAC);
    expect(d.device?.software).to.equal(e.sw_version_0xB7);
    expect(d.device?.model).to.equal(e.manufacturer_0xBA);
    expect(d.device?.name).to.equal(e.device_id_0xB4);
    expect(d.device?.uptime).to.equal(n('runtime_minutes_0xB6') * 60);
    expect(d.raw?.protocolVersion).to.equal(e.protocol_version_0xC0);
    return;
  }
  if (v.protocol === 'jk02') {
    if (e.vendor_id !== undefined) {
      expect(d.frameType).to.equal('device');
      expect(d.device).to.deep.equal({
        model: e.vendor_id,
        hardware: e.hardware_version,
        software: e.software_version,
        uptime: e.uptime_s,
        powerOnCount: e.power_on_count,
        name: e.device_name,
        manufacturingDate: e.manufacturing_date,
        serial: e.serial_number,
      });
      // passwords are never decoded
      const text = JSON.stringify(d);
      expect(text).not.to.include(String(e.setup_passcode));
      expect(text).not.to.include(`"${String(e.device_passcode)}"`);
      return;
    }
    if (e.VolCellOV_mV !== undefined) {
      expect(d.frameType).to.equal('settings');
      for (const [key, [ours, scale]] of Object.entries(SETTINGS_KEYS)) close(d.settings?.[ours], n(key) * scale, ours);
      expect(d.address).to.equal(e.DevAddr);
      return;
    }
    expect(d.frameType).to.equal('status');
    expect(d.variant).to.equal(e.variant === 'JK02_24S' ? '24s' : '32s');
    closeArray(r.cellVoltages, e.cells_mV as number[], 0.001, 'cellVoltages');
    expect(r.cellCount).to.equal(e.cell_count_active);
    closeArray(r.cellResistances, e.resistances_mOhm as number[], 1, 'cellResistances');
    close(r.cellMin, n('cell_min_mV') * 0.001, 'cellMin');
    close(r.cellMax, n('cell_max_mV') * 0.001, 'cellMax');
    close(r.cellDelta, n('cell_delta_mV_computed') * 0.001, 'cellDelta');
    close(r.voltage, n('total_voltage_V'), 'voltage');
    close(r.current, n('current_A'), 'current');
    close(Math.abs(r.power as number), n('power_W_unsigned'), 'power');
    // 32S captures report every probe present (214 = 0xFF): T4 at 256 and T5 at 258 follow T1/T2 (docs/jk-bms-protocols.md §4.3)
    const extra = e.raw_int16_at_256_C === undefined ? [] : [e.raw_int16_at_256_C, e.raw_int16_at_258_C];
    expect(r.temperatures).to.deep.equal([e.temp1_C, e.temp2_C, ...extra]);
    close(r.mosTemperature, n('mos_temp_C'), 'mosTemperature');
    expect(d.raw?.alarmBits).to.equal(Number(e.errors_bitmask));
    close(r.balanceCurrent, n('balance_current_A'), 'balanceCurrent');
    expect(r.balancing).to.equal(n('balancer_action') !== 0);
    expect(r.soc).to.equal(e.soc_percent);
    expect(r.soh).to.equal(e.soh_percent);
    close(r.remainingCapacity, n('capacity_remaining_Ah'), 'remainingCapacity');
    close(r.nominalCapacity, n('nominal_capacity_Ah'), 'nominalCapacity');
    expect(r.cycles).to.equal(e.cycles);
    close(r.cycleCapacity, n('cycle_capacity_Ah'), 'cycleCapacity');
    expect(r.runtime).to.equal(e.runtime_s);
    expect(r.chargeEnabled).to.equal(e.charging_mos);
    expect(r.dischargeEnabled).to.equal(e.discharging_mos);
    expect(r.precharging).to.equal(e.precharge);
    expect(r.heating).to.equal(e.heating);
    for (const at of [254, 256, 258]) {
      const key = `raw_int16_at_${at}_C`;
      if (e[key] !== undefined) close(d.raw?.[`tempAt${at}`], n(key), key);
    }
    if (e.ack_address !== undefined && d.address !== undefined) expect(d.address).to.equal(e.ack_address);
    return;
  }
  if (v.protocol === 'jk-modbus-rtu') {
    expect(d.address).to.equal(e.slave);
    if (e.cell_voltages_mV !== undefined) {
      expect(d.frameType).to.equal('status');
      closeArray(r.cellVoltages, e.cell_voltages_mV as number[], 0.001, 'cellVoltages');
      return;
    }
    const register = Number(String(e.register ?? e.start_register).split(' ')[0]);
    expect(d.register).to.equal(register);
    if (v.hex.length === 16 && e.function === 16) expect(d.frameType).to.be.oneOf(['ack', 'write-ack']);
    else if (register >= 0x161c && register <= 0x1620) expect(d.frameType).to.equal('trigger');
    else expect(d.frameType).to.equal('request');
    return;
  }
  // jk-balancer-rs485
  expect(d.frameType).to.equal('status');
  expect(d.address).to.equal(1);
  close(r.voltage, n('total_voltage_V'), 'voltage');
  closeArray(r.cellVoltages, e.cells_mV as number[], 0.001, 'cellVoltages');
  expect(r.cellCount).to.equal(e.cell_count_detected);
  expect(r.balancing).to.equal(n('balance_status') !== 0);
  expect(r.balancerEnabled).to.equal(e.balance_switch === 1);
  close(r.balanceCurrent, 0, 'balanceCurrent');
  expect(r.alarms).to.deep.equal(n('alarm_bitmask') === 1 ? ['cell-count-mismatch'] : []);
  expect(d.settings?.cellCount).to.equal(e.configured_cell_count);
  close(d.settings?.balanceTriggerDelta, n('trigger_voltage_mV') * 0.001, 'balanceTriggerDelta');
  close(d.settings?.maxBalanceCurrent, n('max_balance_current_mA') * 0.001, 'maxBalanceCurrent');
  expect(d.raw?.temperatureRaw).to.equal(e.temperature_raw);
  if (e.temperature_C_esphome !== undefined) close((r.temperatures as number[])[0], n('temperature_C_esphome'), 'temperature');
}
