import { expect } from 'chai';
import { ContactInput, parseContactMessage, planContactReads, validateContacts, type ContactConfig } from '../../nodes/jupiter-hvdc/contacts';

const contact = (patch: Partial<ContactConfig> = {}): ContactConfig => ({
  n: 1, label: '', unit: 'rack1', alarm: 'ac_breaker_open', type: 'NO', closedLevel: 1, debounceMs: 50, source: 'message', ...patch,
});

describe('jupiter-hvdc contacts', () => {
  it('reads contact messages: boolean or 0/1 on contact/<n>', () => {
    expect(parseContactMessage('contact/3', true)).to.deep.equal({ ok: true, n: 3, level: 1 });
    expect(parseContactMessage('contact/3', 0)).to.deep.equal({ ok: true, n: 3, level: 0 });
    expect(parseContactMessage('contact/12', '1')).to.deep.equal({ ok: true, n: 12, level: 1 });
    expect(parseContactMessage('contact/x', 1).ok).to.equal(false);
    expect(parseContactMessage('contact/1', 2).ok).to.equal(false);
    expect(parseContactMessage('contact/1', { a: 1 }).ok).to.equal(false);
    expect(parseContactMessage(undefined, 1).ok).to.equal(false);
  });

  it('NO raises on closed, NC raises on open', () => {
    const no = new ContactInput(contact({ type: 'NO', debounceMs: 0 }));
    const nc = new ContactInput(contact({ type: 'NC', debounceMs: 0 }));
    expect(no.alarmActive).to.equal(undefined);
    no.input(1, 0);
    nc.input(1, 0);
    expect(no.state).to.equal('closed');
    expect(no.alarmActive).to.equal(true);
    expect(nc.alarmActive).to.equal(false);
    no.input(0, 1);
    nc.input(0, 1);
    expect(no.alarmActive).to.equal(false);
    expect(nc.alarmActive).to.equal(true);
  });

  it('honours an active-low input (pull-up GPIO reads 0 when closed)', () => {
    const c = new ContactInput(contact({ closedLevel: 0, debounceMs: 0 }));
    c.input(0, 0);
    expect(c.state).to.equal('closed');
  });

  it('debounces: a bounce shorter than the debounce time is ignored', () => {
    const c = new ContactInput(contact({ debounceMs: 50 }));
    expect(c.input(1, 0)).to.deep.equal({ changed: false, dueAt: 50 });
    expect(c.tick(50)).to.deep.equal({ changed: true });
    expect(c.state).to.equal('closed');
    // bounce: open for 20 ms, back to closed
    expect(c.input(0, 100).changed).to.equal(false);
    expect(c.input(1, 120).changed).to.equal(false);
    expect(c.tick(200).changed).to.equal(false);
    expect(c.state).to.equal('closed');
    // a real opening that holds
    c.input(0, 300);
    c.input(0, 320); // repeated level does not restart the wait
    expect(c.tick(349).changed).to.equal(false);
    expect(c.tick(350).changed).to.equal(true);
    expect(c.state).to.equal('open');
    expect(c.since).to.equal(350);
  });

  it('keeps communication failure apart from "open"', () => {
    const c = new ContactInput(contact({ type: 'NC', debounceMs: 0 }));
    c.input(1, 0);
    expect(c.commFail(10)).to.equal(true);
    expect(c.commFail(20)).to.equal(false);
    expect(c.state).to.equal('comm_error');
    expect(c.alarmActive).to.equal(undefined); // cannot tell, not an alarm
    c.input(1, 30);
    expect(c.state).to.equal('closed');
  });

  it('plans the fewest Modbus reads for polled contacts', () => {
    const m = (n: number, fc: 1 | 2, address: number, bit = 0): ContactConfig => contact({ n, source: 'modbus', modbus: { fc, address, bit } });
    const reads = planContactReads([m(1, 2, 0), m(2, 2, 3), m(3, 2, 0, 7), m(4, 1, 16), m(5, 2, 100), contact({ n: 6 })]);
    expect(reads).to.deep.equal([
      { fc: 1, address: 16, count: 1, members: [{ n: 4, offset: 0 }] },
      { fc: 2, address: 0, count: 8, members: [{ n: 1, offset: 0 }, { n: 2, offset: 3 }, { n: 3, offset: 7 }] },
      { fc: 2, address: 100, count: 1, members: [{ n: 5, offset: 0 }] },
    ]);
  });

  it('validates contact lists from the dialog', () => {
    const good = validateContacts([
      { n: 1, alarm: 'ac_breaker_open', type: 'NC', debounceMs: 25, unit: 'rack1' },
      { n: 2, alarm: 'load_breaker_open', source: 'modbus', modbus: { fc: 2, address: 1, bit: 0 } },
    ]);
    expect(good.ok).to.equal(true);
    if (good.ok) {
      expect(good.contacts[0]).to.include({ type: 'NC', closedLevel: 1 });
      expect(good.contacts[1].modbus).to.deep.equal({ fc: 2, address: 1, bit: 0 });
    }
    const bad = validateContacts([{ n: 1, alarm: 'nope' }, { n: 1, alarm: 'ac_breaker_open', type: 'XX' }, { n: 2, alarm: 'ac_breaker_open', source: 'modbus', modbus: { fc: 3, address: -1 } }]);
    expect(bad.ok).to.equal(false);
    if (!bad.ok) expect(bad.errors.length).to.be.greaterThanOrEqual(4);
    expect(validateContacts('junk').ok).to.equal(false);
    expect(validateContacts(undefined)).to.deep.equal({ ok: true, contacts: [] });
  });
});
