/**
 * The PLC bridge read by clients this package did not write: Debian's mbpoll and python3-pymodbus (Debian's
 * /usr/bin/python3, not the first python3 on PATH; pymodbus 3.0 API: `slave=`). Both must get the values the
 * node was fed, scaled as the map states; writes must be refused while the bridge is read-only. The BACS
 * status word's flags, served as discrete inputs, must be the set flags of the word the same tool reads.
 */
import { expect } from 'chai';
import { execFile } from 'child_process';
import * as net from 'net';
import { promisify } from 'util';
import { freeTcpPort, waitFor } from '../helpers/ports';
import { helper, startServer, stopServer } from '../node/red-helper';
import { buildMap, parseConfig } from '../../nodes/plc-bridge/map';
import { decodeStatusWord, STATUS_FLAGS } from '../../nodes/bacs/registers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const bridgeNode = require('../../nodes/plc-bridge/plc-bridge');
const run = promisify(execFile);

const DEVICES = [
  {
    topic: 'bms/pack1',
    kind: 'jk-bms',
    keys: [{ key: 'voltage' }, { key: 'current' }, { key: 'soc' }, { key: 'cellVoltages', count: 4 }, { key: 'mosTemperature' }, { key: 'chargeEnabled' }],
    alarms: [{ id: 'cellHigh' }, { id: 'cellLow' }],
  },
  { topic: 'hvdc/unit1', kind: 'jupiter-hvdc', keys: [{ key: 'dcOutputVoltage' }, { key: 'batteryCurrent' }, { key: 'contacts', count: 3 }], alarms: [{ id: 'acFail' }] },
  // slot 3: the raw status word at 610, its flags as discrete inputs 310-324 (communicationLost, then bit 0..13)
  { topic: 'bacs/room', kind: 'bacs', keys: [{ key: 'statusWord' }, { key: 'statusFlags' }], alarms: [] },
];
const STATUS_WORD = 0x0001 | 0x0040 | 0x0200; // running, float charging, a block voltage out of range
const STATUS_BITS = 310;
const STATUS_COUNT = STATUS_FLAGS.length + 1;
/** the flag ids of a run of status bits read back */
const flagNames = (bits: Array<number | boolean>): string[] => ['internalCommunicationLost', ...STATUS_FLAGS.map((f) => f.id)].filter((_, i) => bits[i] === 1 || bits[i] === true);
const READING = { voltage: 53.21, current: -12.34, soc: 87, cellVoltages: [3.325, 3.327, 3.331, 3.322], mosTemperature: -3.4, chargeEnabled: true };
const HVDC = { dcOutputVoltage: 240.7, batteryCurrent: 123.4, contacts: { 1: true, 2: false, 3: true } };

/** What the map says each address must hold for READING and HVDC, computed from the fed values. */
const s16 = (v: number): number => (v < 0 ? v + 0x10000 : v);
const EXPECTED = new Map<number, number>([
  [200, 0],
  [210, 5321],
  [211, 0xffff],
  [212, s16(-1234)],
  [213, 87],
  [214, 3325],
  [215, 3327],
  [216, 3331],
  [217, 3322],
  [218, s16(-34)],
  [219, 1],
  [400, 0],
  [410, 2407],
  [411, 0],
  [412, 1234],
  [413, 1],
  [414, 0],
  [415, 1],
]);

function flow(port: number): object[] {
  return [
    { id: 'tab1', type: 'tab' },
    { id: 'b1', z: 'tab1', type: 'dcpower-plc-bridge', host: '127.0.0.1', port, unitId: 1, blockSize: 200, wordOrder: 'high-first', devices: DEVICES },
  ];
}

/** mbpoll: -t 3 input registers (FC4), -t 4 holding (FC3), -t 1 discrete inputs, -t 0 coils; -0 = PDU addresses */
async function mbpoll(port: number, type: string, address: number, count: number, extra: string[] = []): Promise<Map<number, number>> {
  const { stdout } = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-t', type, '-0', '-1', '-o', '3', '-r', String(address), '-c', String(count), '-p', String(port), ...extra, '127.0.0.1'], { timeout: 20000 });
  const values = new Map<number, number>();
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)) values.set(Number(m[1]), Number(m[2]));
  return values;
}

interface PyResult {
  input: Record<string, number>;
  holding: Record<string, number>;
  discrete: boolean[];
  coils: boolean[];
  statusWord: number;
  statusInputs: boolean[];
  statusCoils: boolean[];
  current: number;
  writeRegister: number | null;
  writeCoil: number | null;
  writeRegisters: number | null;
}

async function pymodbus(port: number): Promise<PyResult> {
  const script = `
import json, sys
from pymodbus.client import ModbusTcpClient
from pymodbus.payload import BinaryPayloadDecoder
from pymodbus.constants import Endian
c = ModbusTcpClient("127.0.0.1", port=${port}, timeout=3)
assert c.connect()
out = {"input": {}, "holding": {}}
for base in (200, 400):
    r = c.read_input_registers(base, 20, slave=1)
    assert not r.isError(), str(r)
    for i, v in enumerate(r.registers): out["input"][str(base + i)] = v
    r = c.read_holding_registers(base, 20, slave=1)
    assert not r.isError(), str(r)
    for i, v in enumerate(r.registers): out["holding"][str(base + i)] = v
r = c.read_discrete_inputs(100, 12, slave=1)
out["discrete"] = list(r.bits[:12])
r = c.read_coils(100, 12, slave=1)
out["coils"] = list(r.bits[:12])
out["statusWord"] = c.read_input_registers(610, 1, slave=1).registers[0]
r = c.read_discrete_inputs(${STATUS_BITS}, ${STATUS_COUNT}, slave=1)
assert not r.isError(), str(r)
out["statusInputs"] = list(r.bits[:${STATUS_COUNT}])
out["statusCoils"] = list(c.read_coils(${STATUS_BITS}, ${STATUS_COUNT}, slave=1).bits[:${STATUS_COUNT}])
r = c.read_input_registers(211, 2, slave=1)
out["current"] = BinaryPayloadDecoder.fromRegisters(r.registers, byteorder=Endian.Big, wordorder=Endian.Big).decode_32bit_int()
def code(r):
    return getattr(r, "exception_code", None) if r.isError() else None
out["writeRegister"] = code(c.write_register(210, 1, slave=1))
out["writeCoil"] = code(c.write_coil(110, True, slave=1))
out["writeRegisters"] = code(c.write_registers(210, [1, 2], slave=1))
c.close()
print(json.dumps(out))
`;
  const { stdout } = await run('/usr/bin/python3', ['-c', script], { timeout: 30000 });
  return JSON.parse(stdout) as PyResult;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('plc-bridge read by mbpoll and python3-pymodbus', function () {
  this.timeout(120_000);
  let port: number;

  before(async () => {
    await startServer();
    port = await freeTcpPort();
    await helper.load(bridgeNode, flow(port));
    const bridge = helper.getNode('b1');
    bridge?.receive({ topic: 'bms/pack1', payload: READING, quality: 'good', timestamp: Date.now() });
    bridge?.receive({ topic: 'hvdc/unit1', payload: HVDC, quality: 'good', timestamp: Date.now(), alarms: [{ id: 'acFail', text: 'AC fail', severity: 'major', since: Date.now() }] });
    bridge?.receive({ topic: 'bacs/room', payload: { status: decodeStatusWord(STATUS_WORD).flags, statusWord: STATUS_WORD, stringCount: 1 }, quality: 'good', timestamp: Date.now(), alarms: [] });
    bridge?.receive({ topic: 'bms/pack1/cellLow/4', payload: { id: 'bms/pack1/cellLow/4', rule: 'cellLow', topic: 'bms/pack1', index: 4, state: 'active-acknowledged', active: true, acknowledged: true, severity: 'minor', value: 3.322 } });
    await waitFor(async () => (await mbpoll(port, '3', 210, 1)).get(210) === 5321, 20_000, 'bridge serving');
  });
  after(async () => {
    await helper.unload();
    await stopServer();
  });

  it('the map itself states the addresses, scales and formats this test expects', () => {
    const parsed = parseConfig({ devices: DEVICES });
    const m = buildMap(parsed.config);
    expect(m.registers.find((r) => r.address === 211)).to.include({ key: 'current', format: 'int32', scale: 100, words: 2 });
    expect(m.registers.find((r) => r.address === 411)).to.include({ key: 'batteryCurrent', format: 'int32', scale: 10 });
    expect(m.bits.find((b) => b.address === 111)).to.include({ key: 'cellLow' });
    expect(m.registers.find((r) => r.address === 610)).to.include({ key: 'statusWord', format: 'uint16' });
    expect(m.bits.find((b) => b.address === STATUS_BITS)).to.include({ key: 'statusFlags.communicationLost' });
    expect(m.bits.find((b) => b.address === STATUS_BITS + 1)).to.include({ key: 'statusFlags.running' });
    expect(m.bits.find((b) => b.address === STATUS_BITS + STATUS_COUNT - 1)).to.include({ key: 'statusFlags.moduleSearching' });
  });

  it('mbpoll -t 1 reads the BACS status flags as discrete inputs: the set flags of the word it reads at 610; 0x0000 is communication lost', async () => {
    const word = (await mbpoll(port, '3', 610, 1)).get(610) ?? NaN;
    expect(word & 0xffff).to.equal(STATUS_WORD);
    const inputs = [...(await mbpoll(port, '1', STATUS_BITS, STATUS_COUNT)).values()];
    expect(inputs.length).to.equal(STATUS_COUNT);
    expect(flagNames(inputs)).to.deep.equal(decodeStatusWord(word & 0xffff).flags);
    expect(flagNames(inputs)).to.deep.equal(['running', 'floatCharging', 'voltageOutOfRange']);
    expect([...(await mbpoll(port, '0', STATUS_BITS, STATUS_COUNT)).values()]).to.deep.equal(inputs);
    const bridge = helper.getNode('b1');
    bridge?.receive({ topic: 'bacs/room', payload: { status: ['internalCommunicationLost'], statusWord: 0 }, quality: 'good', timestamp: Date.now() });
    await waitFor(async () => (await mbpoll(port, '3', 610, 1)).get(610) === 0, 20_000, 'status word 0 served');
    expect(flagNames([...(await mbpoll(port, '1', STATUS_BITS, STATUS_COUNT)).values()])).to.deep.equal(['internalCommunicationLost']);
    expect((await mbpoll(port, '3', 600, 1)).get(600)).to.equal(2); // quality comm_error
    expect([...(await mbpoll(port, '1', 300, 1)).values()]).to.deep.equal([1]); // data not good
    bridge?.receive({ topic: 'bacs/room', payload: { status: decodeStatusWord(STATUS_WORD).flags, statusWord: STATUS_WORD }, quality: 'good', timestamp: Date.now() });
    await waitFor(async () => (await mbpoll(port, '3', 610, 1)).get(610) === STATUS_WORD, 20_000, 'status word restored');
  });

  it('mbpoll reads the fed values from input and holding registers, 32-bit pairs high word first, and the alarm bits', async () => {
    for (const type of ['3', '4']) {
      const regs = new Map([...(await mbpoll(port, type, 200, 20)), ...(await mbpoll(port, type, 400, 16))]);
      for (const [address, want] of EXPECTED) {
        // mbpoll prints 16-bit registers signed
        expect((regs.get(address) ?? NaN) & 0xffff, `-t ${type} register ${address}`).to.equal(want);
      }
    }
    expect((await mbpoll(port, '3:int', 211, 1, ['-B'])).get(211)).to.equal(-1234);
    expect((await mbpoll(port, '4:int', 411, 1, ['-B'])).get(411)).to.equal(1234);
    for (const type of ['1', '0']) {
      const bits = await mbpoll(port, type, 100, 12);
      expect([...bits.values()], `-t ${type}`).to.deep.equal([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    }
    expect([...(await mbpoll(port, '1', 200, 11)).values()]).to.deep.equal([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('mbpoll writes are refused with "Illegal function" and change nothing', async () => {
    const write = run('mbpoll', ['-m', 'tcp', '-a', '1', '-t', '4', '-0', '-1', '-o', '3', '-r', '210', '-p', String(port), '127.0.0.1', '42'], { timeout: 20000 });
    const outcome = await write.then(
      (r) => r.stdout + r.stderr,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    expect(outcome).to.match(/illegal function/i);
    expect((await mbpoll(port, '4', 210, 1)).get(210)).to.equal(5321);
  });

  it('python3-pymodbus reads the same values, decodes the 32-bit current, and gets exception 1 for every write', async () => {
    const py = await pymodbus(port);
    for (const [address, want] of EXPECTED) {
      expect(py.input[String(address)], `input register ${address}`).to.equal(want);
      expect(py.holding[String(address)], `holding register ${address}`).to.equal(want);
    }
    expect(py.current).to.equal(-1234);
    expect(py.discrete).to.deep.equal([false, true, false, false, false, false, false, false, false, false, false, true]);
    expect(py.coils).to.deep.equal(py.discrete);
    expect(py.statusWord).to.equal(STATUS_WORD);
    expect(py.statusInputs.length).to.equal(STATUS_COUNT);
    expect(flagNames(py.statusInputs)).to.deep.equal(decodeStatusWord(py.statusWord).flags);
    expect(py.statusCoils).to.deep.equal(py.statusInputs);
    expect([py.writeRegister, py.writeCoil, py.writeRegisters]).to.deep.equal([1, 1, 1]);
  });

  it('a redeploy keeps serving on the same port and removal frees it', async () => {
    await helper.setFlows(flow(port), 'nodes');
    const bridge = helper.getNode('b1');
    bridge?.receive({ topic: 'bms/pack1', payload: { ...READING, voltage: 50 }, quality: 'good' });
    await waitFor(async () => (await mbpoll(port, '3', 210, 1)).get(210) === 5000, 20_000, 'served after redeploy');
    await helper.unload();
    expect(await portFree(port)).to.equal(true);
    const refused = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-t', '3', '-0', '-1', '-r', '0', '-p', String(port), '127.0.0.1'], { timeout: 20000 }).then(
      () => false,
      () => true,
    );
    expect(refused).to.equal(true);
  });
});

describe('plc-bridge in acknowledge mode against hostile clients, checked by mbpoll and python3-pymodbus', function () {
  this.timeout(60_000);
  let port: number;

  before(async () => {
    await startServer();
    port = await freeTcpPort();
    const f = flow(port);
    Object.assign(f[1], { allowAck: true, requestTimeout: 60 });
    await helper.load(bridgeNode, f);
    await waitFor(async () => (await mbpoll(port, '3', 0, 1)).get(0) === 1, 20_000, 'bridge serving');
  });
  after(async () => {
    await helper.unload();
    await stopServer();
  });

  it('mbpoll is served while 32 idle connections that each sent 7 header bytes hold every place', async () => {
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 32; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        sockets.push(s);
        await new Promise((r) => s.once('connect', r));
        s.write(Buffer.from([0, 1, 0, 0, 0, 6, 1]));
      }
      expect((await mbpoll(port, '3', 0, 2)).get(0)).to.equal(1);
      // mbpoll's place came from the oldest squatter
      await waitFor(() => sockets[0].destroyed, 5000, 'oldest squatter closed');
      expect(sockets.filter((s) => s.destroyed).length).to.equal(1);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('pymodbus gets exception 3 for an FC05 value other than 0xFF00/0x0000 and for an FC15 whose count does not match its byte count; 1 for register writes', async () => {
    const script = `
import json, struct
from pymodbus.client import ModbusTcpClient
from pymodbus.bit_write_message import WriteSingleCoilRequest, WriteMultipleCoilsRequest
from pymodbus.register_write_message import WriteMultipleRegistersRequest
class OddCoil(WriteSingleCoilRequest):
    def encode(self): return struct.pack(">HH", self.address, 0x1234)
class ShortCoils(WriteMultipleCoilsRequest):
    def encode(self): return struct.pack(">HHB", self.address, 9, 1) + b"\\xff"
class ShortRegisters(WriteMultipleRegistersRequest):
    def encode(self): return struct.pack(">HHBH", self.address, 2, 2, 1)
c = ModbusTcpClient("127.0.0.1", port=${port}, timeout=3)
assert c.connect()
def code(r):
    return getattr(r, "exception_code", None) if r.isError() else None
out = {
    "oddCoil": code(c.execute(OddCoil(110, True, unit=1))),
    "shortCoils": code(c.execute(ShortCoils(110, [True] * 9, unit=1))),
    "shortRegisters": code(c.execute(ShortRegisters(210, [1, 2], unit=1))),
    "goodCoil": code(c.write_coil(110, True, slave=1)),
    "goodCoils": code(c.write_coils(110, [True, False], slave=1)),
}
c.close()
print(json.dumps(out))
`;
    const { stdout } = await run('/usr/bin/python3', ['-c', script], { timeout: 30000 });
    expect(JSON.parse(stdout)).to.deep.equal({ oddCoil: 3, shortCoils: 3, shortRegisters: 1, goodCoil: null, goodCoils: null });
  });
});
