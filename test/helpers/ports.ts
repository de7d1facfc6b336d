/** Free loopback ports for tests (each test gets its own, so suites never collide). */
import * as net from 'net';
import * as dgram from 'dgram';

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.on('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or the time is up. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `n` consecutive free UDP ports on loopback (checked one by one: good enough on an otherwise idle loopback),
 * below the ephemeral range so that no client socket of the test takes one of them meanwhile.
 */
export async function freeUdpPortRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    const sockets: dgram.Socket[] = [];
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const s = dgram.createSocket('udp4');
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(base + i, '127.0.0.1', () => resolve(true));
      });
      sockets.push(s);
    }
    await Promise.all(sockets.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } })));
    if (ok) return base;
  }
  throw new Error('no free port range');
}
