/**
 * The node's dry contacts at run time: a level from a message or from a Modbus digital-input module goes
 * through its contact's debounce (contacts.ts), and a settled change reaches the unit's alarms.
 */
import type { TimerSet } from '../../lib/timers';
import type { ContactInput, ContactRead } from './contacts';
import type { UnitState } from './fleet';

export type ContactEntry = { unit: UnitState; input: ContactInput };
export type ReadBits = (functionCode: 1 | 2, address: number, count: number) => Promise<boolean[]>;

export class ContactBank {
  constructor(
    private readonly byN: ReadonlyMap<number, ContactEntry>,
    private readonly timers: TimerSet,
    /** a contact's debounced state changed: its unit's message goes out */
    private readonly changed: (entry: ContactEntry) => void,
  ) {}

  entry(n: number): ContactEntry | undefined {
    return this.byN.get(n);
  }

  /** a raw level of contact `entry`; a bouncing level settles later, on a timer */
  input(entry: ContactEntry, level: 0 | 1, now = Date.now()): void {
    const r = entry.input.input(level, now);
    if (r.changed) this.settled(entry, now);
    else if (r.dueAt !== undefined) this.tickAt(entry, r.dueAt);
  }

  /**
   * One read cycle of the Modbus module: each planned read's bits go to their contacts; a failed read turns its
   * contacts comm_error. `outcome(key, failure)` hears of each read (undefined: it worked). True when all worked.
   */
  async readModule(reads: readonly ContactRead[], readBits: ReadBits | undefined, outcome: (key: string, members: string, failure?: Error) => void, missingLink: (members: string) => Error): Promise<boolean> {
    let good = true;
    for (const read of reads) {
      const members = read.members.map((m) => m.n).join(', ');
      const key = `modbus/${read.fc}/${read.address}`;
      let bits: boolean[] | undefined;
      let failure: Error | undefined;
      if (!readBits) failure = missingLink(members);
      else {
        try {
          bits = await readBits(read.fc, read.address, read.count);
          if (bits.length < read.count) throw new Error(`short answer: ${bits.length} of ${read.count} inputs`);
        } catch (err) {
          failure = err instanceof Error ? err : new Error(String(err));
        }
      }
      if (this.timers.isClosed) return false;
      outcome(key, members, failure);
      if (failure || !bits) {
        good = false;
        for (const m of read.members) {
          const entry = this.byN.get(m.n);
          if (entry && entry.input.commFail(Date.now())) this.settled(entry, Date.now());
        }
        continue;
      }
      for (const m of read.members) {
        const entry = this.byN.get(m.n);
        if (entry) this.input(entry, bits[m.offset] ? 1 : 0);
      }
    }
    return good;
  }

  private settled(entry: ContactEntry, now: number): void {
    entry.unit.alarms.applyContact(entry.input.config.alarm, entry.input.alarmActive, now);
    if (!entry.unit.target) entry.unit.readAt = now;
    this.changed(entry);
  }

  private tickAt(entry: ContactEntry, dueAt: number): void {
    this.timers.timeout(() => {
      const now = Date.now();
      const r = entry.input.tick(now);
      if (r.changed) this.settled(entry, now);
      else if (r.dueAt !== undefined) this.tickAt(entry, r.dueAt);
    }, Math.max(0, dueAt - Date.now()));
  }
}
