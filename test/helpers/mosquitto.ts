/**
 * A real Debian mosquitto for the MQTT tests: its own config file and persistence directory, a random loopback
 * port, restartable on the same port; and a TCP proxy in front of it that can cut every connection at once,
 * which is what an ungraceful disconnect looks like to the broker (no DISCONNECT packet: it sends the will).
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { waitFor } from './ports';

export const MOSQUITTO = process.env.MOSQUITTO_PATH ?? '/usr/sbin/mosquitto';

export function mosquittoAvailable(): boolean {
  return fs.existsSync(MOSQUITTO);
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class Mosquitto {
  readonly dir: string;
  private child: ChildProcess | undefined;
  readonly log: string[] = [];

  /**
   * `users`: a broker that wants a user name and password (mosquitto_passwd writes the password file);
   * `tls`: the listener speaks TLS only, with a self-signed certificate for CN=localhost made by openssl
   */
  constructor(readonly port: number, users?: Record<string, string>, options: { tls?: boolean } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-mosquitto-'));
    const tls: string[] = [];
    if (options.tls) {
      const key = path.join(this.dir, 'key.pem');
      const cert = path.join(this.dir, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      tls.push(`certfile ${cert}`, `keyfile ${key}`);
    }
    const auth: string[] = ['allow_anonymous true'];
    if (users) {
      const file = path.join(this.dir, 'passwords');
      fs.writeFileSync(file, '');
      for (const [user, password] of Object.entries(users)) execFileSync('mosquitto_passwd', ['-b', file, user, password]);
      fs.chmodSync(file, 0o600);
      auth.splice(0, 1, 'allow_anonymous false', `password_file ${file}`);
    }
    fs.writeFileSync(
      path.join(this.dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        ...tls,
        // run as root, mosquitto drops to the `mosquitto` user, which cannot read this private directory
        `user ${os.userInfo().username}`,
        ...auth,
        // sessions and retained messages survive a restart, so a persistent subscriber misses nothing
        'persistence true',
        `persistence_location ${this.dir}/`,
        'queue_qos0_messages true',
        'max_queued_messages 100000',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        '',
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    const child = spawn(MOSQUITTO, ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (chunk: Buffer): void => {
      this.log.push(...chunk.toString().split('\n').filter((l) => l.trim() !== ''));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await waitFor(async () => child.exitCode === null && (await portOpen(this.port)), 15_000, `mosquitto on port ${this.port}: ${this.log.join(' | ')}`);
  }

  /** SIGTERM: mosquitto saves its sessions and retained messages on the way out */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  accepting = true;
  connections = 0;
  port = 0;

  constructor(private readonly targetPort: number) {}

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((client) => this.accept(client));
      this.server = server;
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (!this.accepting) {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** cuts every connection without an MQTT DISCONNECT */
  cutAll(): void {
    for (const socket of [...this.sockets]) socket.destroy();
    this.sockets.clear();
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
