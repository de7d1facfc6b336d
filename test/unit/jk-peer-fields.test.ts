/**
 * The values the peers publish (esphome-jk-bms, dbus-serialbattery; issue 15's field-by-field comparison) that
 * the RS485 protocols carry: decoded from the captured frames of test/fixtures/jkbms-vectors.json where one holds
 * the field, from the simulator otherwise, and the settled disagreements of docs/jk-bms-protocols.md. Also the
 * setting-write builders and their range checks.
 */
import { expect } from 'chai';
import { JK02_ALARM_BITS } from '../../nodes/jk-bms/protocol/alarm-bits';
import { JK_PROTOCOLS, decodePoll, buildTrigger, nwCurrent, JkDecoded } from '../../nodes/jk-bms/protocol';
import { encodeWriteMultipleRegisters } from '../../lib/wire/modbus-pdu';
import { encodeRtu } from '../../lib/wire/modbus-rtu';
import { crcValid } from '../../lib/wire/crc16';
import { sum8 } from '../../nodes/jk-bms/protocol/shapes';
import { buildSettingWrite, checkSettingValue, JK_WRITABLE_SETTINGS } from '../../nodes/jk-bms/protocol/writes';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { loadVectors } from './jk-vectors';

const vectors = loadVectors();

/** Decodes the data frame of a captured vector (a PB capture may carry its ack behind the 300 bytes). */
function decodeCaptured(id: string): JkDecoded {
  const v = vectors.find((x) => x.id === id);
  if (!v) throw new Error(`no vector ${id}`);
  const bytes = Buffer.from(v.hex, 'hex');
  const protocol = v.protocol === 'jk-balancer-rs485' ? 'jk-balancer' : (v.protocol as 'jk-nw' | 'jk02');
  const frame = protocol === 'jk02' ? bytes.subarray(0, 300) : bytes;
  const r = JK_PROTOCOLS[protocol].decode(frame);
  if (!r.ok) throw new Error(`${id}: ${r.error.message}`);
  return r.value;
}

function ok<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/**
 * The esphome logbook capture (syssi/esphome-jk-bms @2fa4323, tests/components/jk_bms_ble/frames_logbook.h): header
 * and counter, 4 entries, the byte at 10 (0x03), empty slots, sum8 at 299.
 */
function logbookFrame(): Buffer {
  const frame = Buffer.alloc(300);
  Buffer.from('55aaeb90051f' + '04000000' + '03' + '0000000001' + 'ee00000044' + 'af5c26001b' + 'd85c26001c', 'hex').copy(frame);
  frame[299] = sum8(frame, 0, 299);
  return frame;
}

const JK_PB_32S = ['jk02-03-32s-pb2a16s15p-v14.20', 'jk02-05-32s-charging-31A', 'jk02-rs485-01-pb-addr3-dbus-test', 'jk02-rs485-02-pb-addr1-mppsolar'];

describe('JK values the peers publish', () => {
  describe('JK-PB cell-info frames (captures)', () => {
    it('jk02-03: T4/T5 at 256/258 with their names, heater current, countdowns, charge stage, dry contacts, battery type, log count', () => {
      const r = decodeCaptured('jk02-03-32s-pb2a16s15p-v14.20').reading ?? {};
      expect(r.temperatures).to.deep.equal([17.7, 17.7, 17.9, 18]);
      expect(r.temperatureProbes).to.deep.equal(['T1', 'T2', 'T4', 'T5']);
      expect(r.heaterCurrent).to.equal(0.51); // 236: FE 01 = 510 mA
      expect(r.emergencyCountdown).to.equal(0);
      expect(r.emergency).to.equal(false);
      expect(r.smartSleepCountdown).to.equal(86400); // 270: 80 51 01 00, the pack's 24 h smart-sleep time
      expect(r.chargeStatus).to.equal('bulk');
      expect(r.chargeStatusTime).to.equal(0);
      expect(r.dryContact1).to.equal(false);
      expect(r.dryContact2).to.equal(false);
      expect(r.batteryType).to.equal('lfp');
      expect(r.logEntryCount).to.equal(1560);
    });

    it('log counts of the other captures: 22, 2320, 7342', () => {
      expect(decodeCaptured('jk02-05-32s-charging-31A').reading?.logEntryCount).to.equal(22);
      expect(decodeCaptured('jk02-rs485-01-pb-addr3-dbus-test').reading?.logEntryCount).to.equal(2320);
      expect(decodeCaptured('jk02-rs485-02-pb-addr1-mppsolar').reading?.logEntryCount).to.equal(7342);
    });

    it('the word at 254 equals the MOSFET temperature in every 32S capture, so it is not published as a probe', () => {
      for (const id of JK_PB_32S) {
        const d = decodeCaptured(id);
        expect(d.raw?.tempAt254, id).to.equal(d.reading?.mosTemperature);
        expect(d.reading?.temperatureProbes, id).to.deep.equal(['T1', 'T2', 'T4', 'T5']);
      }
    });

    it('T4/T5 need their present bits at 214: cleared bits leave them out', () => {
      const v = vectors.find((x) => x.id === 'jk02-03-32s-pb2a16s15p-v14.20');
      const frame = Buffer.from(v?.hex ?? '', 'hex').subarray(0, 300);
      frame[214] = 0x07; // MOS, T1, T2
      frame[299] = sum8(frame, 0, 299);
      const r = ok(JK_PROTOCOLS.jk02.decode(frame)).reading;
      expect(r?.temperatures).to.deep.equal([17.7, 17.7]);
      expect(r?.temperatureProbes).to.deep.equal(['T1', 'T2']);
    });

    it('the 24S capture keeps its two probes and none of the 32S-only fields', () => {
      const r = decodeCaptured('jk02-01-24s-b2a24s20p-v10.07').reading ?? {};
      expect(r.temperatureProbes).to.deep.equal(['T1', 'T2']);
      expect(r.chargeStatus).to.equal(undefined);
      expect(r.heaterCurrent).to.equal(undefined);
    });

    it('remaining capacity is i32 in the 24S layout too (settled): a negative count reads negative', () => {
      const v = vectors.find((x) => x.id === 'jk02-01-24s-b2a24s20p-v10.07');
      const frame = Buffer.from(v?.hex ?? '', 'hex');
      expect(ok(JK_PROTOCOLS.jk02.decode(frame)).reading?.remainingCapacity).to.equal(42.804);
      frame.writeInt32LE(-1500, 142);
      frame[299] = sum8(frame, 0, 299);
      expect(ok(JK_PROTOCOLS.jk02.decode(frame, { variant: '24s' })).reading?.remainingCapacity).to.equal(-1.5);
    });

    it('alarm bits 3 and 4 stay current-sensor error and cell over-voltage (settled, §4.4)', () => {
      expect(JK02_ALARM_BITS[3]).to.equal('current-sensor-error');
      expect(JK02_ALARM_BITS[4]).to.equal('cell-over-voltage');
    });
  });

  describe('JK-PB settings and device-info frames (captures)', () => {
    it('jk02-settings-01: heater start/stop at 284/285, discharge UTP at 296/297, configured switches and control bits', () => {
      const d = decodeCaptured('jk02-settings-01-pb-addr3');
      expect(d.settings).to.include({ heaterStartTemperature: 0, heaterStopTemperature: 10, dischargeUtp: 0, dischargeUtpRecovery: 0, maxChargeCurrent: 60, maxDischargeCurrent: 100 });
      expect(d.settings?.raw284).to.equal(undefined);
      // control word 0x3300: timed data, float mode, discharge OCP II and III; heater off
      expect(d.switches).to.include({ charge: true, discharge: true, balancer: true, heater: false, timedStoredData: true, chargingFloatMode: true, dischargeOcp2: true, dischargeOcp3: true, smartSleep: false });
    });

    it('jk02-devinfo-01: protocol selections, triggers, RCV/RFV times, emergency duration; no passcode', () => {
      const d = decodeCaptured('jk02-devinfo-01-pb-addr3');
      expect(d.settings).to.deep.equal({
        uart1Protocol: 0,
        canProtocol: 4,
        uart1ProtocolsEnabled: 26623,
        canProtocolsEnabled: 4095,
        uart2Protocol: 1,
        uart2ProtocolsEnabled: 26623,
        lcdBuzzerTrigger: 9,
        dryContact1Trigger: 8,
        dryContact2Trigger: 0,
        chargeRequestVoltageTime: 1,
        floatVoltageTime: 12,
        emergencyDuration: 1800,
        uart3Protocol: 0,
        uart3ProtocolsEnabled: 0,
        reBulkSoc: 0,
      });
      expect(d.device).to.include({ name: 'BB02', manufacturingDate: '240914', uptime: 48572700, powerOnCount: 22 });
      expect(JSON.stringify(d)).not.to.include('136913');
    });

    it('the logbook frame (type 0x05) decodes instead of being rejected (esphome capture)', () => {
      const d = ok(JK_PROTOCOLS.jk02.decode(logbookFrame()));
      expect(d.frameType).to.equal('logbook');
      expect(d.logbook).to.deep.equal({
        count: 4,
        entries: [
          { time: 0, code: 0x01, event: 'boot' },
          { time: 238, code: 0x44, event: 'factory-setting-lfp' },
          { time: 2514095, code: 0x1b, event: 'charge-under-temperature' },
          { time: 2514136, code: 0x1c, event: 'charge-under-temperature-released' },
        ],
      });
    });

    it('a logbook claiming more entries than its 50 slots stops at 50', () => {
      const frame = logbookFrame();
      frame.writeUInt32LE(1000, 6);
      frame[299] = sum8(frame, 0, 299);
      const d = ok(JK_PROTOCOLS.jk02.decode(frame));
      expect(d.logbook?.count).to.equal(1000);
      expect(d.logbook?.entries).to.have.lengthOf(50);
    });
  });

  describe('NW (captures)', () => {
    it('nw-01: remaining capacity = capacity × SOC, run time from 0xB6, sensor count, protocol version, battery type, switches', () => {
      const d = decodeCaptured('nw-01-14s-esphome');
      expect(d.reading).to.include({ remainingCapacity: 2.1, runtime: 57856 * 60, temperatureSensorCount: 2, batteryType: 'li-ion' });
      expect(d.reading?.temperatureProbes).to.deep.equal(['T1', 'T2']);
      expect(d.device?.protocolVersion).to.equal(1);
      expect(d.switches).to.deep.equal({ charge: true, discharge: true, balancer: true, dedicatedCharger: false });
      expect(d.settings).to.include({ packOvp: 56.7, cellOvp: 4.05, cellOvpRecovery: 4, maxChargeCurrent: 5, maxDischargeCurrent: 7, boxOtp: 100, lowCapacityAlarm: 20 });
    });

    it('nw-03: switches off, SOC 94 % of 5 Ah', () => {
      const d = decodeCaptured('nw-03-13s-b2a24s20p-v10.07');
      expect(d.reading?.remainingCapacity).to.equal(4.7);
      expect(d.switches).to.include({ charge: false, discharge: false, balancer: true });
    });

    it('status bit 3 is clear in both real board captures while the pack works: it is not a "battery present" flag', () => {
      expect(decodeCaptured('nw-01-14s-esphome').raw?.statusBits).to.equal(0x07);
      expect(decodeCaptured('nw-03-13s-b2a24s20p-v10.07').raw?.statusBits).to.equal(0x04);
      expect(decodeCaptured('nw-01-14s-esphome').reading?.current).to.equal(2.08);
    });

    it('current under an unknown protocol version is absent, not guessed', () => {
      expect(nwCurrent(0x80d0, 2)).to.equal(undefined);
      expect(nwCurrent(0x80d0, 1)).to.equal(2.08);
      const v = vectors.find((x) => x.id === 'nw-01-14s-esphome');
      const frame = Buffer.from(v?.hex ?? '', 'hex');
      const at = frame.lastIndexOf(0xc0, frame.length - 9);
      frame[at + 1] = 2;
      const length = frame.readUInt16BE(2);
      let sum = 0;
      for (let i = 0; i < length; i++) sum += frame[i];
      frame.writeUInt16BE(sum & 0xffff, length);
      const d = ok(JK_PROTOCOLS['jk-nw'].decode(frame));
      expect(d.reading?.current).to.equal(undefined);
      expect(d.reading?.power).to.equal(undefined);
      expect(d.reading?.voltage).to.equal(53.59);
    });
  });

  describe('DZ11 balancer', () => {
    it('bal-01: the balancer switch as a configured switch', () => {
      expect(decodeCaptured('bal-01-17s-esphome-test').switches).to.deep.equal({ balancer: true });
    });

    it('balance current is an unsigned magnitude (settled): 0x8000 reads +32.768 A, not negative', () => {
      const v = vectors.find((x) => x.id === 'bal-01-17s-esphome-test');
      const frame = Buffer.from(v?.hex ?? '', 'hex');
      frame.writeUInt16BE(0x8000, 15);
      frame[73] = sum8(frame, 0, 73);
      expect(ok(JK_PROTOCOLS['jk-balancer'].decode(frame)).reading?.balanceCurrent).to.equal(32.768);
    });
  });

  describe('from the simulator (fields no capture holds set)', () => {
    const sim = new JkSimulator({ packs: [1, 2], pacing: false, tickMs: 0, probes: 4, cellCount: 16 });
    const respond = (request: Buffer): Buffer[] => sim.respond(request)?.frames ?? [];
    const poll = (what: 'status' | 'settings' | 'device') =>
      ok(decodePoll('jk-modbus', JK_PROTOCOLS['jk-modbus'].buildRequests(2, what).map((request) => ({ request, reply: respond(request)[0] }))));

    it('heater runs below its start temperature and draws current; emergency and charge stage change', () => {
      sim.setPack(1, { temperatures: [-3, -2, -2.5, -1.5], emergencyCountdown: 600, dryContacts: [true, false] });
      const p = sim.getPack(1);
      if (!p) throw new Error('pack');
      sim.applyProtections(p);
      const r = ok(JK_PROTOCOLS.jk02.decode(respond(buildTrigger(1, 'status'))[0])).reading ?? {};
      expect(r.heating).to.equal(true);
      expect(r.heaterCurrent).to.equal(0.5);
      expect(r.temperatures).to.deep.equal([-3, -2, -2.5, -1.5]);
      expect(r.temperatureProbes).to.deep.equal(['T1', 'T2', 'T4', 'T5']);
      expect(r.emergency).to.equal(true);
      expect(r.emergencyCountdown).to.equal(600);
      expect(r.dryContact1).to.equal(true);
      expect(r.dryContact2).to.equal(false);
      sim.setPack(1, { forcedCurrent: 20, soc: 99.5 });
      sim.step(10);
      const after = ok(JK_PROTOCOLS.jk02.decode(respond(buildTrigger(1, 'status'))[0])).reading ?? {};
      expect(after.emergencyCountdown).to.equal(590);
      expect(after.chargeStatus).to.equal('float');
      // charging is blocked below the charge UTP, so no current flows and the smart-sleep countdown runs
      expect(after.current).to.equal(0);
      expect(after.smartSleepCountdown).to.equal(24 * 3600 - 10);
    });

    it('JK Modbus status poll reads the registers beyond 0x12D1: T4/T5, heater current, countdowns, battery type', () => {
      const r = poll('status').reading ?? {};
      const p = sim.getPack(2);
      expect(r.temperatures).to.deep.equal(p?.temperatures);
      expect(r.temperatureProbes).to.deep.equal(['T1', 'T2', 'T4', 'T5']);
      expect(r).to.include({ heaterCurrent: 0, emergencyCountdown: 0, smartSleepCountdown: 86400, batteryType: 'lfp', logEntryCount: 42 });
      // 0x1310-0x1313 are outside the V1.1 map and not read
      expect(r.chargeStatus).to.equal(undefined);
    });

    it('JK Modbus settings poll: heater temperatures, discharge UTP, switches; device poll: identity', () => {
      const s = poll('settings');
      expect(s.settings).to.include({ heaterStartTemperature: 0, heaterStopTemperature: 10, dischargeUtp: -20, dischargeUtpRecovery: -15, smartSleepTime: 24 });
      expect(s.switches).to.include({ charge: true, discharge: true, balancer: true, heater: true });
      expect(poll('device').device).to.include({ uptime: sim.getPack(2)?.device.uptime, powerOnCount: 3 });
    });

    it('JK02 device frame carries the device-info settings', () => {
      const d = ok(JK_PROTOCOLS.jk02.decode(respond(buildTrigger(2, 'device'))[0]));
      expect(d.settings).to.include({ uart1Protocol: 1, emergencyDuration: 1800, reBulkSoc: 90 });
    });

    it('NW reply: every NW setting, remaining capacity, battery type, status bit 3 clear', () => {
      const d = ok(JK_PROTOCOLS['jk-nw'].decode(respond(JK_PROTOCOLS['jk-nw'].buildRequests(0, 'status')[0])[0]));
      const p = sim.getPack(1);
      expect(d.settings).to.include({ packOvp: 58.4, cellDeltaProtection: 0.3, boxOtp: 60, batteryType: 0, maxChargeCurrent: 100 });
      expect(d.reading?.remainingCapacity).to.equal(Math.round((p?.soc ?? 0)) * 2.8);
      expect(d.reading?.batteryType).to.equal('lfp');
      expect((d.raw?.statusBits ?? 0) & 8).to.equal(0);
    });
  });

  describe('setting writes: builders, range checks, and the simulator echoing them', () => {
    const context = {
      settings: { cellUvp: 2.7, cellOvp: 3.65, cellDeltaProtection: 0.3 },
      device: { model: 'JK_PB2A16S20P' },
    };

    it('Modbus FC10 of max charge current: U32 mA, high word first, valid CRC', () => {
      const [frame] = ok(buildSettingWrite('jk-modbus', 1, 'maxChargeCurrent', 100, context));
      expect(frame.subarray(0, 11).toString('hex')).to.equal('0110102c00020400' + '0186a0');
      expect(crcValid(frame)).to.equal(true);
    });

    it('the device limits: rating from the model (20P = 200 A), balancer rating (B2A = 2 A)', () => {
      expect(checkSettingValue('maxChargeCurrent', 200, context).ok).to.equal(true);
      const over = checkSettingValue('maxChargeCurrent', 250, context);
      expect(!over.ok && over.error).to.include({ code: 'out_of_range', max: 200 });
      const zero = checkSettingValue('maxDischargeCurrent', 0, context);
      expect(!zero.ok && zero.error.code).to.equal('out_of_range');
      const balance = checkSettingValue('maxBalanceCurrent', 2.5, { device: { model: 'JK-B2A24S15P' } });
      expect(!balance.ok && balance.error).to.include({ code: 'out_of_range', max: 2 });
    });

    it('the protection settings it must stay inside: balance start between UVP and OVP, trigger below the difference protection', () => {
      const high = buildSettingWrite('jk-modbus', 1, 'balanceStartVoltage', 3.7, context);
      expect(!high.ok && high.error).to.include({ code: 'conflicts_with_setting', bound: 'cellOvp' });
      const low = buildSettingWrite('jk02', 1, 'balanceStartVoltage', 2.6, context);
      expect(!low.ok && low.error).to.include({ code: 'conflicts_with_setting', bound: 'cellUvp' });
      const unknown = buildSettingWrite('jk02', 1, 'balanceStartVoltage', 3.4, {});
      expect(!unknown.ok && unknown.error).to.include({ code: 'unknown_bound', bound: 'cellUvp' });
      const trigger = buildSettingWrite('jk-nw', 0, 'balanceTriggerDelta', 0.3, context);
      expect(!trigger.ok && trigger.error).to.include({ code: 'conflicts_with_setting', bound: 'cellDeltaProtection' });
      expect(buildSettingWrite('jk02', 1, 'balanceTriggerDelta', 0.005, context).ok).to.equal(true);
    });

    it('per protocol: NW whole amperes and no balance current; DZ11 cell count; JK-PB no cell count', () => {
      const half = buildSettingWrite('jk-nw', 0, 'maxChargeCurrent', 50.5, context);
      expect(!half.ok && half.error.code).to.equal('resolution');
      const nwBalance = buildSettingWrite('jk-nw', 0, 'maxBalanceCurrent', 1, context);
      expect(!nwBalance.ok && nwBalance.error.code).to.equal('unsupported');
      const pbCells = buildSettingWrite('jk02', 1, 'cellCount', 16, context);
      expect(!pbCells.ok && pbCells.error.code).to.equal('unsupported');
      const [cells] = ok(buildSettingWrite('jk-balancer', 1, 'cellCount', 16));
      expect(cells.toString('hex')).to.equal('55aa01f0001000');
      const [current] = ok(buildSettingWrite('jk-balancer', 1, 'maxBalanceCurrent', 0.5));
      expect(current.toString('hex')).to.equal('55aa01f401f4e9');
      const tooMany = buildSettingWrite('jk-balancer', 1, 'cellCount', 25);
      expect(!tooMany.ok && tooMany.error.code).to.equal('out_of_range');
      const fraction = buildSettingWrite('jk-balancer', 1, 'cellCount', 16.5);
      expect(!fraction.ok && fraction.error.code).to.equal('not_a_number');
    });

    it('never throws, whatever a flow sends', () => {
      const odd: unknown[] = [undefined, null, 'x', '12', NaN, Infinity, -Infinity, -1, 1e12, {}, [], true];
      for (const protocol of ['jk-nw', 'jk02', 'jk-modbus', 'jk-balancer', 'nope'] as const) {
        for (const setting of [...JK_WRITABLE_SETTINGS, 'cellOvp' as never]) {
          for (const value of [...odd, 1, 0.005, 3.4]) {
            for (const address of [-1, 0, 1, 15, 16, 248, 1.5, NaN]) {
              const r = buildSettingWrite(protocol as never, address, setting, value, context);
              expect(r).to.have.property('ok');
            }
          }
        }
      }
      const bad = buildSettingWrite('jk02', 16, 'maxChargeCurrent', 50, context);
      expect(!bad.ok && bad.error.code).to.equal('bad_address');
    });

    it('the simulator applies the writes and shows them on the next read (Modbus, NW, DZ11)', () => {
      const s = new JkSimulator({ packs: [3], pacing: false, tickMs: 0 });
      const send = (frames: Buffer[]): Buffer[] => frames.flatMap((f) => s.respond(f)?.frames ?? []);
      const ack = ok(JK_PROTOCOLS['jk-modbus'].decode(send(ok(buildSettingWrite('jk-modbus', 3, 'maxChargeCurrent', 80, context)))[0]));
      expect(ack.frameType).to.equal('write-ack');
      send(ok(buildSettingWrite('jk-modbus', 3, 'balanceStartVoltage', 3.4, context)));
      const settings = ok(decodePoll('jk-modbus', JK_PROTOCOLS['jk-modbus'].buildRequests(3, 'settings').map((request) => ({ request, reply: send([request])[0] }))));
      expect(settings.settings).to.include({ maxChargeCurrent: 80, balanceStartVoltage: 3.4 });
      const jk02Settings = ok(JK_PROTOCOLS.jk02.decode(send([buildTrigger(3, 'settings')])[0]));
      expect(jk02Settings.settings).to.include({ maxChargeCurrent: 80 });
      // out of the device's range: a Modbus exception, nothing changes
      const refused = s.respond(Buffer.from(encodeRaw(3, 0x102c, 0)))?.frames[0];
      expect(refused && refused[1]).to.equal(0x90);

      const nwAck = send(ok(buildSettingWrite('jk-nw', 0, 'maxDischargeCurrent', 120, context)));
      expect(nwAck).to.have.lengthOf(2);
      const nw = ok(JK_PROTOCOLS['jk-nw'].decode(send(JK_PROTOCOLS['jk-nw'].buildRequests(0, 'status'))[0]));
      expect(nw.settings?.maxDischargeCurrent).to.equal(120);

      send(ok(buildSettingWrite('jk-balancer', 3, 'cellCount', 14)));
      send(ok(buildSettingWrite('jk-balancer', 3, 'maxBalanceCurrent', 1.2)));
      const bal = ok(JK_PROTOCOLS['jk-balancer'].decode(send(JK_PROTOCOLS['jk-balancer'].buildRequests(3, 'status'))[0]));
      expect(bal.settings).to.include({ cellCount: 14, maxBalanceCurrent: 1.2 });
      expect(bal.reading?.cellCount).to.equal(16);
    });
  });
});

/** An FC10 write of a raw U32 to a register, bypassing the builders' checks (what a careless master might send). */
function encodeRaw(address: number, register: number, value: number): Buffer {
  return encodeRtu(address, encodeWriteMultipleRegisters(register, [Math.floor(value / 0x10000), value % 0x10000]));
}
