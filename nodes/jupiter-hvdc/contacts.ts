/**
 * Dry contacts of a Jupiter unit (docs/jupiter-hvdc.md §5): each contact drives one catalogue alarm, wired normally
 * open (alarm when closed) or normally closed (alarm when open — fail-safe: a broken wire also raises it), with a
 * debounce (the state must hold that long). States arrive as messages (`contact/<n>`, boolean or 0/1, e.g. from an
 * rpi-gpio node) or are polled from a Modbus digital-input module. A module that does not answer is `comm_error`,
 * never "open": with NC wiring that is what separates "alarm" from "cannot tell". Pure logic: the clock is passed in;
 * the node owns the timers.
 */
import { jupiterAlarm } from './alarms';

export type ContactType = 'NO' | 'NC';
export type ContactState = 'closed' | 'open' | 'comm_error' | 'unknown';

export interface ModbusPoint {
  /** 1 read coils, 2 read discrete inputs */
  fc: 1 | 2;
  /** data address in the numbering of the modbus-endpoint link (its 0- or 1-based setting converts it) */
  address: number;
  /** which bit of the block read from `address` (boards that only answer whole bytes: address 0, bit 0–7) */
  bit: number;
}

export interface ContactConfig {
  /** contact number: messages with topic `contact/<n>` set it */
  n: number;
  label: string;
  /** the unit it belongs to (a unit name; a unit without SNMP target is a contacts-only unit) */
  unit: string;
  /** catalogue alarm id */
  alarm: string;
  type: ContactType;
  /** the input level that means "contact closed": 1, or 0 for a pull-up input that reads 0 when closed */
  closedLevel: 0 | 1;
  debounceMs: number;
  source: 'message' | 'modbus';
  modbus?: ModbusPoint;
}

export function validateContacts(input: unknown): { ok: true; contacts: ContactConfig[] } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const contacts: ContactConfig[] = [];
  if (input === undefined || input === null || input === '') return { ok: true, contacts };
  if (!Array.isArray(input)) return { ok: false, errors: ['contacts must be a list'] };
  const seen = new Set<number>();
  input.forEach((raw: unknown, i) => {
    const where = `contact ${i + 1}`;
    if (typeof raw !== 'object' || raw === null) {
      errors.push(`${where}: not an object`);
      return;
    }
    const r = raw as Record<string, unknown>;
    const n = Number(r.n);
    if (!Number.isInteger(n) || n < 0 || n > 9999) {
      errors.push(`${where}: number must be an integer 0–9999`);
      return;
    }
    if (seen.has(n)) errors.push(`${where}: contact ${n} appears twice`);
    seen.add(n);
    const alarm = typeof r.alarm === 'string' ? r.alarm : '';
    if (!jupiterAlarm(alarm)) errors.push(`${where}: unknown alarm "${alarm}"`);
    const type: ContactType = r.type === 'NC' ? 'NC' : 'NO';
    if (r.type !== undefined && r.type !== 'NO' && r.type !== 'NC') errors.push(`${where}: type must be NO or NC`);
    const debounceMs = r.debounceMs === undefined || r.debounceMs === '' ? 25 : Number(r.debounceMs);
    if (!Number.isFinite(debounceMs) || debounceMs < 0 || debounceMs > 600000) errors.push(`${where}: debounce must be 0–600000 ms`);
    const source = r.source === 'modbus' ? 'modbus' : 'message';
    const cfg: ContactConfig = {
      n,
      label: typeof r.label === 'string' ? r.label : '',
      unit: typeof r.unit === 'string' ? r.unit.trim() : '',
      alarm,
      type,
      closedLevel: Number(r.closedLevel) === 0 ? 0 : 1,
      debounceMs: Number.isFinite(debounceMs) ? debounceMs : 25,
      source,
    };
    if (source === 'modbus') {
      const m = (typeof r.modbus === 'object' && r.modbus !== null ? r.modbus : {}) as Record<string, unknown>;
      const fc = Number(m.fc);
      const address = Number(m.address);
      const bit = m.bit === undefined || m.bit === '' ? 0 : Number(m.bit);
      if (fc !== 1 && fc !== 2) errors.push(`${where}: Modbus function must be 1 or 2`);
      if (!Number.isInteger(address) || address < 0 || address > 65535) errors.push(`${where}: Modbus address out of range`);
      if (!Number.isInteger(bit) || bit < 0 || bit > 63) errors.push(`${where}: bit must be 0–63`);
      cfg.modbus = { fc: fc === 1 ? 1 : 2, address, bit };
    }
    contacts.push(cfg);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, contacts };
}

/** Reads a contact message: topic `contact/<n>`, payload boolean or 0/1 (numbers or the strings "0"/"1"). */
export function parseContactMessage(topic: unknown, payload: unknown): { ok: true; n: number; level: 0 | 1 } | { ok: false; error: string } {
  if (typeof topic !== 'string') return { ok: false, error: 'no topic' };
  const m = /^contact\/(\d{1,4})$/.exec(topic.trim());
  if (!m) return { ok: false, error: `topic "${topic}" is not contact/<n>` };
  let level: 0 | 1 | undefined;
  if (payload === true || payload === 1 || payload === '1' || payload === 'true') level = 1;
  else if (payload === false || payload === 0 || payload === '0' || payload === 'false') level = 0;
  if (level === undefined) return { ok: false, error: `contact payload must be boolean or 0/1, got ${JSON.stringify(payload)?.slice(0, 40)}` };
  return { ok: true, n: Number(m[1]), level };
}

/** The debounced state of one contact. */
export class ContactInput {
  private accepted: ContactState = 'unknown';
  private pending: { state: 'closed' | 'open'; since: number } | undefined;
  private changedAt = 0;

  constructor(readonly config: ContactConfig) {}

  get state(): ContactState {
    return this.accepted;
  }

  get since(): number {
    return this.changedAt;
  }

  /** alarm active from the contact; undefined when the state is not known (unknown, comm_error) */
  get alarmActive(): boolean | undefined {
    if (this.accepted === 'closed') return this.config.type === 'NO';
    if (this.accepted === 'open') return this.config.type === 'NC';
    return undefined;
  }

  /**
   * A new input level. Returns whether the accepted state changed now, and, when a change is waiting for the
   * debounce, when to call `tick` again.
   */
  input(level: 0 | 1, now: number): { changed: boolean; dueAt?: number } {
    const state: 'closed' | 'open' = level === this.config.closedLevel ? 'closed' : 'open';
    if (state === this.accepted) {
      this.pending = undefined; // a bounce back before the debounce ran out
      return { changed: false };
    }
    if (!this.pending || this.pending.state !== state) this.pending = { state, since: now };
    return this.tick(now);
  }

  /** Accepts a pending state once it has held for the debounce time. */
  tick(now: number): { changed: boolean; dueAt?: number } {
    if (!this.pending) return { changed: false };
    const due = this.pending.since + this.config.debounceMs;
    if (now < due) return { changed: false, dueAt: due };
    this.accepted = this.pending.state;
    this.changedAt = now;
    this.pending = undefined;
    return { changed: true };
  }

  /** The module did not answer: immediate, and any pending level is void. */
  commFail(now: number): boolean {
    this.pending = undefined;
    if (this.accepted === 'comm_error') return false;
    this.accepted = 'comm_error';
    this.changedAt = now;
    return true;
  }
}

export interface ContactRead {
  fc: 1 | 2;
  address: number;
  count: number;
  /** which contacts this read serves, and the index of each one's bit in the answer */
  members: { n: number; offset: number }[];
}

/**
 * Plans the fewest Modbus reads for polled contacts: per function code, neighbouring points share one read when
 * the gap between them is small (reading a few unused inputs is cheaper than another request).
 */
export function planContactReads(contacts: readonly ContactConfig[], maxGap = 16, maxCount = 2000): ContactRead[] {
  const reads: ContactRead[] = [];
  for (const fc of [1, 2] as const) {
    const points = contacts
      .filter((c) => c.source === 'modbus' && c.modbus?.fc === fc)
      .map((c) => ({ n: c.n, at: (c.modbus as ModbusPoint).address + (c.modbus as ModbusPoint).bit }))
      .sort((a, b) => a.at - b.at);
    let current: ContactRead | undefined;
    for (const p of points) {
      if (current && p.at - (current.address + current.count) <= maxGap && p.at - current.address < maxCount) {
        current.count = Math.max(current.count, p.at - current.address + 1);
        current.members.push({ n: p.n, offset: p.at - current.address });
      } else {
        current = { fc, address: p.at, count: 1, members: [{ n: p.n, offset: 0 }] };
        reads.push(current);
      }
    }
  }
  return reads;
}
