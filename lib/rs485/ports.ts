/**
 * Serial ports for the rs485-bus dialog. serialport's list() needs udev on Linux and fails or returns nothing
 * in containers and minimal images, so the stable /dev/serial/by-id names and the usual device names are
 * added from the file system; nothing here may throw.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadSerialport } from './link';

export interface PortInfo {
  path: string;
  /** what the dialog shows beside the path */
  label?: string;
  source: 'serialport' | 'by-id' | 'dev';
}

const DEV_PATTERNS = [/^ttyUSB\d+$/, /^ttyACM\d+$/, /^ttyAMA\d+$/, /^ttyS[0-3]$/, /^serial\d+$/, /^ttyXRUSB\d+$/, /^ttyCH343USB\d+$/];

export function fallbackPorts(devDir = '/dev'): PortInfo[] {
  const out: PortInfo[] = [];
  const byId = path.join(devDir, 'serial', 'by-id');
  try {
    for (const name of fs.readdirSync(byId).sort()) {
      out.push({ path: path.join(byId, name), label: name, source: 'by-id' });
    }
  } catch {
    // no udev: no by-id directory
  }
  try {
    for (const name of fs.readdirSync(devDir).sort()) {
      if (DEV_PATTERNS.some((p) => p.test(name))) out.push({ path: path.join(devDir, name), source: 'dev' });
    }
  } catch {
    // unreadable /dev: nothing to add
  }
  return out;
}

async function fromSerialport(timeoutMs: number): Promise<PortInfo[]> {
  let mod;
  try {
    mod = loadSerialport();
  } catch {
    return [];
  }
  const listed = await Promise.race([
    mod.SerialPort.list().catch(() => []),
    new Promise<[]>((resolve) => setTimeout(() => resolve([]), timeoutMs).unref()),
  ]);
  return listed
    .filter((p) => typeof p.path === 'string' && p.path.length > 0)
    .map((p) => {
      const label = [p.manufacturer, p.serialNumber, p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : undefined]
        .filter((s): s is string => typeof s === 'string' && s.length > 0)
        .join(' ');
      return { path: p.path, label: label || undefined, source: 'serialport' as const };
    });
}

/** Every port found, de-duplicated by path, by-id names first (they survive re-plugging). */
export async function listSerialPorts(options: { devDir?: string; timeoutMs?: number } = {}): Promise<PortInfo[]> {
  const found = [...fallbackPorts(options.devDir), ...(await fromSerialport(options.timeoutMs ?? 3000))];
  const seen = new Set<string>();
  const order = { 'by-id': 0, serialport: 1, dev: 2 };
  return found
    .sort((a, b) => order[a.source] - order[b.source])
    .filter((p) => {
      if (seen.has(p.path)) return false;
      seen.add(p.path);
      return true;
    });
}
