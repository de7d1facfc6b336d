/**
 * The connection options an uplink builds from a `dcpower-mqtt-broker` config node (pure, unit-tested).
 *
 * Why not the core `mqtt-broker` config node: it owns one shared connection with one static will, and it drops
 * publishes while disconnected. A Sparkplug edge node needs its own connection whose will (NDEATH) carries a new
 * bdSeq on every CONNECT, and both schemes need births re-sent after each reconnect and a bounded buffer; the
 * core node exposes none of that as API. So the config node is an endpoint description, and each uplink node
 * opens its own connection from it (Sparkplug: one MQTT connection per edge node).
 */
import type { IClientOptions } from 'mqtt';
import type { Node, NodeDef } from '../../lib/red';

export interface BrokerDef extends NodeDef {
  host: string;
  port: number | string;
  tls: boolean;
  verifyServer: boolean;
  protocolVersion: number | string;
  clientId: string;
  keepalive: number | string;
}

export interface BrokerCredentials {
  username?: string;
  password?: string;
}

export type Endpoint = { ok: true; url: string; options: IClientOptions; label: string } | { ok: false; error: string };

export interface MqttBrokerNode extends Node<BrokerCredentials> {
  /** connection options for one client; `clientSuffix` keeps client ids unique when several uplinks share this */
  endpoint(clientSuffix: string): Endpoint;
}

function integer(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isInteger(n) ? n : fallback;
}

export function brokerEndpoint(def: Partial<BrokerDef>, credentials: BrokerCredentials, clientSuffix: string): Endpoint {
  const host = typeof def.host === 'string' ? def.host.trim() : '';
  if (host === '' || /[\s/]/.test(host)) return { ok: false, error: 'broker host is empty or not a host name' };
  const port = integer(def.port, 1883);
  if (port < 1 || port > 65535) return { ok: false, error: `broker port ${String(def.port)} is not 1-65535` };
  const version = integer(def.protocolVersion, 5);
  const protocolVersion = version === 4 ? 4 : 5;
  const keepalive = Math.min(65535, Math.max(5, integer(def.keepalive, 30)));
  const tls = def.tls === true;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const clientId = typeof def.clientId === 'string' && def.clientId.trim() !== '' ? def.clientId.trim() : `dcpower-${clientSuffix}`;
  const options: IClientOptions = { clientId, protocolVersion, keepalive };
  if (credentials.username) options.username = credentials.username;
  if (credentials.password) options.password = credentials.password;
  if (tls) options.rejectUnauthorized = def.verifyServer !== false;
  return { ok: true, url: `${tls ? 'mqtts' : 'mqtt'}://${hostInUrl}:${port}`, options, label: `${host}:${port}` };
}

export function isBrokerNode(node: unknown): node is MqttBrokerNode {
  return typeof node === 'object' && node !== null && typeof (node as { endpoint?: unknown }).endpoint === 'function';
}

