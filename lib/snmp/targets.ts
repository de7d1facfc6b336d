/**
 * Target lists for one snmp-endpoint link: `host[:port]` entries separated by commas, spaces or new lines, an
 * IPv4 range `10.0.0.1-10.0.0.50` (or `10.0.0.1-50`, the last octet), or a port range `127.0.0.1:16161-16170`.
 * Pure: returns a Result, never throws on what a user typed.
 */
import { Result } from '../wire/result';
import type { SnmpTarget } from './types';

/** more targets than this in one link is almost certainly a typo in a range */
export const MAX_TARGETS = 10000;

export interface TargetSpecError {
  entry: string;
  message: string;
}

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function numberToIpv4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function validPort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** host name or IPv4 literal; a bracketed IPv6 literal is not supported by the udp4 sessions */
function validHost(host: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host);
}

function parseEntry(entry: string, defaultPort: number): Result<SnmpTarget[], TargetSpecError> {
  const bad = (message: string): { ok: false; error: TargetSpecError } => ({ ok: false, error: { entry, message } });
  const colon = entry.lastIndexOf(':');
  const hostPart = colon >= 0 ? entry.slice(0, colon) : entry;
  const portPart = colon >= 0 ? entry.slice(colon + 1) : undefined;

  let ports: number[] = [defaultPort];
  if (portPart !== undefined) {
    const range = portPart.split('-');
    if (range.length === 1) {
      const p = validPort(range[0]);
      if (p === undefined) return bad(`bad port '${portPart}'`);
      ports = [p];
    } else if (range.length === 2) {
      const from = validPort(range[0]);
      const to = validPort(range[1]);
      if (from === undefined || to === undefined || to < from) return bad(`bad port range '${portPart}'`);
      if (to - from + 1 > MAX_TARGETS) return bad('port range too large');
      ports = [];
      for (let p = from; p <= to; p++) ports.push(p);
    } else return bad(`bad port '${portPart}'`);
  }

  let hosts: string[] = [];
  const dash = hostPart.indexOf('-');
  if (dash > 0 && ipv4ToNumber(hostPart.slice(0, dash)) !== undefined) {
    const fromText = hostPart.slice(0, dash);
    const toText = hostPart.slice(dash + 1);
    const from = ipv4ToNumber(fromText) as number;
    let to = ipv4ToNumber(toText);
    if (to === undefined && /^\d{1,3}$/.test(toText) && Number(toText) <= 255) to = (from & ~255) + Number(toText);
    if (to === undefined || to < from) return bad(`bad address range '${hostPart}'`);
    if (to - from + 1 > MAX_TARGETS) return bad('address range too large');
    for (let n = from; n <= to; n++) hosts.push(numberToIpv4(n));
  } else {
    if (!validHost(hostPart)) return bad(`bad host '${hostPart}'`);
    hosts = [hostPart];
  }
  if (hosts.length * ports.length > MAX_TARGETS) return bad('range too large');
  const out: SnmpTarget[] = [];
  for (const host of hosts) for (const port of ports) out.push({ host, port });
  return { ok: true, value: out };
}

/** Expands a target specification; duplicates are dropped, order kept. */
export function parseTargets(spec: string, defaultPort = 161): Result<SnmpTarget[], TargetSpecError> {
  const entries = spec
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  const seen = new Set<string>();
  const out: SnmpTarget[] = [];
  for (const entry of entries) {
    const parsed = parseEntry(entry, defaultPort);
    if (!parsed.ok) return parsed;
    for (const t of parsed.value) {
      const key = targetKey(t);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(t);
      if (out.length > MAX_TARGETS) return { ok: false, error: { entry, message: `more than ${MAX_TARGETS} targets` } };
    }
  }
  return { ok: true, value: out };
}

export function targetKey(target: SnmpTarget): string {
  return `${target.host}:${target.port}`;
}

/** the name a unit goes by: `host` on the default port, `host:port` otherwise */
export function targetName(target: SnmpTarget, defaultPort = 161): string {
  return target.port === defaultPort ? target.host : targetKey(target);
}
