/**
 * Who may call the package's admin endpoints, in a real Node-RED with adminAuth and two users: `admin` ('*')
 * and `viewer` (Node-RED's `read` role). Endpoints that send packets from the Node-RED host or spend a link's
 * stored credentials need a write permission; the dialog helpers that only read tables stay open to `read`.
 * The walk endpoint walks a link's own unit with the stored community and nothing else.
 */
import { expect } from 'chai';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as path from 'path';
import { JupiterUnit } from '../../nodes/jupiter-hvdc/simulator';
import { freeUdpPort, waitFor } from '../helpers/ports';
import { RedProcess, RedUser, startRedProcess } from '../helpers/red-process';

const ADMIN: RedUser = { username: 'admin', password: 'admin-pass-1', permissions: '*' };
const VIEWER: RedUser = { username: 'viewer', password: 'viewer-pass-1', permissions: 'read' };
const LINK_COMMUNITY = 'link-s3cret';
const OTHER_COMMUNITY = 'other-s3cret';

/**
 * Every admin endpoint the package registers, and whether it sends packets or spends stored credentials.
 * A new endpoint fails the first test until it is listed here (with that decision made).
 */
const ENDPOINTS: Array<{ method: 'GET' | 'POST'; path: string; spends: boolean; body?: object }> = [
  { method: 'POST', path: '/dcpower/snmp/walk', spends: true },
  { method: 'GET', path: '/dcpower/serial-ports', spends: false },
  { method: 'POST', path: '/dcpower/snmp/targets', spends: false, body: { targets: '127.0.0.1:16161-16163' } },
  { method: 'GET', path: '/dcpower/alarm-rules/presets', spends: false },
  { method: 'POST', path: '/jupiter-hvdc/profile/validate', spends: false, body: { profile: {} } },
  { method: 'GET', path: '/jupiter-hvdc/catalogue', spends: false },
  { method: 'GET', path: '/jupiter-hvdc/profile/default', spends: false },
  { method: 'GET', path: '/dcpower/plc-bridge/:id/map', spends: false },
  { method: 'POST', path: '/dcpower/plc-bridge/map', spends: false, body: {} },
  { method: 'GET', path: '/dcpower/plc-bridge/keys', spends: false },
];

/** the admin routes in the built node files */
function registeredRoutes(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) {
        const source = fs.readFileSync(full, 'utf8');
        for (const m of source.matchAll(/httpAdmin\.(get|post|put|delete)\(['"`]([^'"`]+)['"`]/g)) found.push(`${m[1].toUpperCase()} ${m[2]}`);
      }
    }
  };
  walk(path.resolve(__dirname, '..', '..', 'nodes'));
  return found.sort();
}

describe('admin endpoint permissions (Node-RED with adminAuth)', function () {
  this.timeout(120_000);
  let red: RedProcess;
  let unit: JupiterUnit;
  let other: JupiterUnit;
  let foreign: dgram.Socket;
  let foreignPackets = 0;
  let adminToken: string;
  let viewerToken: string;

  before(async () => {
    unit = new JupiterUnit({ port: await freeUdpPort(), communities: [LINK_COMMUNITY] });
    other = new JupiterUnit({ port: await freeUdpPort(), communities: [OTHER_COMMUNITY] });
    await unit.start();
    await other.start();
    // a host that is not a unit of the link: counts what reaches it
    foreign = dgram.createSocket('udp4');
    foreign.on('message', () => foreignPackets++);
    await new Promise<void>((r) => foreign.bind(0, '127.0.0.1', () => r()));
    red = await startRedProcess([ADMIN, VIEWER], [{ id: 'perm-tab', type: 'tab', label: 'permissions' }]);
    adminToken = await red.login(ADMIN);
    viewerToken = await red.login(VIEWER);
    // the admin deploys a link with its community, as the editor does (credentials travel with the deploy)
    const flows = [
      { id: 'perm-tab', type: 'tab', label: 'permissions' },
      {
        id: 'perm-link', type: 'snmp-endpoint', name: 'racks', targets: `127.0.0.1:${unit.port}`, port: 161, version: 'v2c',
        timeout: 500, retries: 0, credentials: { community: LINK_COMMUNITY },
      },
    ];
    const started = red.log.length;
    const deployed = await red.request('POST', '/flows', adminToken, flows);
    expect(deployed.status).to.equal(204);
    await waitFor(() => red.log.slice(started).some((l) => /Started (modified )?flows/.test(l)), 20_000, 'the deploy');
  });
  after(async () => {
    await red?.stop();
    await unit?.stop();
    await other?.stop();
    foreign?.close();
  });

  const walk = (token: string | undefined, body: object) => red.request('POST', '/dcpower/snmp/walk', token, body);

  it('every admin endpoint of the package is in the audited list', () => {
    expect(registeredRoutes()).to.deep.equal(ENDPOINTS.map((e) => `${e.method} ${e.path}`).sort());
  });

  it('the read user is refused by every endpoint that sends packets or spends credentials, and served by the others', async () => {
    for (const e of ENDPOINTS) {
      const url = e.path.replace(':id', 'perm-link');
      const res = await red.request(e.method, url, viewerToken, e.method === 'POST' ? e.body ?? { id: 'perm-link', target: `127.0.0.1:${unit.port}` } : undefined);
      // Node-RED answers a missing permission with 401, as it does a missing login
      if (e.spends) expect(res.status, `${e.method} ${e.path}`).to.equal(401);
      // 404 for the plc-bridge map: no such node deployed, but the permission let the request in
      else expect(res.status, `${e.method} ${e.path}`).to.be.oneOf([200, 400, 404]);
    }
    // without a link id too, and without any login at all
    expect((await walk(viewerToken, { target: `127.0.0.1:${other.port}`, credentials: { community: OTHER_COMMUNITY } })).status).to.equal(401);
    expect((await walk(undefined, { id: 'perm-link', target: `127.0.0.1:${unit.port}` })).status).to.equal(401);
  });

  it("the '*' user walks the link's own unit with the stored community (the discover button's request)", async () => {
    const res = await walk(adminToken, { id: 'perm-link', target: `127.0.0.1:${unit.port}`, root: '1.3.6.1.2.1.1' });
    expect(res.status).to.equal(200);
    const rows = (res.body as { rows: Array<{ oid: string; value: unknown }> }).rows;
    expect(rows.find((r) => r.oid === '1.3.6.1.2.1.1.5.0')?.value).to.equal('jupiter-1');
  });

  it('a walk of another target with the link id is refused before any packet leaves', async () => {
    const res = await walk(adminToken, { id: 'perm-link', target: `127.0.0.1:${foreign.address().port}` });
    expect(res.status).to.equal(403);
    expect((res.body as { error: string }).error).to.match(/is not a unit of this link/);
    await new Promise((r) => setTimeout(r, 300));
    expect(foreignPackets).to.equal(0);
  });

  it('without a link id a walk uses only the credentials in the request, never a stored one', async () => {
    const ok = await walk(adminToken, { target: `127.0.0.1:${other.port}`, root: '1.3.6.1.2.1.1', credentials: { community: OTHER_COMMUNITY } });
    expect(ok.status).to.equal(200);
    // the link's own unit, but no id: the stored community is not used, so `public` times out
    const refused = await walk(adminToken, { target: `127.0.0.1:${unit.port}`, root: '1.3.6.1.2.1.1', timeout: 200, retries: 0 });
    expect(refused.status).to.equal(502);
    // the editor's stand-in for a stored secret selects nothing either
    const placeholder = await walk(adminToken, { target: `127.0.0.1:${unit.port}`, root: '1.3.6.1.2.1.1', timeout: 200, retries: 0, credentials: { community: '__PWRD__' } });
    expect(placeholder.status).to.equal(502);
  });

  it('no community reached the Node-RED log', () => {
    const text = red.log.join('\n');
    expect(text).to.not.contain(LINK_COMMUNITY);
    expect(text).to.not.contain(OTHER_COMMUNITY);
  });
});
