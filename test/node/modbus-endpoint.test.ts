import { expect } from 'chai';
import type { ModbusLink } from '../../lib/modbus/link';
import { ModbusTcpServer } from '../../lib/modbus/server';
import { helper, startServer, stopServer } from './red-helper';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const endpointNode = require('../../nodes/links/modbus-endpoint');

describe('modbus-endpoint config node (Node-RED runtime)', function () {
  this.timeout(20000);
  let server: ModbusTcpServer;
  let port: number;

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    server = new ModbusTcpServer({
      port: 0,
      bank: {
        readRegisters: (_fc, address, count) => Array.from({ length: count }, (_, i) => address + i),
        readBits: (_fc, address, count) => Array.from({ length: count }, (_, i) => (address + i) % 3 === 0),
      },
    });
    port = await server.listen();
  });
  afterEach(async () => {
    await helper.unload();
    await server.close();
  });

  it('loads with its settings and serves readRegisters, readBits and readPlan to user nodes', async () => {
    await helper.load(endpointNode, [
      { id: 'ep1', type: 'modbus-endpoint', host: '127.0.0.1', port: String(port), unitId: '3', timeout: '1500', functionCode: '4', addressing: '0', reconnectMs: '200', reconnectMaxMs: '1000', maxGap: '-1' },
    ]);
    const link = helper.getNode('ep1') as unknown as ModbusLink;
    expect(link.settings).to.include({ host: '127.0.0.1', port, unitId: 3, timeoutMs: 1500, functionCode: 4, addressing: 0 });
    const user = { id: 'user1' };
    link.register(user);
    expect(await link.readRegisters(1003, 2)).to.deep.equal([1003, 1004]);
    expect(await link.readBits(2, 0, 4)).to.deep.equal([true, false, false, true]);
    const plan = await link.readPlan([{ address: 1000, count: 5 }, { address: 1010, count: 20 }]);
    expect(plan.requests).to.equal(1);
    expect(plan.snapshot.get(1029)).to.equal(1029);
    expect(server.connections).to.equal(1);
    await link.deregister(user);
    expect(link.state).to.equal('idle');
  });

  it('falls back to defaults for missing or bad fields', async () => {
    await helper.load(endpointNode, [{ id: 'ep1', type: 'modbus-endpoint', host: '', port: 'x', unitId: '', timeout: '-5' }]);
    const link = helper.getNode('ep1') as unknown as ModbusLink;
    expect(link.settings).to.include({ host: '127.0.0.1', port: 502, unitId: 1, timeoutMs: 50, functionCode: 3, addressing: 0, maxGap: -1 });
  });

  it('closes its connection on redeploy', async () => {
    await helper.load(endpointNode, [{ id: 'ep1', type: 'modbus-endpoint', host: '127.0.0.1', port: String(port), unitId: '1', timeout: '1000' }]);
    const link = helper.getNode('ep1') as unknown as ModbusLink;
    link.register({ id: 'u' });
    await link.readRegisters(1, 1);
    expect(server.connections).to.equal(1);
    await helper.unload();
    await new Promise((r) => setTimeout(r, 100));
    expect(server.connections).to.equal(0);
  });
});
