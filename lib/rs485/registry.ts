/**
 * One bus per physical port in the whole process (docs/node-red-notes.md B2 #4, #9): two rs485-bus config nodes that
 * name the same serial device (directly or through a /dev/serial/by-id link) or the same gateway share one Rs485Bus
 * when their settings agree, and the second is refused with a clear error when they do not.
 */
import * as fs from 'fs';
import { BusOptions, Rs485Bus } from './bus';
import { describeLink, LinkSettings } from './link';

interface Entry {
  bus: Rs485Bus;
  users: Set<string>;
  signature: string;
  owner: string;
}

const buses = new Map<string, Entry>();

/** The identity of a physical link: the resolved device path, or host:port. */
export function linkKey(settings: LinkSettings): string {
  if (settings.kind === 'tcp') return `tcp:${settings.host.toLowerCase()}:${settings.port}`;
  let path = settings.path;
  try {
    path = fs.realpathSync(settings.path);
  } catch {
    // Not plugged in yet: key by the name given; the bus will retry until it appears.
  }
  return `serial:${path}`;
}

function signature(settings: LinkSettings, options: Partial<BusOptions>): string {
  const { gapMs, timeoutMs, echo } = options;
  return JSON.stringify({ link: describeLink(settings), gapMs, timeoutMs, echo });
}

export class PortInUseError extends Error {
  constructor(what: string, owner: string) {
    super(
      `${what} is already opened by rs485-bus "${owner}" with different settings; ` +
        `use that config node for every device on this port, or give both the same settings`,
    );
    this.name = 'PortInUseError';
  }
}

/**
 * Returns the shared bus for these settings, creating and starting it for the first user. `user` is a unique id
 * (the config node's id), `label` its name for error messages.
 */
export function acquireBus(user: string, label: string, settings: LinkSettings, options: Partial<BusOptions> = {}): Rs485Bus {
  const key = linkKey(settings);
  const sig = signature(settings, options);
  const existing = buses.get(key);
  if (existing) {
    if (existing.signature !== sig) throw new PortInUseError(describeLink(settings), existing.owner);
    existing.users.add(user);
    return existing.bus;
  }
  const bus = new Rs485Bus(settings, options);
  buses.set(key, { bus, users: new Set([user]), signature: sig, owner: label });
  bus.start();
  return bus;
}

/** Drops one user; the last one closes the port (awaited, so a redeploy reopens only after the close). */
export async function releaseBus(user: string, bus: Rs485Bus): Promise<void> {
  for (const [key, entry] of buses) {
    if (entry.bus !== bus) continue;
    entry.users.delete(user);
    if (entry.users.size > 0) return;
    buses.delete(key);
    await bus.close();
    return;
  }
  await bus.close();
}

/** How many buses are open in this process, for leak tests. */
export function openBusCount(): number {
  return buses.size;
}
