/**
 * A JK-PB pack message from the simulator (started as `dcpower simulate jk` starts it, with its default of four
 * probes), read by a real jk-bms node in JK02 poll mode, carries every value esphome-jk-bms's `jk_bms_ble` component
 * publishes for that pack that the RS485 protocols carry (the table below lists them, by esphome's names),
 * each with its unit in `msg.units`. The table maps each esphome value to where the message has it; the few left out
 * say why (derived by esphome from other values, or not on the wire).
 */
import { expect } from 'chai';
import { start as startSimulator } from '../../bin/simulate-jk';
import { freeTcpPort, waitFor as until } from '../helpers/ports';
import { helper, startServer, stopServer, TestNode } from './red-helper';
import { collect, JK_NODES, jkFlow, type Msg } from '../helpers/jk-flow';

/** esphome value -> [path in the message, unit esphome gives it converted to this package's units ('' none)] */
export const ESPHOME_JK_BMS_BLE: ReadonlyArray<[string, string, string]> = [
  ['cell_voltage_1..32', 'payload.cellVoltages[0]', 'V'],
  ['cell_resistance_1..32', 'payload.cellResistances[0]', 'mΩ'],
  ['min_cell_voltage', 'payload.cellMin', 'V'],
  ['max_cell_voltage', 'payload.cellMax', 'V'],
  ['min_voltage_cell', 'payload.cellMinIndex', ''],
  ['max_voltage_cell', 'payload.cellMaxIndex', ''],
  ['delta_cell_voltage', 'payload.cellDelta', 'V'],
  ['average_cell_voltage', 'payload.cellAverage', 'V'],
  ['total_voltage', 'payload.voltage', 'V'],
  ['current', 'payload.current', 'A'],
  ['power', 'payload.power', 'W'],
  ['temperature_sensor_1', 'payload.temperatures[0]', '°C'],
  ['temperature_sensor_2', 'payload.temperatures[1]', '°C'],
  ['mosfet_temperature', 'payload.mosTemperature', '°C'],
  ['state_of_charge', 'payload.soc', '%'],
  ['state_of_health', 'payload.soh', '%'],
  ['capacity_remaining', 'payload.remainingCapacity', 'Ah'],
  ['full_charge_capacity', 'payload.nominalCapacity', 'Ah'],
  ['charging_cycles', 'payload.cycles', ''],
  ['total_charging_cycle_capacity', 'payload.cycleCapacity', 'Ah'],
  ['total_runtime', 'payload.runtime', 's'],
  ['balancing_current', 'payload.balanceCurrent', 'A'],
  // T4 and T5 by the presence bits (docs/jk-bms-protocols.md §4.3); temperatureProbes names them
  ['temperature_sensor_4', 'payload.temperatures[2]', '°C'],
  ['temperature_sensor_5', 'payload.temperatures[3]', '°C'],
  ['emergency_time_countdown', 'payload.emergencyCountdown', 's'],
  ['smart_sleep_countdown', 'payload.smartSleepCountdown', 's'],
  ['heating_current', 'payload.heaterCurrent', 'A'],
  ['charge_status_id', 'payload.chargeStatus', ''],
  ['charge_status_time_elapsed', 'payload.chargeStatusTime', 's'],
  ['detail_log_entry_count', 'payload.logEntryCount', ''],
  ['battery_type_id', 'payload.batteryType', ''],
  ['balancer_status_bitmask', 'payload.balancing', ''],
  ['uart1_protocols_enabled_bitmask', 'payload.settings.uart1ProtocolsEnabled', ''],
  ['uart2_protocols_enabled_bitmask', 'payload.settings.uart2ProtocolsEnabled', ''],
  ['uart3_protocols_enabled_bitmask', 'payload.settings.uart3ProtocolsEnabled', ''],
  ['can_protocols_enabled_bitmask', 'payload.settings.canProtocolsEnabled', ''],
  ['binary charging', 'payload.chargeEnabled', ''],
  ['binary discharging', 'payload.dischargeEnabled', ''],
  ['binary balancing', 'payload.balancing', ''],
  ['binary heating', 'payload.heating', ''],
  ['binary dry_contact_1', 'payload.dryContact1', ''],
  ['binary dry_contact_2', 'payload.dryContact2', ''],
  ['binary online_status', 'quality', ''],
  ['text errors', 'alarms', ''],
  ['text errors_bitmask_hex', 'payload.alarms', ''],
  ['text balancer_status', 'payload.balancing', ''],
  ['text charge_status', 'payload.chargeStatus', ''],
  ['text software_version', 'device.firmware', ''],
  ['text hardware_version', 'device.hardware', ''],
  ['text battery_type', 'payload.batteryType', ''],
  ['switch charging', 'payload.switches.charge', ''],
  ['switch discharging', 'payload.switches.discharge', ''],
  ['switch balancer', 'payload.switches.balancer', ''],
  ['switch emergency', 'payload.emergency', ''],
  ['switch heating', 'payload.switches.heater', ''],
  ['switch disable_temperature_sensors', 'payload.switches.temperatureSensorsDisabled', ''],
  ['switch display_always_on', 'payload.switches.displayAlwaysOn', ''],
  ['switch smart_sleep', 'payload.switches.smartSleep', ''],
  ['switch disable_pcl_module', 'payload.switches.pclModuleDisabled', ''],
  ['switch timed_stored_data', 'payload.switches.timedStoredData', ''],
  ['switch charging_float_mode', 'payload.switches.chargingFloatMode', ''],
  ['switch emergency_button_trigger', 'payload.switches.emergencyButtonTrigger', ''],
  ['switch dry_contact_alarm_intermittent', 'payload.switches.dryContactAlarmIntermittent', ''],
  ['switch discharge_overcurrent_protection_2', 'payload.switches.dischargeOcp2', ''],
  ['switch discharge_overcurrent_protection_3', 'payload.switches.dischargeOcp3', ''],
  ['switch gps_locked_charging', 'payload.switches.gpsLockedCharging', ''],
  ['switch gps_locked_discharging', 'payload.switches.gpsLockedDischarging', ''],
  ['number smart_sleep_voltage', 'payload.settings.smartSleepVoltage', 'V'],
  ['number cell_voltage_undervoltage_protection', 'payload.settings.cellUvp', 'V'],
  ['number cell_voltage_undervoltage_recovery', 'payload.settings.cellUvpRecovery', 'V'],
  ['number cell_voltage_overvoltage_protection', 'payload.settings.cellOvp', 'V'],
  ['number cell_voltage_overvoltage_recovery', 'payload.settings.cellOvpRecovery', 'V'],
  ['number balance_trigger_voltage', 'payload.settings.balanceTriggerDelta', 'V'],
  ['number cell_soc100_voltage', 'payload.settings.socFullVoltage', 'V'],
  ['number cell_soc0_voltage', 'payload.settings.socEmptyVoltage', 'V'],
  ['number cell_request_charge_voltage', 'payload.settings.chargeRequestVoltage', 'V'],
  ['number cell_request_float_voltage', 'payload.settings.floatVoltage', 'V'],
  ['number power_off_voltage', 'payload.settings.powerOffVoltage', 'V'],
  ['number max_charge_current', 'payload.settings.maxChargeCurrent', 'A'],
  ['number charge_overcurrent_protection_delay', 'payload.settings.chargeOcpDelay', 's'],
  ['number charge_overcurrent_protection_recovery_time', 'payload.settings.chargeOcpRecovery', 's'],
  ['number max_discharge_current', 'payload.settings.maxDischargeCurrent', 'A'],
  ['number discharge_overcurrent_protection_delay', 'payload.settings.dischargeOcpDelay', 's'],
  ['number discharge_overcurrent_protection_recovery_time', 'payload.settings.dischargeOcpRecovery', 's'],
  ['number short_circuit_protection_recovery_time', 'payload.settings.shortCircuitRecovery', 's'],
  ['number max_balance_current', 'payload.settings.maxBalanceCurrent', 'A'],
  ['number charge_overtemperature_protection', 'payload.settings.chargeOtp', '°C'],
  ['number charge_overtemperature_protection_recovery', 'payload.settings.chargeOtpRecovery', '°C'],
  ['number discharge_overtemperature_protection', 'payload.settings.dischargeOtp', '°C'],
  ['number discharge_overtemperature_protection_recovery', 'payload.settings.dischargeOtpRecovery', '°C'],
  ['number charge_undertemperature_protection', 'payload.settings.chargeUtp', '°C'],
  ['number charge_undertemperature_protection_recovery', 'payload.settings.chargeUtpRecovery', '°C'],
  ['number mosfet_overtemperature_protection', 'payload.settings.mosOtp', '°C'],
  ['number mosfet_overtemperature_protection_recovery', 'payload.settings.mosOtpRecovery', '°C'],
  ['number cell_count', 'payload.settings.cellCount', ''],
  ['number total_battery_capacity', 'payload.settings.designCapacity', 'Ah'],
  // esphome µs, here s
  ['number short_circuit_protection_delay', 'payload.settings.shortCircuitDelay', 's'],
  ['number balancing_start_voltage', 'payload.settings.balanceStartVoltage', 'V'],
  ['number discharge_precharge_time', 'payload.settings.prechargeTime', 's'],
  // esphome h and min, here s
  ['number smart_sleep_delay', 'payload.settings.smartSleepTime', 's'],
  ['number heating_start_temperature', 'payload.settings.heaterStartTemperature', '°C'],
  ['number heating_stop_temperature', 'payload.settings.heaterStopTemperature', '°C'],
  ['number discharge_undertemperature_protection', 'payload.settings.dischargeUtp', '°C'],
  ['number discharge_undertemperature_protection_recovery', 'payload.settings.dischargeUtpRecovery', '°C'],
  ['number cell_request_charge_voltage_time', 'payload.settings.chargeRequestVoltageTime', 's'],
  ['number cell_request_float_voltage_time', 'payload.settings.floatVoltageTime', 's'],
  ['number re_bulk_soc', 'payload.settings.reBulkSoc', '%'],
  ['number emergency_duration', 'payload.settings.emergencyDuration', 's'],
  ['select uart1_protocol', 'payload.settings.uart1Protocol', ''],
  ['select uart2_protocol', 'payload.settings.uart2Protocol', ''],
  ['select uart3_protocol', 'payload.settings.uart3Protocol', ''],
  ['select can_protocol', 'payload.settings.canProtocol', ''],
  ['select lcd_buzzer_trigger', 'payload.settings.lcdBuzzerTrigger', ''],
  ['select dry1_trigger', 'payload.settings.dryContact1Trigger', ''],
  ['select dry2_trigger', 'payload.settings.dryContact2Trigger', ''],
];

/** esphome values this table leaves out, and why */
export const NOT_IN_MESSAGE: ReadonlyArray<[string, string]> = [
  ['charging_power', 'esphome derives it from power (power when > 0)'],
  ['discharging_power', 'esphome derives it from power (−power when < 0)'],
  ['text total_runtime_formatted', 'esphome formats runtime as text'],
  ['temperature_sensor_3', 'the JK-PB frames carry no T3 beside T4/T5 (docs/jk-bms-protocols.md §4.3: the presence bits name T4 and T5)'],
];

/** The value at a path like `payload.settings.cellOvp` or `payload.temperatures[2]`. */
function valueAt(msg: object, path: string): unknown {
  let at: unknown = msg;
  for (const step of path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as { [k: string]: unknown })[step];
  }
  return at;
}

/** The key msg.units names a payload path by: `temperatures` for an element, `settings.cellOvp` for a field. */
function unitsKey(path: string): string | undefined {
  if (!path.startsWith('payload.')) return undefined;
  return path.slice('payload.'.length).replace(/\[\d+\]$/, '');
}

describe('issue 15 done: a JK-PB pack message carries what esphome jk_bms_ble publishes', function () {
  this.timeout(30000);
  let stopSimulator: (() => Promise<void> | void) | undefined;

  before(startServer);
  after(stopServer);
  afterEach(async () => {
    await helper.unload();
    await stopSimulator?.();
  });

  it('every value of the esphome table, with its unit, in one message of `dcpower simulate jk` read over JK02', async () => {
    const port = await freeTcpPort();
    const running = await startSimulator(['--port', String(port), '--turnaround-ms', '1']);
    stopSimulator = running.stop;
    await helper.load(JK_NODES, jkFlow(port, { protocol: 'jk02' }));
    const got = collect(helper.getNode('out') as TestNode);
    const msg: Msg = await until(() => got.find((m) => m.quality === 'good'));
    const missing: string[] = [];
    const wrongUnit: string[] = [];
    for (const [esphome, path, unit] of ESPHOME_JK_BMS_BLE) {
      if (valueAt(msg, path) === undefined) missing.push(`${esphome} -> ${path}`);
      const key = unitsKey(path);
      if (key !== undefined && (msg.units[key] ?? '') !== unit) wrongUnit.push(`${esphome} -> ${key}: ${msg.units[key]} (want ${unit || 'none'})`);
    }
    expect(missing, 'esphome values missing from the message').to.deep.equal([]);
    expect(wrongUnit, 'units').to.deep.equal([]);
    expect(msg.payload.temperatureProbes).to.deep.equal(['T1', 'T2', 'T4', 'T5']);
    // 119 values in the reference's count: the table rows plus what it leaves out, each counted once
    expect(ESPHOME_JK_BMS_BLE.length + NOT_IN_MESSAGE.length).to.equal(119);
  });
});
