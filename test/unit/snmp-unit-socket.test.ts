/**
 * A session's socket is connected to its unit when the unit is an IPv4 address (lib/snmp/unit-socket.ts): the
 * kernel drops datagrams from anyone else, a closed port's ICMP errors are not failures, and sends made before
 * the connection (net-snmp sends at once) still leave. Over loopback with a scripted agent, and on a fake socket
 * for the orders of events loopback does not produce.
 */
import { expect } from 'chai';
import * as dgram from 'dgram';
import { EventEmitter } from 'events';
import { DropReport, SnmpClient, SnmpError } from '../../lib/snmp/session';
import type { SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';
import { connectToUnit, SessionSocket } from '../../lib/snmp/unit-socket';

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';

/** a v1/v2c request turned into its answer: the PDU tag after the community becomes GetResponse */
function echoAnswer(request: Buffer, community = 'public'): Buffer {
  const answer = Buffer.from(request);
  answer[answer.indexOf(Buffer.from(community)) + community.length] = 0xa2;
  return answer;
}

function bound(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}

describe('SNMP session sockets connected to their unit', () => {
  let agent: dgram.Socket;
  let target: SnmpTarget;
  let requests: Array<(r: { request: Buffer; rinfo: dgram.RemoteInfo }) => void>;

  beforeEach(async () => {
    requests = [];
    agent = await bound();
    agent.on('message', (request, rinfo) => requests.shift()?.({ request, rinfo }));
    target = { host: '127.0.0.1', port: agent.address().port };
  });
  afterEach(() => agent.close());

  it('takes the answer from its unit and never reads a forged one from another port of the same host', async () => {
    const reports: DropReport[] = [];
    const errors: Error[] = [];
    const client = new SnmpClient([target], { version: 'v2c', timeout: 5000, retries: 0 }, { community: 'public' }, { onError: (e) => errors.push(e), onDropped: (r) => reports.push(r) });
    const forger = await bound();
    try {
      // the first request of a fresh session: it leaves before the socket is connected, and is answered
      const asked = new Promise<{ request: Buffer; rinfo: dgram.RemoteInfo }>((r) => requests.push(r));
      const answer = client.get(target, [SYS_DESCR]);
      const { request, rinfo } = await asked;
      // a well-formed answer with the request's id, naming another object, from another port: an unconnected
      // socket would hand it to net-snmp, which matches answers by request id only
      const forged = echoAnswer(request);
      forged[forged.lastIndexOf(0x00, forged.length - 3)] = 0x09; // ...1.1.0 -> ...1.1.9
      expect(forged).to.not.deep.equal(echoAnswer(request));
      forger.send(forged, rinfo.port, rinfo.address);
      forger.send(Buffer.from('garbage that net-snmp would report'), rinfo.port, rinfo.address);
      const early = await Promise.race([answer, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 200))]);
      expect(early, 'the forged answer was not taken').to.equal('waiting');
      agent.send(echoAnswer(request), rinfo.port, rinfo.address);
      const varbinds = (await answer) as SnmpVarbind[];
      expect(varbinds.map((v) => v.oid)).to.deep.equal([SYS_DESCR]);
      // the kernel dropped both: nothing reached net-snmp, so nothing was reported either
      expect(reports).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
      // and garbage from the unit itself still reaches the session's guard
      const again = new Promise<{ request: Buffer; rinfo: dgram.RemoteInfo }>((r) => requests.push(r));
      const second = client.get(target, [SYS_DESCR]);
      const next = await again;
      agent.send(Buffer.from([0x30, 0x03, 0x02, 0x01]), next.rinfo.port, next.rinfo.address);
      agent.send(echoAnswer(next.request), next.rinfo.port, next.rinfo.address);
      await second;
      expect(reports.map((r) => [r.source, r.kind])).to.deep.equal([['127.0.0.1', 'malformed']]);
    } finally {
      forger.close();
      await client.close();
    }
  });

  it('a unit whose port is closed times out as before: its ICMP errors are neither reported nor a new socket per poll', async () => {
    const closed = await bound();
    const port = closed.address().port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead: SnmpTarget = { host: '127.0.0.1', port };
    const reports: DropReport[] = [];
    const errors: Error[] = [];
    const client = new SnmpClient([dead], { version: 'v2c', timeout: 150, retries: 1 }, { community: 'public' }, { onError: (e) => errors.push(e), onDropped: (r) => reports.push(r) });
    try {
      for (let poll = 0; poll < 3; poll++) {
        const err = await client.get(dead, [SYS_DESCR]).then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(SnmpError);
        expect((err as SnmpError).code).to.equal('timeout');
        expect(client.sessionCount).to.equal(1);
      }
      expect(reports).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      await client.close();
    }
  });
});

/** A socket that records what it was asked and lets the test decide when the connection is made. */
class FakeSocket extends EventEmitter implements SessionSocket {
  sent: unknown[][] = [];
  connectedTo: [number, string] | undefined;
  private onConnect: ((err?: unknown) => void) | undefined;
  connect(port: number, address: string, callback: (err?: unknown) => void): void {
    this.connectedTo = [port, address];
    this.onConnect = callback;
  }
  send(...args: unknown[]): void {
    this.sent.push(args);
  }
  remoteAddress(): unknown {
    return undefined;
  }
  finishConnect(err?: Error): void {
    this.onConnect?.(err);
  }
}

describe('connectToUnit (fake socket)', () => {
  const done = (): void => undefined;

  it('holds sends until the connection is made, then sends them without an address', () => {
    const socket = new FakeSocket();
    expect(connectToUnit(socket, '10.0.0.7', 161, () => undefined)).to.equal(true);
    expect(socket.connectedTo).to.deep.equal([161, '10.0.0.7']);
    socket.send(Buffer.from('a'), 0, 1, 161, '10.0.0.7', done);
    expect(socket.sent).to.deep.equal([]);
    socket.finishConnect();
    socket.send(Buffer.from('b'), 0, 1, 161, '10.0.0.7', done);
    expect(socket.sent).to.deep.equal([
      [Buffer.from('a'), 0, 1, done],
      [Buffer.from('b'), 0, 1, done],
    ]);
  });

  it('a socket that cannot connect sends as net-snmp asks, with the address', () => {
    const socket = new FakeSocket();
    connectToUnit(socket, '10.0.0.7', 161, () => undefined);
    socket.send(Buffer.from('a'), 0, 1, 161, '10.0.0.7', done);
    socket.finishConnect(new Error('EADDRNOTAVAIL'));
    expect(socket.sent).to.deep.equal([[Buffer.from('a'), 0, 1, 161, '10.0.0.7', done]]);
  });

  it('a socket whose connect throws (already connected) sends as net-snmp asks', () => {
    const socket = new FakeSocket();
    socket.connect = () => {
      throw new Error('Already connected');
    };
    expect(connectToUnit(socket, '10.0.0.7', 161, () => undefined)).to.equal(false);
    socket.send(Buffer.from('a'), 0, 1, 161, '10.0.0.7', done);
    expect(socket.sent).to.deep.equal([[Buffer.from('a'), 0, 1, 161, '10.0.0.7', done]]);
  });

  it('a socket closed before it connected fails the sends that waited', () => {
    const socket = new FakeSocket();
    connectToUnit(socket, '10.0.0.7', 161, () => undefined);
    const failures: unknown[] = [];
    socket.send(Buffer.from('a'), 0, 1, 161, '10.0.0.7', (err: unknown) => failures.push(err));
    socket.emit('close');
    expect(failures).to.have.length(1);
    expect(failures[0]).to.be.instanceOf(Error);
    socket.finishConnect(); // the late connection sends nothing that was failed
    expect(socket.sent).to.deep.equal([]);
  });

  it('a host name keeps an unconnected socket; ICMP errors are dropped quietly and other socket errors reported', () => {
    const socket = new FakeSocket();
    const reported: Error[] = [];
    expect(connectToUnit(socket, 'rack1.example', 161, (e) => reported.push(e))).to.equal(false);
    expect(socket.connectedTo).to.equal(undefined);
    socket.send(Buffer.from('a'), 0, 1, 161, 'rack1.example', done);
    expect(socket.sent).to.deep.equal([[Buffer.from('a'), 0, 1, 161, 'rack1.example', done]]);
    for (const code of ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']) socket.emit('error', Object.assign(new Error(code), { code }));
    socket.emit('error', Object.assign(new Error('recvmsg EACCES'), { code: 'EACCES' }));
    expect(reported.map((e) => (e as Error & { code?: string }).code)).to.deep.equal(['EACCES']);
  });
});
