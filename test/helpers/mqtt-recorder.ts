/**
 * A TCP proxy in front of a real broker that parses every MQTT packet in both directions with mqtt-packet (the
 * parser under mqtt.js) and records it, so a test can assert on what went over the wire: the CONNECT's flags,
 * will and properties, SUBSCRIBE QoS, PUBLISH QoS and retain, the DISCONNECT's reason code. This is what the
 * Eclipse Sparkplug TCK sees through its HiveMQ interceptors. It can also refuse connections (the port stays
 * closed, so a client gets ECONNREFUSED) and cut every connection without a DISCONNECT.
 */
import * as net from 'net';
import * as mqttPacket from 'mqtt-packet';

export interface RecordedPacket {
  /** ms since the epoch when the proxy parsed it */
  at: number;
  /** the proxied connection, 1, 2, ... in the order they were accepted */
  conn: number;
  /** up: client to broker; down: broker to client */
  dir: 'up' | 'down';
  packet: mqttPacket.Packet;
}

export interface RecordedClose {
  at: number;
  conn: number;
}

export class RecordingProxy {
  readonly packets: RecordedPacket[] = [];
  readonly closes: RecordedClose[] = [];
  /** parse errors: a test that sees one has a broken recording */
  readonly errors: string[] = [];
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private connections = 0;
  port = 0;

  constructor(private readonly targetPort: number) {}

  /** Listens on `port` (0: a free one), resolves with it. */
  start(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((client) => this.accept(client));
      this.server = server;
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** Stops listening (open connections stay): a new client is refused until `start(proxy.port)`. */
  refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    const conn = ++this.connections;
    client.on('error', () => undefined);
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    this.sockets.add(client);
    this.sockets.add(upstream);
    // both directions share the settings: the CONNECT's protocol version decides how the rest is parsed
    const settings: { protocolVersion: number } = { protocolVersion: 4 };
    const parser = (dir: 'up' | 'down'): mqttPacket.Parser => {
      const p = mqttPacket.parser(settings);
      p.on('packet', (packet: mqttPacket.Packet) => {
        if (packet.cmd === 'connect' && packet.protocolVersion !== undefined) settings.protocolVersion = packet.protocolVersion;
        this.packets.push({ at: Date.now(), conn, dir, packet });
      });
      p.on('error', (err: Error) => this.errors.push(`${dir} ${conn}: ${err.message}`));
      return p;
    };
    const up = parser('up');
    const down = parser('down');
    let closed = false;
    const end = (): void => {
      if (!closed) {
        closed = true;
        this.closes.push({ at: Date.now(), conn });
      }
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('data', (chunk: Buffer) => {
      up.parse(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      down.parse(chunk);
      client.write(chunk);
    });
    // a half-close (the client's FIN after DISCONNECT) is passed on
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  }

  /** Cuts every connection without an MQTT DISCONNECT: the broker publishes the wills. */
  cutAll(): void {
    for (const socket of [...this.sockets]) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await this.refuse();
  }
}
