import { expect } from 'chai';
import { buildMap, encodeValue, mapCsv, parseConfig, RegisterMap, valueAt, BridgeConfig, CSV_COLUMNS } from '../../nodes/plc-bridge/map';
import { BridgeImage } from '../../nodes/plc-bridge/image';
import { KIND_KEYS } from '../../nodes/plc-bridge/keys';
import { QUALITY_CODES } from '../../nodes/plc-bridge/map';
import { COMMUNICATION_LOST, STATUS_FLAGS } from '../../nodes/bacs/registers';
import { JK_ALARMS } from '../../nodes/jk-bms/alarms';
import * as BACS_EN from '../../nodes/bacs/locales/en-US/bacs.json';
import * as BACS_ZH from '../../nodes/bacs/locales/zh-CN/bacs.json';

function map(raw: { blockSize?: unknown; wordOrder?: unknown; devices?: unknown }): RegisterMap {
  const parsed = parseConfig(raw);
  return buildMap(parsed.config, parsed.problems);
}

/** address -> "device key[index]" for every register, to compare layouts */
function layout(m: RegisterMap): Map<number, string> {
  return new Map(m.registers.map((r) => [r.address, `${r.device} ${r.key}${r.index !== undefined ? `[${r.index}]` : ''} ${r.format} x${r.scale}`]));
}
function bitLayout(m: RegisterMap): Map<number, string> {
  return new Map(m.bits.map((b) => [b.address, `${b.device} ${b.key}`]));
}

const PACK1 = { topic: 'bms/pack1', kind: 'jk-bms', keys: [{ key: 'voltage' }, { key: 'current' }, { key: 'cellVoltages', count: 4 }], alarms: [{ id: 'cellHigh' }, { id: 'packLow' }] };
const PACK2 = { topic: 'bms/pack2', kind: 'jk-bms', keys: [{ key: 'soc' }], alarms: [] };

describe('plc-bridge register map', () => {
  it('puts the header at 0, slot n at n x block size, values from offset 10, in list order', () => {
    const m = map({ devices: [PACK1, PACK2] });
    expect(m.problems).to.deep.equal([]);
    expect(m.blockSize).to.equal(200);
    const at = (a: number) => m.registers.find((r) => r.address === a);
    expect(at(0)?.key).to.equal('layout');
    expect(at(2)?.key).to.equal('heartbeat');
    expect(at(200)?.key).to.equal('quality');
    expect(at(201)?.key).to.equal('age');
    expect(at(210)).to.include({ key: 'voltage', format: 'uint16', scale: 100, unit: 'V', words: 1 });
    expect(at(211)).to.include({ key: 'current', format: 'int32', scale: 100, unit: 'A', words: 2 });
    expect(at(213)).to.include({ key: 'cellVoltages', index: 0, scale: 1000, unit: 'V' });
    expect(at(216)).to.include({ key: 'cellVoltages', index: 3 });
    expect(at(217)).to.equal(undefined);
    expect(at(400)?.key).to.equal('quality');
    expect(at(410)).to.include({ key: 'soc', device: 'bms/pack2' });
    expect(m.registerCount).to.equal(600);
    const bit = (a: number) => m.bits.find((b) => b.address === a);
    expect(bit(100)?.key).to.equal('notGood');
    expect(bit(110)?.key).to.equal('cellHigh');
    expect(bit(111)?.key).to.equal('packLow');
    expect(bit(200)?.key).to.equal('notGood');
    expect(m.bitCount).to.equal(300);
  });

  it('is stable: adding a device or a key at the end moves no existing address', () => {
    const before = map({ devices: [PACK1, PACK2] });
    const after = map({
      devices: [
        { ...PACK1, keys: [...PACK1.keys, { key: 'soc' }, { key: 'temperatures', count: 2 }], alarms: [...PACK1.alarms, { id: 'tempHigh' }] },
        { ...PACK2, keys: [...PACK2.keys, { key: 'power' }] },
        { topic: 'bacs/room1', kind: 'bacs', keys: [{ key: 'modules.voltage', count: 24 }], alarms: [] },
      ],
    });
    expect(after.problems).to.deep.equal([]);
    const a = layout(after);
    for (const [address, what] of layout(before)) {
      if (address >= 2 && address <= 9) continue; // header descriptions are the same; counts differ at run time only
      expect(a.get(address), `register ${address}`).to.equal(what);
    }
    const ab = bitLayout(after);
    for (const [address, what] of bitLayout(before)) expect(ab.get(address), `bit ${address}`).to.equal(what);
    expect(after.registers.find((r) => r.address === 600)?.device).to.equal('bacs/room1');
  });

  it('is stable across removals once the resolved slots, offsets and bits are saved', () => {
    const first = map({ devices: [PACK1, PACK2, { topic: 'bms/pack3', kind: 'jk-bms', keys: [{ key: 'voltage' }], alarms: [] }] });
    const saved = first.resolved;
    // remove pack2 and pack1's current and its first alarm: the others keep their addresses
    const edited: BridgeConfig = {
      ...saved,
      devices: [
        { ...saved.devices[0], keys: saved.devices[0].keys.filter((k) => k.key !== 'current'), alarms: saved.devices[0].alarms.slice(1) },
        saved.devices[2],
      ],
    };
    const second = buildMap(JSON.parse(JSON.stringify(edited)) as BridgeConfig);
    expect(second.problems).to.deep.equal([]);
    const s = layout(second);
    for (const [address, what] of layout(first)) {
      if (what.startsWith('bms/pack2') || what.includes(' current ') || (address >= 2 && address <= 9)) continue;
      expect(s.get(address), `register ${address}`).to.equal(what);
    }
    expect(second.bits.find((b) => b.key === 'packLow')?.address).to.equal(111);
    expect(second.registers.find((r) => r.device === 'bms/pack3' && r.key === 'voltage')?.address).to.equal(610);
    // a device added later takes slot 4, not the hole of pack2
    const third = buildMap({ ...second.resolved, devices: [...second.resolved.devices, { topic: 'new', kind: 'jk-bms', keys: [{ key: 'soc' }], alarms: [] }] });
    expect(third.devices.find((d) => d.topic === 'new')?.slot).to.equal(4);
    // and a key added later goes after the highest end in use, not into the hole of current
    const fourth = buildMap({ ...second.resolved, devices: [{ ...second.resolved.devices[0], keys: [...second.resolved.devices[0].keys, { key: 'soh' }] }, second.resolved.devices[1]] });
    expect(fourth.registers.find((r) => r.device === 'bms/pack1' && r.key === 'soh')?.address).to.equal(217);
  });

  it('scales, rounds and clamps, keeps the extremes for "not reported", and signs where values can be negative', () => {
    expect(encodeValue(53.214, 'uint16', 100, 'high-first')).to.deep.equal([5321]);
    expect(encodeValue(-12.5, 'int16', 10, 'high-first')).to.deep.equal([0x10000 - 125]);
    expect(encodeValue(1e9, 'int16', 1, 'high-first')).to.deep.equal([0x7fff]);
    expect(encodeValue(-1e9, 'int16', 1, 'high-first')).to.deep.equal([0x8001]);
    expect(encodeValue(-5, 'uint16', 1, 'high-first')).to.deep.equal([0]);
    expect(encodeValue(70000, 'uint16', 1, 'high-first')).to.deep.equal([0xfffe]);
    expect(encodeValue(undefined, 'int16', 1, 'high-first')).to.deep.equal([0x8000]);
    expect(encodeValue(undefined, 'uint16', 1, 'high-first')).to.deep.equal([0xffff]);
    expect(encodeValue('12', 'uint16', 1, 'high-first')).to.deep.equal([0xffff]);
    expect(encodeValue(NaN, 'int32', 1, 'high-first')).to.deep.equal([0x8000, 0x0000]);
    expect(encodeValue(true, 'bool', 1, 'high-first')).to.deep.equal([1]);
    expect(encodeValue(false, 'uint16', 1, 'high-first')).to.deep.equal([0]);
    // every default: a signed format for keys that can go negative
    const jk = KIND_KEYS['jk-bms'];
    for (const key of ['current', 'power', 'mosTemperature', 'temperatures', 'balanceCurrent']) expect(jk.find((k) => k.key === key)?.format, key).to.match(/^int/);
    for (const key of ['voltage', 'soc', 'cellVoltages']) expect(jk.find((k) => k.key === key)?.format, key).to.match(/^uint/);
  });

  it('encodes 32-bit values as two registers in the stated word order', () => {
    expect(encodeValue(-123.45, 'int32', 100, 'high-first')).to.deep.equal([0xffff, 0x10000 - 12345]);
    expect(encodeValue(-123.45, 'int32', 100, 'low-first')).to.deep.equal([0x10000 - 12345, 0xffff]);
    expect(encodeValue(100000, 'uint32', 1, 'high-first')).to.deep.equal([0x0001, 0x86a0]);
    expect(encodeValue(100000, 'uint32', 1, 'low-first')).to.deep.equal([0x86a0, 0x0001]);
    expect(encodeValue(undefined, 'uint32', 1, 'high-first')).to.deep.equal([0xffff, 0xffff]);
    // a 32-bit key takes two addresses and the next key starts after it
    const m = map({ devices: [{ topic: 'a', kind: 'jk-bms', keys: [{ key: 'current' }, { key: 'remainingCapacity' }, { key: 'soc' }] }] });
    expect(m.registers.filter((r) => r.slot === 1 && r.address >= 210).map((r) => [r.address, r.key, r.words])).to.deep.equal([
      [210, 'current', 2],
      [212, 'remainingCapacity', 2],
      [214, 'soc', 1],
    ]);
  });

  it('honours per-key scale and format overrides, custom paths, and objects keyed by number', () => {
    const m = map({
      devices: [
        { topic: 'x', kind: 'custom', keys: [{ key: 'strings[*].voltage', count: 2, scale: 10, format: 'uint16' }, { key: 'temp', format: 'int16', scale: 10 }] },
        { topic: 'j', kind: 'jupiter-hvdc', keys: [{ key: 'contacts', count: 3 }, { key: 'dcOutputVoltage', scale: 100, format: 'uint32' }] },
      ],
    });
    expect(m.problems).to.deep.equal([]);
    expect(m.registers.find((r) => r.address === 210)).to.include({ key: 'strings[*].voltage', index: 0, scale: 10 });
    expect(m.registers.find((r) => r.address === 410)).to.include({ key: 'contacts', index: 1, format: 'bool' });
    expect(m.registers.find((r) => r.address === 413)).to.include({ key: 'dcOutputVoltage', format: 'uint32', scale: 100, words: 2 });
    expect(valueAt({ contacts: { 1: true, 2: false } }, 'contacts[*]', 0, 1)).to.equal(true);
    expect(valueAt({ strings: [{ voltage: 1 }, { voltage: 2 }] }, 'strings[*].voltage', 1)).to.equal(2);
    expect(valueAt({ strings: 'no' }, 'strings[*].voltage', 1)).to.equal(undefined);
  });

  it('names what it leaves out instead of throwing: unknown keys, overflowing blocks, duplicate topics, bad JSON', () => {
    const m = map({
      blockSize: 100,
      devices: [
        { topic: 'a', kind: 'jk-bms', keys: [{ key: 'nonsense' }, { key: 'cellVoltages', count: 32 }, { key: 'cellResistances', count: 32 }, { key: 'soc' }] },
        { topic: 'c', kind: 'custom', keys: [{ key: 'a[*]', count: 80, format: 'uint16' }, { key: 'b[*]', count: 20, format: 'uint16' }, { key: 'soc', format: 'uint16' }, { key: 'bad path!' }] },
        { topic: 'a', kind: 'jk-bms', keys: [] },
        { kind: 'jk-bms' },
        42,
      ],
    });
    expect(m.problems.join('\n')).to.match(/nonsense/).and.match(/b\[\*\] needs 20 registers/).and.match(/bad path/).and.match(/listed twice/).and.match(/no topic/).and.match(/not an object/);
    expect(m.registers.find((r) => r.key === 'soc' && r.device === 'a')?.address).to.equal(174);
    expect(m.registers.find((r) => r.key === 'soc' && r.device === 'c')?.address).to.equal(290);
    expect(map({ devices: '{not json' }).problems).to.deep.equal(['devices: not valid JSON']);
    expect(map({ devices: 'nope', blockSize: 7 }).problems.length).to.equal(2);
  });

  it('exports CSV with one row per register and per bit, scale, format, word order and Modicon references', () => {
    const m = map({ devices: [{ ...PACK1, name: 'Pack, "one"' }] });
    const csv = mapCsv(m);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).to.equal(CSV_COLUMNS.join(','));
    expect(lines.length).to.equal(1 + m.registers.length + m.bits.length);
    expect(lines).to.include('IR/HR,210,300211/400211,1,uint16,,100,V,1,"Pack, ""one""",voltage,,voltage');
    expect(lines).to.include('IR/HR,211,300212/400212,2,int32,high-first,100,A,1,"Pack, ""one""",current,,current');
    expect(lines.some((l) => l.startsWith('DI/coil,110,100111/000111,1,bit'))).to.equal(true);
  });
});

describe('plc-bridge process image', () => {
  const m = map({ devices: [{ ...PACK1, staleTime: 10 }, PACK2] });

  it('encodes a device envelope into its block and marks quality, age and counters', () => {
    const image = new BridgeImage(m);
    const t0 = 1_700_000_000_000;
    expect(image.registers[200]).to.equal(4); // no data yet
    expect(image.bits[100]).to.equal(1);
    const outcome = image.update({ topic: 'bms/pack1', payload: { voltage: 53.21, current: -20.5, cellVoltages: [3.3, 3.301, 3.299] }, quality: 'good', timestamp: t0 }, t0);
    expect(outcome).to.equal('reading');
    expect(image.registers[200]).to.equal(0);
    expect(image.registers[202]).to.equal(1);
    expect(Array.from(image.registers.subarray(204, 206))).to.deep.equal([(t0 / 1000) >>> 16, (t0 / 1000) & 0xffff]);
    expect(image.registers[210]).to.equal(5321);
    expect(Array.from(image.registers.subarray(211, 213))).to.deep.equal([0xffff, 0x10000 - 2050]);
    expect(Array.from(image.registers.subarray(213, 217))).to.deep.equal([3300, 3301, 3299, 0xffff]);
    image.tick(t0 + 11_000, true);
    expect(image.registers[200]).to.equal(1); // stale after its 10 s
    expect(image.registers[201]).to.equal(11);
    expect(image.registers[2]).to.equal(1); // heartbeat
    expect(image.bits[100]).to.equal(1);
    image.update({ topic: 'bms/pack1', payload: {}, quality: 'comm_error', timestamp: t0 + 12_000 }, t0 + 12_000);
    expect(image.registers[200]).to.equal(2);
    expect(image.registers[210]).to.equal(5321); // last values kept, quality tells
    image.update({ topic: 'bms/pack1/voltage', payload: 54, quality: 'good', timestamp: t0 + 13_000 }, t0 + 13_000);
    expect(image.registers[210]).to.equal(5400);
    expect(image.registers[200]).to.equal(0);
  });

  it('counts and ignores messages of devices it does not serve', () => {
    const image = new BridgeImage(m);
    expect(image.update({ topic: 'bms/other', payload: { voltage: 1 } }, Date.now())).to.equal('ignored');
    expect(image.update(null, Date.now())).to.equal('ignored');
    expect(image.update({ topic: 'bms/pack1', payload: 'text' }, Date.now())).to.equal('ignored');
    expect(image.ignored).to.equal(3);
    expect(image.registers[210]).to.equal(0);
  });

  it('sets alarm bits from alarm-rules events (rule id over any index, rule/index) and device alarms', () => {
    const mm = map({ devices: [{ ...PACK1, alarms: [{ id: 'cellHigh' }, { id: 'cellLow/2' }, { id: 'overTemp' }] }] });
    const image = new BridgeImage(mm);
    const now = Date.now();
    const ev = (rule: string, index: number | null, state: string, active: boolean, acknowledged: boolean) => ({
      topic: `bms/pack1/${rule}${index === null ? '' : '/' + index}`,
      payload: { id: `bms/pack1/${rule}${index === null ? '' : '/' + index}`, rule, topic: 'bms/pack1', index, state, active, acknowledged, severity: 'major', value: 3.7 },
    });
    expect(image.update(ev('cellHigh', 3, 'active-unacknowledged', true, false), now)).to.equal('alarm');
    expect(image.bits[110]).to.equal(1);
    expect(image.bits[101]).to.equal(1);
    expect(image.bits[102]).to.equal(1);
    expect(image.registers[203]).to.equal(1);
    image.update(ev('cellLow', 1, 'active-unacknowledged', true, false), now);
    expect(image.bits[111]).to.equal(0); // cellLow/2 only
    image.update(ev('cellLow', 2, 'active-acknowledged', true, true), now);
    expect(image.bits[111]).to.equal(1);
    image.update(ev('cellHigh', 3, 'normal', false, true), now);
    expect(image.bits[110]).to.equal(0);
    image.update({ topic: 'bms/pack1', payload: { voltage: 50 }, quality: 'good', alarms: [{ id: 'overTemp', text: 'x', severity: 'major', since: now }] }, now);
    expect(image.bits[112]).to.equal(1);
    expect(image.registers[203]).to.equal(2);
    image.update({ topic: 'bms/pack1', payload: { voltage: 50, alarms: ['overTemp'] }, quality: 'good' }, now);
    expect(image.bits[112]).to.equal(1);
    image.update({ topic: 'bms/pack1', payload: { voltage: 50, alarms: [] }, quality: 'good', alarms: [] }, now);
    expect(image.bits[112]).to.equal(0);
    image.update({ topic: 'bms/pack1', payload: { voltage: 50 }, quality: 'good', alarms: [{ id: 'overTemp', text: 'x', severity: 'major', since: now }] }, now);
    image.tick(now);
    expect(image.bits[1]).to.equal(1);
    const bank = image.bank();
    expect(bank.readBits?.(2, 110, 3, 1)).to.deep.equal([false, true, true]);
    expect(bank.readRegisters?.(4, 199, 2, 1)).to.deep.equal([0, 0]);
    expect(bank.readRegisters?.(4, 399, 2, 1)).to.deep.equal({ exception: 2 });
  });
});

describe('plc-bridge bit-field keys', () => {
  const BACS = { topic: 'bacs/room1', kind: 'bacs', keys: [{ key: 'statusWord' }, { key: 'stringCount' }, { key: 'statusFlags' }], alarms: [{ id: 'cellHigh' }] };
  const statusBits = () => (KIND_KEYS.bacs.find((k) => k.key === 'statusFlags')?.bits ?? []);

  it('builds the BACS status bits from the bacs node table: communicationLost first, then every public flag in mask order', () => {
    const bits = statusBits();
    expect(bits.map((b) => b.name)).to.deep.equal(['communicationLost', ...STATUS_FLAGS.map((f) => f.id)]);
    expect(bits[0].test).to.deep.equal({ zero: true });
    STATUS_FLAGS.forEach((f, i) => expect(bits[i + 1].test).to.deep.equal({ mask: f.mask }));
    // texts are the bacs node's own messages, in both languages
    for (const b of bits) {
      const label = b.label as { i18n: string };
      const id = label.i18n.replace('@dcpower/node-red-nodes/bacs:bacs.flags.', '');
      expect(id, b.name).to.equal(b.name === 'communicationLost' ? COMMUNICATION_LOST.id : b.name);
      expect((BACS_EN.bacs.flags as Record<string, string>)[id], b.name).to.be.a('string').and.equal(b.english);
      expect((BACS_ZH.bacs.flags as Record<string, string>)[id], b.name).to.be.a('string');
    }
  });

  it('places a bit-field key after the alarms, one bit per named bit, and no register of its own', () => {
    const m = map({ devices: [BACS] });
    expect(m.problems).to.deep.equal([]);
    // registers: statusWord raw at 210, stringCount at 211, nothing more
    expect(m.registers.filter((r) => r.slot === 1 && r.address >= 210).map((r) => [r.address, r.key])).to.deep.equal([
      [210, 'statusWord'],
      [211, 'stringCount'],
    ]);
    const bit = (a: number) => m.bits.find((b) => b.address === a);
    expect(bit(110)?.key).to.equal('cellHigh');
    expect(bit(111)?.key).to.equal('statusFlags.communicationLost');
    expect(bit(112)?.key).to.equal('statusFlags.running');
    expect(bit(118)?.key).to.equal('statusFlags.floatCharging');
    expect(bit(125)?.key).to.equal('statusFlags.moduleSearching');
    expect(bit(126)).to.equal(undefined);
    expect(bit(112)?.label).to.deep.equal({ i18n: '@dcpower/node-red-nodes/bacs:bacs.flags.running' });
    expect(m.resolved.devices[0].keys).to.deep.equal([
      { key: 'statusWord', offset: 10 },
      { key: 'stringCount', offset: 11 },
      { key: 'statusFlags', bit: 11 },
    ]);
  });

  it('exports the bits with their names and meanings in the CSV', () => {
    const lines = mapCsv(map({ devices: [{ ...BACS, keys: [...BACS.keys, { key: 'alarmFlagBits' }] }] })).trim().split('\r\n');
    expect(lines).to.include('DI/coil,111,100112/000112,1,bit,,,,1,bacs/room1,statusFlags.communicationLost,,statusWord = 0x0000 BACS_STATE_NONE: web manager lost its internal communication (status 0x0000)');
    expect(lines).to.include('DI/coil,112,100113/000113,1,bit,,,,1,bacs/room1,statusFlags.running,,statusWord bit 0 (0x0001) BACS_STATE_RUNNING: system running');
    expect(lines).to.include('DI/coil,118,100119/000119,1,bit,,,,1,bacs/room1,statusFlags.floatCharging,,statusWord bit 6 (0x0040) BACS_STATE_FLOAT_CHARGING: float charge');
    // registers 1002 has no public table: numbered bits, labelled unnamed
    expect(lines).to.include('DI/coil,129,100130/000130,1,bit,,,,1,bacs/room1,alarmFlagBits.bit3,,alarmFlagsWord bit 3 (0x0008): unnamed (no public bit table)');
  });

  it('is stable: adding bit-field keys and raw words to a saved map moves no existing register or bit', () => {
    const saved = map({ devices: [PACK1, BACS, PACK2] }).resolved;
    const before = buildMap(JSON.parse(JSON.stringify(saved)) as BridgeConfig);
    const after = buildMap({
      ...saved,
      devices: [
        { ...saved.devices[0], keys: [...saved.devices[0].keys, { key: 'alarmFlags' }], alarms: [...saved.devices[0].alarms, { id: 'tempHigh' }] },
        { ...saved.devices[1], keys: [...saved.devices[1].keys, { key: 'batteryStatusWord' }, { key: 'alarmFlagsWord' }, { key: 'batteryStatusBits' }, { key: 'alarmFlagBits' }] },
        saved.devices[2],
      ],
    });
    expect(after.problems).to.deep.equal([]);
    const a = layout(after);
    for (const [address, what] of layout(before)) if (address < 2 || address > 9) expect(a.get(address), `register ${address}`).to.equal(what);
    const ab = bitLayout(after);
    for (const [address, what] of bitLayout(before)) expect(ab.get(address), `bit ${address}`).to.equal(what);
    // the new alarm takes the bit after the highest in use (after the status run), the new runs follow it
    expect(after.bits.find((b) => b.device === 'bms/pack1' && b.key === 'tempHigh')?.address).to.equal(112);
    expect(after.bits.find((b) => b.key === 'alarmFlags.wire-resistance')?.address).to.equal(113);
    expect(after.bits.find((b) => b.key === 'batteryStatusBits.bit0')?.address).to.equal(226);
    expect(after.bits.find((b) => b.key === 'alarmFlagBits.bit15')?.address).to.equal(257);
    expect(after.registers.find((r) => r.key === 'batteryStatusWord')?.address).to.equal(412);
    // removing the status run leaves a hole; a saved bit that overlaps another claim is moved and named
    const edited = buildMap({ ...after.resolved, devices: [after.resolved.devices[0], { ...after.resolved.devices[1], keys: after.resolved.devices[1].keys.filter((k) => k.key !== 'statusFlags') }, after.resolved.devices[2]] });
    expect(edited.bits.find((b) => b.key === 'alarmFlagBits.bit0')?.address).to.equal(242);
    expect(edited.bits.some((b) => b.address >= 211 && b.address <= 225)).to.equal(false);
    const clash = map({ devices: [{ ...BACS, keys: [{ key: 'statusFlags', bit: 10 }], alarms: [{ id: 'cellHigh', bit: 10 }] }] });
    expect(clash.problems.join('\n')).to.match(/statusFlags bits 10-24 overlap other bits/);
    expect(clash.bits.find((b) => b.key === 'statusFlags.communicationLost')?.address).to.equal(111);
    const tooMany = map({ devices: [{ ...BACS, keys: ['statusFlags', 'batteryStatusBits', 'alarmFlagBits', 'alarmFlagBits'].map((key) => ({ key })) }] });
    expect(tooMany.problems.join('\n')).to.match(/alarmFlagBits listed twice/);
    const full = map({ devices: [{ topic: 'jk', kind: 'jk-bms', keys: [{ key: 'alarmFlags' }], alarms: Array.from({ length: 60 }, (_, i) => ({ id: `a${i}` })) }] });
    expect(full.problems.join('\n')).to.match(/alarmFlags needs 36 bits, only 30 left/);
  });

  it('sets the status bits to the set flags of the word; 0x0000 sets only communicationLost and makes the quality comm_error', () => {
    const m = map({ devices: [BACS] });
    const image = new BridgeImage(m);
    const now = Date.now();
    const flagBits = () => Array.from(image.bits.subarray(111, 126));
    const expected = (word: number) => [word === 0 ? 1 : 0, ...STATUS_FLAGS.map((f) => ((word & f.mask) !== 0 ? 1 : 0))];
    for (const word of [0x0041, 0x0001 | 0x0008 | 0x0200, 0x3fff, 0xc001]) {
      image.update({ topic: 'bacs/room1', payload: { statusWord: word, status: [] }, quality: 'good' }, now);
      expect(flagBits(), `0x${word.toString(16)}`).to.deep.equal(expected(word));
      expect(image.registers[210]).to.equal(word);
      expect(image.registers[200]).to.equal(0);
      expect(image.bits[100]).to.equal(0);
    }
    // the bacs node sends comm_error itself; a flow that does not (or per-value mode) gets the same quality here
    image.update({ topic: 'bacs/room1', payload: { statusWord: 0 }, quality: 'good' }, now);
    expect(flagBits()).to.deep.equal(expected(0));
    expect(flagBits()[0]).to.equal(1);
    expect(image.registers[200]).to.equal(QUALITY_CODES.comm_error);
    expect(image.bits[100]).to.equal(1);
    image.tick(now);
    expect(image.registers[200]).to.equal(QUALITY_CODES.comm_error);
    expect(image.registers[4]).to.equal(0); // devices good
    image.update({ topic: 'bacs/room1/statusWord', payload: 0x0011 }, now);
    expect(flagBits()).to.deep.equal(expected(0x0011));
    expect(image.registers[200]).to.equal(0);
    image.update({ topic: 'bacs/room1/statusWord', payload: 0 }, now);
    expect(image.registers[200]).to.equal(QUALITY_CODES.comm_error);
    // a worse quality the sender gave is kept
    image.update({ topic: 'bacs/room1', payload: { statusWord: 0 }, quality: 'bad_data' }, now);
    expect(image.registers[200]).to.equal(QUALITY_CODES.bad_data);
    // no word (or not a number): every flag off, the raw register says "not reported"
    image.update({ topic: 'bacs/room1', payload: { stringCount: 2 }, quality: 'good' }, now);
    expect(flagBits()).to.deep.equal(new Array(15).fill(0));
    expect(image.registers[210]).to.equal(0xffff);
    image.update({ topic: 'bacs/room1', payload: { statusWord: '65' }, quality: 'good' }, now);
    expect(flagBits()).to.deep.equal(new Array(15).fill(0));
    // flag bits are no alarm bits: a PLC cannot acknowledge them
    expect(image.acknowledge(112, [true])).to.deep.equal({ exception: 2 });
  });

  it('serves the JK alarm ids of a reading as bits, the same on every JK protocol', () => {
    const m = map({ devices: [{ topic: 'bms/pack1', kind: 'jk-bms', keys: [{ key: 'alarmFlags' }], alarms: [] }] });
    expect(m.problems).to.deep.equal([]);
    const addressOf = (id: string) => m.bits.find((b) => b.key === `alarmFlags.${id}`)?.address ?? -1;
    expect(m.bits.filter((b) => b.key.startsWith('alarmFlags.')).length).to.equal(JK_ALARMS.length);
    expect(m.bits.find((b) => b.key === 'alarmFlags.cell-over-voltage')?.label).to.deep.equal({ text: { 'en-US': 'Cell over-voltage', 'zh-CN': '单体过压' } });
    const image = new BridgeImage(m);
    image.update({ topic: 'bms/pack1', payload: { voltage: 50, alarms: ['cell-over-voltage', 'low-capacity'] }, quality: 'good' }, Date.now());
    const on = m.bits.filter((b) => b.slot === 1 && image.bits[b.address] === 1).map((b) => b.key);
    expect(on).to.deep.equal(['alarmFlags.cell-over-voltage', 'alarmFlags.low-capacity']);
    expect(addressOf('wire-resistance')).to.equal(110);
    image.update({ topic: 'bms/pack1', payload: { voltage: 50, alarms: [] }, quality: 'good' }, Date.now());
    expect(image.bits[addressOf('cell-over-voltage')]).to.equal(0);
  });
});
