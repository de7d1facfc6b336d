/**
 * The snmp-endpoint link in a real Node-RED runtime (node-red-node-test-helper): credentials from the
 * credential store, polls through the link's SnmpEndpoint interface, the walk admin endpoint, settings errors,
 * and close releasing every socket.
 */
import { expect } from 'chai';
import * as dgram from 'dgram';
import { JupiterUnit } from '../../nodes/jupiter-hvdc/simulator';
import type { SnmpEndpoint } from '../../lib/snmp/types';
import { freeUdpPort, waitFor } from '../helpers/ports';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const helper = require('node-red-node-test-helper') as {
  init(path: string, settings?: object): void;
  startServer(done: () => void): void;
  stopServer(done: () => void): void;
  load(nodes: unknown, flow: object[], credentials?: object): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): unknown;
  request(): { post(url: string): { send(body: object): { expect(code: number): Promise<{ body: unknown }> } } };
};
// eslint-disable-next-line @typescript-eslint/no-var-requires
const endpointNode = require('../../nodes/links/snmp-endpoint');

helper.init(require.resolve('node-red'));

const V3 = { name: 'linkuser', level: 'authPriv' as const, authProtocol: 'sha512' as const, authKey: 'link-auth-key', privProtocol: 'aes256b' as const, privKey: 'link-priv-key' };

describe('snmp-endpoint in a Node-RED runtime', function () {
  this.timeout(30000);
  let unit: JupiterUnit;
  let port: number;

  before(async () => {
    await new Promise<void>((r) => helper.startServer(r));
    port = await freeUdpPort();
    unit = new JupiterUnit({ port, communities: ['secret-ro'], users: [V3] });
    await unit.start();
  });
  after(async () => {
    await unit.stop();
    await new Promise<void>((r) => helper.stopServer(r));
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('v2c with the community as a credential: reads a unit through the link and walks it', async () => {
    const flow = [{ id: 'link1', type: 'snmp-endpoint', name: 'racks', targets: `127.0.0.1:${port}`, port: 161, version: 'v2c' }];
    await helper.load(endpointNode, flow, { link1: { community: 'secret-ro' } });
    const link = helper.getNode('link1') as SnmpEndpoint & { credentials: { community?: string } };
    expect(link.credentials.community).to.equal('secret-ro');
    expect(link.configError).to.equal(undefined);
    expect(link.targets()).to.deep.equal([{ host: '127.0.0.1', port }]);
    expect(link.targetName(link.targets()[0])).to.equal(`127.0.0.1:${port}`);
    link.register({ id: 'user1' });
    const [voltage, missing] = await link.get(link.targets()[0], ['1.3.6.1.2.1.33.1.2.5.0', '1.3.6.1.2.1.33.1.2.77.0']);
    expect(voltage.value).to.equal(2415);
    expect(missing.error).to.equal('noSuchObject');
    const rows = await link.walk(link.targets()[0], '1.3.6.1.2.1.99.1.1.1.4');
    expect(rows).to.have.length(6);
    link.deregister({ id: 'user1' });
  });

  it('v3 authPriv SHA-512 / AES-256 with the keys as credentials', async () => {
    const flow = [
      { id: 'link3', type: 'snmp-endpoint', targets: `127.0.0.1:${port}`, port: 161, version: 'v3', user: V3.name, securityLevel: 'authPriv', authProtocol: 'sha512', privProtocol: 'aes256b' },
    ];
    await helper.load(endpointNode, flow, { link3: { authKey: V3.authKey, privKey: V3.privKey } });
    const link = helper.getNode('link3') as SnmpEndpoint;
    const [name] = await link.get(link.targets()[0], ['1.3.6.1.2.1.1.5.0']);
    expect(String(name.value)).to.equal('jupiter-1');
  });

  it('a bad unit list or a v3 link without keys is a settings error, reported once, and polls are refused', async () => {
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'bad1', type: 'snmp-endpoint', targets: '10.0.0.9-10.0.0.1', port: 161, version: 'v2c' },
      { id: 'bad3', type: 'snmp-endpoint', targets: '127.0.0.1', port: 161, version: 'v3', user: 'x', securityLevel: 'authPriv' },
    ];
    await helper.load(endpointNode, flow, {});
    const bad1 = helper.getNode('bad1') as SnmpEndpoint & { error: { called: boolean } };
    const bad3 = helper.getNode('bad3') as SnmpEndpoint & { error: { called: boolean } };
    expect(bad1.configError).to.match(/10\.0\.0\.9-10\.0\.0\.1/);
    expect(bad3.configError).to.match(/auth key/);
    expect(bad1.error.called).to.equal(true);
    const err = await bad3.get({ host: '127.0.0.1', port: 161 }, ['1.3.6.1.2.1.1.1.0']).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/auth key/);
  });

  it('POST /dcpower/snmp/targets lists the units a target list expands to, in the order the link polls them', async () => {
    await helper.load(endpointNode, []);
    const res = await helper.request().post('/dcpower/snmp/targets').send({ targets: '10.0.0.9, 127.0.0.1:16161-16162 10.0.0.1-2', port: 161 }).expect(200);
    expect((res.body as { units: unknown[] }).units).to.deep.equal([
      { name: '10.0.0.9', address: '10.0.0.9:161' },
      { name: '127.0.0.1:16161', address: '127.0.0.1:16161' },
      { name: '127.0.0.1:16162', address: '127.0.0.1:16162' },
      { name: '10.0.0.1', address: '10.0.0.1:161' },
      { name: '10.0.0.2', address: '10.0.0.2:161' },
    ]);
    const bad = await helper.request().post('/dcpower/snmp/targets').send({ targets: '10.0.0.5-10.0.0.1', port: 161 }).expect(400);
    expect((bad.body as { error: string }).error).to.match(/10\.0\.0\.5-10\.0\.0\.1/);
  });

  it('POST /dcpower/snmp/walk walks one unit through a deployed link and returns rows', async () => {
    const flow = [{ id: 'linkw', type: 'snmp-endpoint', targets: `127.0.0.1:${port}`, port: 161, version: 'v2c' }];
    await helper.load(endpointNode, flow, { linkw: { community: 'secret-ro' } });
    const res = await helper.request().post('/dcpower/snmp/walk').send({ id: 'linkw', target: `127.0.0.1:${port}`, root: '1.3.6.1.2.1.1' }).expect(200);
    const body = res.body as { rows: Array<{ oid: string; type: string; value: unknown }> };
    const descr = body.rows.find((r) => r.oid === '1.3.6.1.2.1.1.1.0');
    expect(descr?.type).to.equal('OctetString');
    expect(String(descr?.value)).to.contain('Jupiter');
    expect(body.rows.find((r) => r.oid === '1.3.6.1.2.1.1.2.0')?.value).to.equal('1.3.6.1.4.1.32473.240');
  });

  it('POST /dcpower/snmp/walk with dialog settings for a link not deployed yet, and refuses a bad target', async () => {
    await helper.load(endpointNode, [], {});
    const res = await helper
      .request()
      .post('/dcpower/snmp/walk')
      .send({ target: `127.0.0.1:${port}`, root: '1.3.6.1.4.1.32473', version: 'v3', user: V3.name, securityLevel: 'authPriv', authProtocol: 'sha512', privProtocol: 'aes256b', credentials: { authKey: V3.authKey, privKey: V3.privKey } })
      .expect(200);
    expect((res.body as { rows: unknown[] }).rows.length).to.be.at.least(14);
    await helper.request().post('/dcpower/snmp/walk').send({ target: 'not a host!' }).expect(400);
  });

  it('traps reach the listeners of a link with the receiver on, and close frees the trap port', async () => {
    const trapPort = await freeUdpPort();
    const flow = [{ id: 'linkt', type: 'snmp-endpoint', targets: `127.0.0.1:${port}`, port: 161, version: 'v2c', trapEnabled: true, trapPort, trapAddress: '127.0.0.1' }];
    await helper.load(endpointNode, flow, { linkt: { community: 'secret-ro' } });
    const link = helper.getNode('linkt') as SnmpEndpoint;
    const traps: string[] = [];
    link.onTrap((t) => traps.push(`${t.target?.port}:${t.trapOid}`));
    const sender = new JupiterUnit({ port: await freeUdpPort(), trap: { host: '127.0.0.1', port: trapPort, version: 'v2c', community: 'secret-ro' } });
    await sender.start();
    try {
      sender.setScenario('rectifier-fault');
      await waitFor(() => traps.length > 0, 10000, 'a trap');
      expect(traps[0]).to.match(/1\.3\.6\.1\.2\.1\.33\.2\.3$/);
    } finally {
      await sender.stop();
    }
    await helper.unload();
    // the port is free again after close
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(trapPort, '127.0.0.1', () => resolve());
    });
    s.close();
  });
});
