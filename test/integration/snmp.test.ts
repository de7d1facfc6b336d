/**
 * SNMP interoperability and robustness on real sockets: our simulator read by Debian snmpget/snmpwalk, our
 * client reading a real snmpd, tooBig splitting, agents that stop, restart, answer late or answer garbage,
 * traps end to end, and dead units that must not delay live ones.
 */
import { expect } from 'chai';
import { ChildProcess, execFile, spawn } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JupiterFleet, JupiterUnit, SIM_ENTERPRISE_OID, UPS_ALARM } from '../../nodes/jupiter-hvdc/simulator';
import { SnmpClient, SnmpError } from '../../lib/snmp/session';
import type { SnmpTarget, SnmpTrap, SnmpVarbind } from '../../lib/snmp/types';
import { freeUdpPort, freeUdpPortRange as freeUdpPorts, waitFor } from '../helpers/ports';

const V3_USER = { name: 'opsuser', level: 'authPriv' as const, authProtocol: 'sha256' as const, authKey: 'auth-secret-1', privProtocol: 'aes' as const, privKey: 'priv-secret-1' };
const UPS_BATTERY_VOLTAGE = '1.3.6.1.2.1.33.1.2.5.0';
const SYS_DESCR = '1.3.6.1.2.1.1.1.0';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
}

describe('SNMP interop and robustness (integration)', function () {
  this.timeout(60000);
  const clients: SnmpClient[] = [];
  const fleets: JupiterFleet[] = [];
  const client = (...args: ConstructorParameters<typeof SnmpClient>): SnmpClient => {
    const c = new SnmpClient(...args);
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(fleets.splice(0).map((f) => f.stop()));
  });

  async function startFleet(units: number, extra: Partial<ConstructorParameters<typeof JupiterFleet>[0]> = {}): Promise<{ fleet: JupiterFleet; base: number; targets: SnmpTarget[] }> {
    const base = units === 1 ? await freeUdpPort() : await freeUdpPorts(units);
    const fleet = new JupiterFleet({ basePort: base, units, communities: ['public'], users: [V3_USER], ...extra });
    fleets.push(fleet);
    await fleet.start();
    return { fleet, base, targets: fleet.units.map((u) => ({ host: '127.0.0.1', port: u.port })) };
  }

  describe('our simulator read by Debian snmpget and snmpwalk', () => {
    it('v2c: snmpget reads the UPS-MIB battery voltage and sysDescr, snmpwalk walks the alarm and vendor subtrees', async () => {
      const { base } = await startFleet(1, { scenario: 'ac-failure' });
      const get = await run('snmpget', ['-v2c', '-c', 'public', '-On', '-t', '3', `127.0.0.1:${base}`, SYS_DESCR, UPS_BATTERY_VOLTAGE]);
      expect(get).to.match(/\.1\.3\.6\.1\.2\.1\.1\.1\.0 = STRING: "Jupiter J5[46]0 240V HVDC/);
      const volts = Number(/33\.1\.2\.5\.0 = INTEGER: (\d+)/.exec(get)?.[1]);
      expect(volts / 10).to.be.within(200, 245);
      const alarms = await run('snmpwalk', ['-v2c', '-c', 'public', '-On', `127.0.0.1:${base}`, '1.3.6.1.2.1.33.1.6.2.1.2']);
      expect(alarms).to.contain(`OID: .1.3.6.1.2.1.33.1.6.3.${UPS_ALARM.onBattery}`);
      const vendor = await run('snmpwalk', ['-v2c', '-c', 'public', '-On', `127.0.0.1:${base}`, SIM_ENTERPRISE_OID]);
      expect(vendor.trim().split('\n').length).to.be.at.least(14);
    });

    it('v3 authPriv SHA-256/AES-128: snmpget and snmpwalk; a wrong key is refused', async () => {
      const { base } = await startFleet(1);
      const v3 = ['-v3', '-l', 'authPriv', '-u', V3_USER.name, '-a', 'SHA-256', '-A', V3_USER.authKey, '-x', 'AES', '-X', V3_USER.privKey, '-On', '-t', '2', '-r', '0'];
      const get = await run('snmpget', [...v3, `127.0.0.1:${base}`, UPS_BATTERY_VOLTAGE]);
      expect(get).to.match(/33\.1\.2\.5\.0 = INTEGER: 2415/);
      const walk = await run('snmpwalk', [...v3, `127.0.0.1:${base}`, '1.3.6.1.2.1.99.1.1.1.4']);
      expect(walk.trim().split('\n')).to.have.length(6);
      const bad = v3.slice();
      bad[bad.indexOf(V3_USER.authKey)] = 'wrong-auth-key';
      let failed = false;
      await run('snmpget', [...bad, `127.0.0.1:${base}`, UPS_BATTERY_VOLTAGE]).catch(() => (failed = true));
      expect(failed).to.equal(true);
    });

    it('v1: snmpget reports a missing object as noSuchName', async () => {
      const { base } = await startFleet(1);
      const out = await run('snmpget', ['-v1', '-c', 'public', '-On', `127.0.0.1:${base}`, '1.3.6.1.2.1.33.1.2.99.0']).catch((e: Error) => e.message);
      expect(out).to.match(/noSuchName|no such name/i);
    });
  });

  describe('our client reading a real snmpd', () => {
    let snmpd: ChildProcess | undefined;
    let port = 0;
    let dir = '';
    before(async function () {
      port = await freeUdpPort();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-snmpd-'));
      const conf = path.join(dir, 'snmpd.conf');
      fs.mkdirSync(path.join(dir, 'persist'));
      fs.writeFileSync(
        conf,
        [
          `[snmp] persistentDir ${path.join(dir, 'persist')}`,
          `agentaddress udp:127.0.0.1:${port}`,
          'rocommunity dcpower-ro 127.0.0.1',
          `createUser ${V3_USER.name} SHA-256 "${V3_USER.authKey}" AES "${V3_USER.privKey}"`,
          `rouser ${V3_USER.name} priv`,
          'sysDescr dcpower interop snmpd',
          '',
        ].join('\n'),
      );
      snmpd = spawn('snmpd', ['-f', '-Lo', '-C', '-c', conf, '-r', '-I', '-smux'], { stdio: 'ignore', env: { ...process.env, SNMP_PERSISTENT_DIR: path.join(dir, 'persist') } });
      await waitFor(
        () => run('snmpget', ['-v2c', '-c', 'dcpower-ro', '-t', '0.5', '-r', '0', `127.0.0.1:${port}`, SYS_DESCR]).then((o) => o.includes('dcpower'), () => false),
        15000,
        'snmpd to answer',
      );
    });
    after(async () => {
      // snmpd writes its persistent state on the way out: wait for it before removing the directory
      if (snmpd && snmpd.exitCode === null) {
        const exited = new Promise((r) => snmpd?.once('exit', r));
        snmpd.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
      if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    });

    for (const [label, host] of [
      ['an IPv4 address', '127.0.0.1'],
      ['a host name', 'localhost'],
    ] as const) {
      it(`v2c to ${label}: batched GET with a per-varbind noSuchObject, and a GETBULK walk of the system group`, async () => {
        const t = { host, port };
        const c = client([t], { version: 'v2c', maxVarbinds: 2 }, { community: 'dcpower-ro' });
        const vbs = await c.get(t, [SYS_DESCR, '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.99.0', '1.3.6.1.2.1.1.5.0']);
        expect(vbs.map((v) => v.oid)).to.deep.equal([SYS_DESCR, '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.99.0', '1.3.6.1.2.1.1.5.0']);
        expect(String(vbs[0].value)).to.equal('dcpower interop snmpd');
        expect(vbs[1].type).to.equal(67); // TimeTicks
        expect(vbs[2].error).to.equal('noSuchObject');
        const rows = await c.walk(t, '1.3.6.1.2.1.1');
        expect(rows.length).to.be.greaterThan(5);
        expect(rows.every((r) => r.oid.startsWith('1.3.6.1.2.1.1.'))).to.equal(true);
        const c1 = client([t], { version: 'v1' }, { community: 'dcpower-ro' });
        const v1 = await c1.get(t, [SYS_DESCR, '1.3.6.1.2.1.1.99.0']);
        expect(String(v1[0].value)).to.equal('dcpower interop snmpd');
        expect(v1[1].error).to.equal('noSuchObject');
        const v1rows = await c1.walk(t, '1.3.6.1.2.1.1'); // GETNEXT
        expect(v1rows.map((r) => r.oid)).to.deep.equal(rows.map((r) => r.oid));
      });
    }

    it('getThen and walkThen, the poll path, end once each with what get and walk give; a walk over several GETBULKs stops at maxRows; an OID list changed in place is asked as it is now', async () => {
      const t = { host: '127.0.0.1', port };
      const c = client([t], { version: 'v2c', maxVarbinds: 2, maxRepetitions: 2, maxWalkRows: 5 }, { community: 'dcpower-ro' });
      const ended = <T>(request: (done: (err: Error | null, result?: T) => void) => void): Promise<{ err: Error | null; result?: T; calls: number }> =>
        new Promise((resolve) => {
          let calls = 0;
          request((err, result) => {
            calls++;
            // a second call would show up in `calls` of the result taken a moment later
            setTimeout(() => resolve({ err, result, calls }), 50);
          });
        });
      const oids = [SYS_DESCR, '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.99.0'];
      const got = await ended<SnmpVarbind[]>((done) => c.getThen(t, oids, done));
      expect(got.err).to.equal(null);
      expect(got.calls).to.equal(1);
      expect((got.result as SnmpVarbind[]).map((v) => v.oid)).to.deep.equal(oids);
      expect((got.result as SnmpVarbind[])[2].error).to.equal('noSuchObject');
      const walked = await ended<SnmpVarbind[]>((done) => c.walkThen(t, '1.3.6.1.2.1.1', done));
      expect(walked.calls).to.equal(1);
      const rows = walked.result as SnmpVarbind[];
      expect(rows).to.have.length(5); // three GETBULKs of two rows, cut at maxWalkRows
      expect(rows.map((r) => r.oid)).to.deep.equal((await c.walk(t, '1.3.6.1.2.1.1')).map((r) => r.oid));
      const empty = await ended<SnmpVarbind[]>((done) => c.walkThen(t, '1.3.6.1.2.1.1.99', done));
      expect(empty.err).to.equal(null);
      expect(empty.result).to.deep.equal([]);
      // the link remembers the last list it checked; a caller that changes its array in place is still asked for
      const asked = [SYS_DESCR, '1.3.6.1.2.1.1.5.0'];
      expect((await c.get(t, asked)).map((v) => v.oid)).to.deep.equal(asked);
      asked[1] = '1.3.6.1.2.1.1.3.0';
      const again = await c.get({ host: t.host, port: t.port }, asked); // another object for the same unit
      expect(again.map((v) => v.oid)).to.deep.equal([SYS_DESCR, '1.3.6.1.2.1.1.3.0']);
      expect(again[1].type).to.equal(67);
      asked[1] = 'not.an.oid';
      expect(await c.get(t, asked).then(() => 'answered', (e: SnmpError) => e.code)).to.equal('protocol');
      // a caller's callback that throws is reported, heard once, and the unit's next request still runs
      const reported: string[] = [];
      const c2 = client([t], { version: 'v2c' }, { community: 'dcpower-ro' }, { onError: (e) => reported.push(e.message) });
      let heard = 0;
      c2.getThen(t, [SYS_DESCR], () => {
        heard++;
        throw new Error('a bug in the caller');
      });
      expect(String((await c2.get(t, [SYS_DESCR]))[0].value)).to.equal('dcpower interop snmpd');
      expect(heard).to.equal(1);
      expect(reported).to.deep.equal(['a bug in the caller']);
      const badOid = await ended<SnmpVarbind[]>((done) => c.getThen(t, ['not.an.oid'], done));
      expect(badOid.err).to.be.instanceOf(SnmpError);
      expect(badOid.calls).to.equal(1);
      await c.close();
      const closed = await ended<SnmpVarbind[]>((done) => c.walkThen(t, '1.3.6.1.2.1.1', done));
      expect((closed.err as SnmpError).code).to.equal('closed');
      expect(closed.calls).to.equal(1);
    });

    it('v3 authPriv SHA-256/AES-128: GET and walk', async () => {
      const t = { host: '127.0.0.1', port };
      const c3 = client([t], { version: 'v3', user: V3_USER.name, securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' }, { authKey: V3_USER.authKey, privKey: V3_USER.privKey });
      const [descr] = await c3.get(t, [SYS_DESCR]);
      expect(String(descr.value)).to.equal('dcpower interop snmpd');
      expect((await c3.walk(t, '1.3.6.1.2.1.1')).length).to.be.greaterThan(5);
    });

    it('v3 with a wrong privacy key ends in a timeout whose text points at the credentials', async () => {
      const t = { host: '127.0.0.1', port };
      const c = client([t], { version: 'v3', user: V3_USER.name, securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes', timeout: 500, retries: 0 }, { authKey: V3_USER.authKey, privKey: 'not-the-key' });
      const err = await c.get(t, [SYS_DESCR]).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(SnmpError);
      expect((err as SnmpError).message).to.match(/timeout|decrypt|credentials|key/i);
    });
  });

  describe('batching, misbehaving agents', () => {
    it('splits GETs when the agent answers tooBig and remembers the smaller batch', async () => {
      const { fleet, targets } = await startFleet(1, { maxVarbinds: 5 });
      const oids = Array.from({ length: 7 }, (_, i) => `1.3.6.1.2.1.33.1.2.${i + 1}.0`).concat(Array.from({ length: 14 }, (_, i) => `${SIM_ENTERPRISE_OID}.1.${i + 1}.0`));
      const c = client(targets, { version: 'v2c', maxVarbinds: 24 }, { community: 'public' });
      const first = await c.get(targets[0], oids);
      expect(first).to.have.length(21);
      expect(first.every((v) => v.error === undefined)).to.equal(true);
      const before = fleet.units[0].requests;
      await c.get(targets[0], oids);
      // learned batch: no tooBig round trip any more, ceil(21 / 3) or ceil(21 / 5) PDUs
      expect(fleet.units[0].requests - before).to.be.at.most(7);
    });

    it('v1: OIDs the unit refuses with noSuchName are found by halving the GET, then left out of its GETs', async () => {
      const { fleet, targets } = await startFleet(1);
      const oids = [SYS_DESCR, UPS_BATTERY_VOLTAGE, '1.3.6.1.2.1.33.1.2.99.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.98.0'];
      const c = client(targets, { version: 'v1' }, { community: 'public' });
      const first = await c.get(targets[0], oids);
      expect(first.map((v) => v.oid)).to.deep.equal(oids);
      expect(first.map((v) => v.error)).to.deep.equal([undefined, undefined, 'noSuchObject', undefined, 'noSuchObject']);
      expect(first[1].value).to.equal(2415);
      const before = fleet.units[0].requests;
      const second = await c.get(targets[0], oids);
      expect(fleet.units[0].requests - before, 'one PDU, without the refused OIDs').to.equal(1);
      expect(second.map((v) => v.error)).to.deep.equal([undefined, undefined, 'noSuchObject', undefined, 'noSuchObject']);
      expect(String(second[0].value)).to.contain('Jupiter');
    });

    it('an agent that stops times out, and after a restart on the same port (new v3 engine) it is read again', async () => {
      const port = await freeUdpPort();
      let unit = new JupiterUnit({ port, users: [V3_USER] });
      await unit.start();
      const t = { host: '127.0.0.1', port };
      const c2 = client([t], { version: 'v2c', timeout: 400, retries: 0 }, { community: 'public' });
      const c3 = client([t], { version: 'v3', user: V3_USER.name, authProtocol: 'sha256', privProtocol: 'aes', timeout: 400, retries: 0 }, { authKey: V3_USER.authKey, privKey: V3_USER.privKey });
      expect((await c2.get(t, [SYS_DESCR]))[0].error).to.equal(undefined);
      expect((await c3.get(t, [SYS_DESCR]))[0].error).to.equal(undefined);
      await unit.stop();
      const err = await c2.get(t, [SYS_DESCR]).then(() => undefined, (e: SnmpError) => e);
      expect(err?.code).to.equal('timeout');
      unit = new JupiterUnit({ port, users: [V3_USER] });
      await unit.start();
      try {
        expect((await c2.get(t, [SYS_DESCR]))[0].error).to.equal(undefined);
        // the first v3 request after the restart may fail on the old engine id; the link recovers by itself
        const v3 = await waitFor(() => c3.get(t, [SYS_DESCR]).then((v) => v, () => undefined), 10000, 'v3 after restart');
        expect(String(v3[0].value)).to.contain('Jupiter');
      } finally {
        await unit.stop();
      }
    });

    it('a late answer within the timeout is taken; one later than the timeout is a timeout', async () => {
      const { targets } = await startFleet(1, { delayMs: 300 });
      const ok = client(targets, { version: 'v2c', timeout: 2000, retries: 0 }, { community: 'public' });
      expect((await ok.get(targets[0], [SYS_DESCR]))[0].error).to.equal(undefined);
      const tooShort = client(targets, { version: 'v2c', timeout: 100, retries: 0 }, { community: 'public' });
      const err = await tooShort.get(targets[0], [SYS_DESCR]).then(() => undefined, (e: SnmpError) => e);
      expect(err?.code).to.equal('timeout');
    });

    it('a UDP peer that answers garbage cannot crash the process: the request times out, the error is reported', async () => {
      const junk = dgram.createSocket('udp4');
      await new Promise<void>((r) => junk.bind(0, '127.0.0.1', () => r()));
      const replies = [Buffer.from('not snmp at all'), Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02]), Buffer.from([0x30, 0x0a, 0x02, 0x01, 0x01, 0x04, 0x03, 0x61, 0x62, 0x63, 0xa2, 0x00])];
      let n = 0;
      junk.on('message', (_msg, rinfo) => junk.send(replies[n++ % replies.length], rinfo.port, rinfo.address));
      const t = { host: '127.0.0.1', port: junk.address().port };
      const reported: Error[] = [];
      const c = client([t], { version: 'v2c', timeout: 300, retries: 2 }, { community: 'public' }, { onError: (e) => reported.push(e) });
      try {
        const err = await c.get(t, [SYS_DESCR]).then(() => undefined, (e: SnmpError) => e);
        expect(err?.code).to.be.oneOf(['timeout', 'protocol']);
        expect(n).to.be.at.least(1);
        expect(reported.length).to.be.at.least(1);
      } finally {
        junk.close();
      }
    });

    it('dead units do not delay live ones: all live polls finish before the first dead one gives up', async () => {
      const { targets: live } = await startFleet(20);
      const deadBase = await freeUdpPorts(10);
      const dead = Array.from({ length: 10 }, (_, i) => ({ host: '127.0.0.1', port: deadBase + i }));
      const all = [...dead, ...live]; // dead first: they would hog a naive bounded queue
      const c = client(all, { version: 'v2c', timeout: 3000, retries: 0, concurrency: 4, slowAfter: 200 }, { community: 'public' });
      const events: string[] = [];
      const polls = all.map((t) =>
        c.get(t, [SYS_DESCR, UPS_BATTERY_VOLTAGE]).then(
          () => events.push(`live ${t.port}`),
          () => events.push(`dead ${t.port}`),
        ),
      );
      await Promise.all(polls);
      const firstDead = events.findIndex((e) => e.startsWith('dead'));
      expect(events.filter((e) => e.startsWith('live'))).to.have.length(20);
      expect(firstDead).to.equal(20);
    });
  });

  describe('sessions', () => {
    it('a walk of a target outside the unit list closes its session when it ends; the units keep theirs', async () => {
      const { targets } = await startFleet(6);
      const [own, ...others] = targets;
      const c = client([own], { version: 'v2c' }, { community: 'public' });
      await c.walk(own, '1.3.6.1.2.1.1');
      expect(c.sessionCount).to.equal(1);
      for (const t of others) {
        const rows = await c.walk(t, '1.3.6.1.2.1.1');
        expect(rows.length).to.be.at.least(5);
        expect(c.sessionCount).to.equal(1);
      }
      // two walks of one outside target queued together share the session, which closes after the second
      const both = await Promise.all([c.walk(others[0], '1.3.6.1.2.1.1'), c.walk(others[0], '1.3.6.1.2.1.1')]);
      expect(both[0].length).to.equal(both[1].length);
      expect(c.sessionCount).to.equal(1);
      await c.walk(own, '1.3.6.1.2.1.1');
      expect(c.sessionCount).to.equal(1);
    });
  });

  describe('traps end to end', () => {
    it('v3 authPriv: a unit sends its traps with the USM user and the receiver decrypts and matches them', async () => {
      const trapPort = await freeUdpPort();
      const { fleet, targets } = await startFleet(1, { trap: { host: '127.0.0.1', port: trapPort, version: 'v3', user: V3_USER } });
      const c = client(targets, { version: 'v3', user: V3_USER.name, authProtocol: 'sha256', privProtocol: 'aes' }, { authKey: V3_USER.authKey, privKey: V3_USER.privKey });
      const traps: SnmpTrap[] = [];
      c.onTrap((trap) => traps.push(trap));
      await c.startTrapReceiver({ port: trapPort, address: '127.0.0.1', users: [V3_USER] }).ready();
      fleet.units[0].setScenario('rectifier-fault');
      await waitFor(() => traps.length >= 1, 10000, 'a v3 trap');
      expect(traps[0]).to.include({ version: 'v3', kind: 'trap', trapOid: '1.3.6.1.2.1.33.2.3' });
      expect(traps[0].target).to.deep.equal(targets[0]);
    });

    it('v2c inform: the receiver acknowledges it and hands it on as an inform', async () => {
      const trapPort = await freeUdpPort();
      const target = { host: '127.0.0.1', port: 161 };
      const c = client([target], { version: 'v2c' }, { community: 'public' });
      const traps: SnmpTrap[] = [];
      c.onTrap((trap) => traps.push(trap));
      await c.startTrapReceiver({ port: trapPort, address: '127.0.0.1', communities: ['public'] }).ready();
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const snmp = require('net-snmp') as typeof import('net-snmp');
      const sender = snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, trapPort } as import('net-snmp').SessionOptions);
      try {
        const ack = await new Promise<Error | null>((resolve) =>
          (sender as unknown as { inform(oid: string, vbs: unknown[], cb: (e: Error | null) => void): void }).inform('1.3.6.1.2.1.33.2.1', [], (e) => resolve(e)),
        );
        expect(ack).to.equal(null);
        await waitFor(() => traps.length >= 1, 5000, 'the inform');
        expect(traps[0]).to.include({ kind: 'inform', version: 'v2c', trapOid: '1.3.6.1.2.1.33.2.1' });
        expect(traps[0].target).to.deep.equal(target);
      } finally {
        sender.close();
      }
    });


    for (const version of ['v2c', 'v1'] as const) {
      it(`${version}: a unit going on battery sends traps that the link's receiver matches to that unit`, async () => {
        const trapPort = await freeUdpPort();
        const { fleet, targets } = await startFleet(3, { trap: { host: '127.0.0.1', port: trapPort, version, community: 'public' } });
        const c = client(targets, { version: 'v2c' }, { community: 'public' });
        const traps: SnmpTrap[] = [];
        c.onTrap((trap) => traps.push(trap));
        await c.startTrapReceiver({ port: trapPort, address: '127.0.0.1', communities: ['public'] }).ready();
        fleet.units[1].setScenario('ac-failure');
        await waitFor(() => traps.length >= 3, 10000, 'traps');
        for (const trap of traps) {
          expect(trap.target).to.deep.equal(targets[1]);
          expect(trap.version).to.equal(version);
        }
        const oids = traps.map((t) => t.trapOid);
        if (version === 'v2c') {
          expect(oids).to.include('1.3.6.1.2.1.33.2.1'); // upsTrapOnBattery
          expect(oids).to.include('1.3.6.1.2.1.33.2.3'); // upsTrapAlarmEntryAdded
        } else {
          expect(traps.map((t) => t.v1?.specific)).to.include.members([1, 3]);
          expect(traps[0].v1?.enterprise).to.equal('1.3.6.1.2.1.33.2');
        }
        const added = traps.find((t) => t.trapOid.endsWith('.3'));
        expect(added?.varbinds.map((v) => String(v.value))).to.include(`1.3.6.1.2.1.33.1.6.3.${UPS_ALARM.onBattery}`);
      });
    }
  });
});
