/**
 * snmp-endpoint in a real Node-RED runtime (node-red-node-test-helper) facing a hostile network: the 41-byte
 * inform that used to end the process, thousands of invalid datagrams over real UDP against the log, received
 * communities kept out of the log, the trap receiver's defaults, and the walk endpoint's sockets.
 */
import { expect } from 'chai';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as path from 'path';
import { JupiterFleet } from '../../nodes/jupiter-hvdc/simulator';
import type { SnmpEndpoint, SnmpTrap } from '../../lib/snmp/types';
import { freeUdpPort, freeUdpPortRange, waitFor } from '../helpers/ports';
import { CRAFTED_INFORM } from '../helpers/snmp-fuzz';
import { helper, startServer, stopServer } from './red-helper';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const endpointNode = require('../../nodes/links/snmp-endpoint');

interface SpyCall {
  thisValue: unknown;
  args: unknown[];
}
interface Spied {
  getCalls(): SpyCall[];
}
type LinkNode = SnmpEndpoint & { id: string; error: Spied; warn: Spied };

function fixture(label: string): Buffer {
  const file = path.resolve(__dirname, '..', 'fixtures', 'snmp-notifications.json');
  const found = (JSON.parse(fs.readFileSync(file, 'utf8')) as { datagrams: Array<{ label: string; hex: string }> }).datagrams.find((d) => d.label === label);
  if (!found) throw new Error(`no fixture ${label}`);
  return Buffer.from(found.hex, 'hex');
}

/** the fixture datagram with one byte string replaced by another of the same length (no BER lengths change) */
function replaced(datagram: Buffer, from: string, to: Buffer): Buffer {
  const at = datagram.indexOf(Buffer.from(from, 'latin1'));
  if (at < 0 || to.length !== from.length) throw new Error(`cannot replace ${from}`);
  const out = Buffer.from(datagram);
  to.copy(out, at);
  return out;
}

/** Sends datagrams in slices small enough for the receiver's socket buffer, yielding between slices. */
async function sendAll(socket: dgram.Socket, datagrams: Buffer[], port: number): Promise<void> {
  for (let i = 0; i < datagrams.length; i++) {
    await new Promise<void>((resolve, reject) => socket.send(datagrams[i], port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    if (i % 16 === 15) await new Promise((r) => setTimeout(r, 1));
  }
}

/** every log line Node-RED wrote since the helper loaded the flow, as text */
function logLines(): string[] {
  const spy = (helper as unknown as { log(): Spied }).log();
  return spy.getCalls().map((c) => JSON.stringify(c.args[0]));
}

/** the lines a node wrote (not the runtime's own about starting and stopping flows) */
function linesOf(lines: string[], id: string): string[] {
  return lines.filter((l) => (JSON.parse(l) as { id?: string }).id === id);
}

/**
 * Stops the flows while the helper's spies still record: helper.unload() restores them first, and the link
 * reports what it still counts when it closes.
 */
async function stopFlows(): Promise<void> {
  await (helper as unknown as { clearFlows(): Promise<void> }).clearFlows();
}

function callsOf(spy: Spied, node: { id: string }): unknown[][] {
  return spy
    .getCalls()
    .filter((c) => (c.thisValue as { id?: string } | undefined)?.id === node.id)
    .map((c) => c.args);
}

describe('snmp-endpoint on a hostile network (Node-RED runtime)', function () {
  this.timeout(60_000);
  before(startServer);
  after(stopServer);
  afterEach(() => helper.unload());

  const link = (id: string, trapPort: number, extra: object = {}): object => ({
    id,
    type: 'snmp-endpoint',
    // a name equal to the id would read as a reference to a config node (Node-RED: circular dependency)
    name: `link ${id}`,
    targets: '127.0.0.1:16161',
    port: 161,
    version: 'v2c',
    trapEnabled: true,
    trapPort,
    trapAddress: '127.0.0.1',
    ...extra,
  });

  it('the 41-byte inform of the issue is reported once and dropped; Node-RED and the receiver carry on', async () => {
    const trapPort = await freeUdpPort();
    // no community stored and a loopback receiver: `public` is taken, so the inform reaches the acknowledgement
    await helper.load(endpointNode, [link('hostile1', trapPort)], {});
    const node = helper.getNode('hostile1') as unknown as LinkNode;
    const traps: SnmpTrap[] = [];
    node.onTrap((t) => traps.push(t));
    const uncaught: Error[] = [];
    const onUncaught = (err: Error): void => {
      uncaught.push(err);
    };
    process.on('uncaughtException', onUncaught);
    const sender = dgram.createSocket('udp4');
    try {
      expect(CRAFTED_INFORM.length).to.equal(41);
      await sendAll(sender, [CRAFTED_INFORM], trapPort);
      await waitFor(() => callsOf(node.error, node).length > 0, 5000, 'the drop report');
      // the receiver still works: a valid v2c trap from the same source is handed on
      await sendAll(sender, [CRAFTED_INFORM, fixture('v2c trap')], trapPort);
      await waitFor(() => traps.length > 0, 5000, 'the valid trap');
      const errors = callsOf(node.error, node);
      expect(errors).to.have.length(1);
      expect(String(errors[0][0])).to.equal("dropped datagram from 127.0.0.1: malformed (Unknown type '3' in request)");
      expect(errors[0][1]).to.include({ source: '127.0.0.1', kind: 'malformed', count: 1 });
      expect(traps[0]).to.include({ version: 'v2c', kind: 'trap', trapOid: '1.3.6.1.2.1.33.2.3' });
      expect(uncaught).to.deep.equal([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      sender.close();
    }
    await stopFlows();
    // the second inform shows as a count when the link closes
    const after = callsOf(node.error, node);
    expect(after).to.have.length(2);
    expect(String(after[1][0])).to.equal('1 more datagrams from 127.0.0.1 dropped since the last report: malformed');
  });

  it('5,000 invalid datagrams write at most two lines per kind, none with a community or a control character', async () => {
    const trapPort = await freeUdpPort();
    const stored = 'st0red-s3cret';
    await helper.load(endpointNode, [link('hostile2', trapPort)], { hostile2: { community: stored } });
    const node = helper.getNode('hostile2') as unknown as LinkNode;
    const esc = (s: string): Buffer => Buffer.from(s, 'latin1');
    const kinds = [
      // not SNMP at all, with terminal escapes (clear screen, set the window title)
      (i: number) => esc(`\x1b[2J\x1b]0;pwned\x07 not snmp ${i}\r\n`),
      // a valid v2c trap with the well-known community, and one with a community that paints the terminal
      () => fixture('v2c trap'),
      () => replaced(fixture('v2c trap'), 'public', esc('\x1b[31mX')),
      // the inform of the issue (its community is unknown here)
      () => CRAFTED_INFORM,
      // a v3 trap from a user this v2c link does not know, with an escape in the name
      () => replaced(fixture('v3 noAuthNoPriv trap'), 'fuzz-noauth', esc('evil\x1b[0mxyz')),
      // a v2c trap cut short
      () => fixture('v2c trap').subarray(0, 60),
    ];
    const datagrams = Array.from({ length: 5000 }, (_, i) => kinds[i % kinds.length](i));
    const before = logLines().length;
    const sender = dgram.createSocket('udp4');
    try {
      await sendAll(sender, datagrams, trapPort);
      await waitFor(() => callsOf(node.error, node).length >= 3, 5000, 'the first reports');
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      sender.close();
    }
    await stopFlows();
    const all = logLines().slice(before);
    const lines = linesOf(all, 'hostile2');
    const reports = callsOf(node.error, node);
    // kinds here: malformed, unknown community, unknown v3 user; a first line each, a count each at close
    expect(reports.length).to.be.at.most(2 * 3);
    expect(lines.length).to.be.at.most(2 * 3);
    const counted = reports.reduce((n, args) => n + Number((args[1] as { count?: number }).count ?? 0), 0);
    expect(counted).to.be.at.least(4900); // loopback UDP may drop a few under load; the bound is the point
    for (const line of [...all, ...reports.map((r) => JSON.stringify(r))]) {
      expect(line).to.not.contain(stored);
      expect(line).to.not.contain('public');
      expect(line).to.not.match(/\\u001b|\x1b|pwned|evil/);
    }
  });

  it('a receiver open to the network takes no v1/v2c notification without a stored community, and says so once', async () => {
    const trapPort = await freeUdpPort();
    await helper.load(endpointNode, [link('hostile3', trapPort, { trapAddress: '0.0.0.0' })], {});
    const node = helper.getNode('hostile3') as unknown as LinkNode;
    const traps: SnmpTrap[] = [];
    node.onTrap((t) => traps.push(t));
    const warnings = callsOf(node.warn, node);
    expect(warnings).to.have.length(1);
    expect(String(warnings[0][0])).to.match(/^no community stored: v1\/v2c traps and informs on 0\.0\.0\.0 are dropped/);
    const sender = dgram.createSocket('udp4');
    try {
      await sendAll(sender, [fixture('v2c trap')], trapPort);
      await waitFor(() => callsOf(node.error, node).length > 0, 5000, 'the drop report');
    } finally {
      sender.close();
    }
    expect(traps).to.deep.equal([]);
    expect(String(callsOf(node.error, node)[0][0])).to.equal('dropped datagram from 127.0.0.1: unknown community');
  });

  it('a link holds no socket for walks of other targets: descriptors stay bounded over 200 walks to different units', async () => {
    const base = await freeUdpPortRange(200);
    const fleet = new JupiterFleet({ basePort: base, units: 200, communities: ['public'] });
    await fleet.start();
    try {
      await helper.load(endpointNode, [{ id: 'walker', type: 'snmp-endpoint', targets: `127.0.0.1:${base}`, port: 161, version: 'v2c' }], { walker: { community: 'public' } });
      const request = helper.request() as { post(url: string): { send(body: object): Promise<{ status: number; body: { rows?: unknown[]; error?: string } }> } };
      const walk = (body: object) => request.post('/dcpower/snmp/walk').send(body);
      // the link's own unit, twice: its session is kept between walks
      expect((await walk({ id: 'walker', target: `127.0.0.1:${base}`, root: '1.3.6.1.2.1.1' })).status).to.equal(200);
      const baseline = fs.readdirSync('/proc/self/fd').length;
      const statuses = new Map<number, number>();
      const count = (s: number): void => {
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      };
      let peak = baseline;
      for (let i = 0; i < 200; i++) {
        const target = `127.0.0.1:${base + i}`;
        // with the link's id: refused for every target but its unit, before any packet is sent
        if (i > 0) count((await walk({ id: 'walker', target, root: '1.3.6.1.2.1.1' })).status);
        // without it: the request's own settings, a session that closes when the walk ends
        const res = await walk({ target, root: '1.3.6.1.2.1.1', version: 'v2c', credentials: { community: 'public' } });
        count(res.status);
        expect(res.body.rows?.length ?? 0).to.be.at.least(5);
        peak = Math.max(peak, fs.readdirSync('/proc/self/fd').length);
      }
      expect(statuses.get(403)).to.equal(199);
      expect(statuses.get(200)).to.equal(200);
      expect(peak - baseline).to.be.at.most(4);
      expect((helper.getNode('walker') as unknown as { client: { sessionCount: number } }).client.sessionCount).to.equal(1);
    } finally {
      await fleet.stop();
    }
  });
});
