/** The fast-path BER codec: request bytes as the SNMP RFCs encode them, responses decoded, garbage refused. */
import { expect } from 'chai';
import { decodeResponse, encodeOidContent, getRequestTemplate, withRequestId } from '../../lib/snmp/ber';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SNMP BER fast path (unit)', () => {
  it('encodes a v2c GetRequest for sysDescr.0 byte for byte as snmpget does, with the request id patched', () => {
    const t = getRequestTemplate(1, 'public', ['1.3.6.1.2.1.1.1.0']);
    expect(t.ok).to.equal(true);
    if (!t.ok) return;
    const msg = withRequestId(t.value, 0x12345678);
    expect(msg.toString('hex')).to.equal(
      '3029' + '020101' + '0406' + Buffer.from('public').toString('hex') + 'a01c' + '020412345678' + '020100' + '020100' + '300e300c06082b060102010101000500',
    );
  });

  it('encodes large arcs in base 128 and refuses non-numeric OIDs', () => {
    expect(encodeOidContent('1.3.6.1.4.1.32473.240')).to.deep.equal([0x2b, 6, 1, 4, 1, 0x81, 0xfd, 0x59, 0x81, 0x70]);
    expect(encodeOidContent('1.3.6.x')).to.equal(undefined);
    expect(encodeOidContent('5.1')).to.equal(undefined);
    expect(getRequestTemplate(1, 'public', ['sysDescr.0']).ok).to.equal(false);
  });

  // GetResponse, v2c, community "public", id 0x01020304: INTEGER -5, OCTET "J540", Counter64 2^40,
  // Gauge32 4294967295, OID 1.3.6.1.4.1.32473.240, IpAddress 10.0.0.7, noSuchObject
  const response = (() => {
    const vb = (oid: string, value: string): string => {
      const o = '06' + (oid.length / 2).toString(16).padStart(2, '0') + oid;
      const body = o + value;
      return '30' + (body.length / 2).toString(16).padStart(2, '0') + body;
    };
    const vbs =
      vb('2b0601020121010206' + '00', '0201fb') +
      vb('2b0601020121010102' + '00', '04044a353430') +
      vb('2b06010201010300', '4606010000000000') +
      vb('2b06010201010400', '420500ffffffff') +
      vb('2b06010201010200', '060a2b06010401' + '81fd598170') +
      vb('2b06010201010500', '40040a000007') +
      vb('2b06010201016300', '8000');
    const varbindList = '30' + '81' + (vbs.length / 2).toString(16).padStart(2, '0') + vbs;
    const pduBody = '020401020304' + '020100' + '020100' + varbindList;
    const pdu = 'a2' + '81' + (pduBody.length / 2).toString(16).padStart(2, '0') + pduBody;
    const body = '020101' + '0406' + Buffer.from('public').toString('hex') + pdu;
    return hex('30' + '81' + (body.length / 2).toString(16).padStart(2, '0') + body);
  })();

  it('decodes a response with every value type the link meets', () => {
    const r = decodeResponse(response);
    expect(r.ok, r.ok ? '' : r.error.message).to.equal(true);
    if (!r.ok) return;
    const m = r.value;
    expect(m).to.include({ version: 1, community: 'public', pduType: 0xa2, requestId: 0x01020304, errorStatus: 0, errorIndex: 0 });
    expect(m.varbinds.map((v) => v.oid)).to.deep.equal([
      '1.3.6.1.2.1.33.1.2.6.0', '1.3.6.1.2.1.33.1.1.2.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.4.0', '1.3.6.1.2.1.1.2.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.99.0',
    ]);
    expect(m.varbinds[0]).to.include({ type: 2, value: -5 });
    expect(String(m.varbinds[1].value)).to.equal('J540');
    expect((m.varbinds[2].value as Buffer).toString('hex')).to.equal('0000010000000000');
    expect(m.varbinds[3]).to.include({ type: 66, value: 4294967295 });
    expect(m.varbinds[4]).to.include({ type: 6, value: '1.3.6.1.4.1.32473.240' });
    expect(m.varbinds[5]).to.include({ type: 64, value: '10.0.0.7' });
    expect(m.varbinds[6]).to.include({ type: 128, value: null });
  });

  it('reuses the asked OID text when the answer repeats the asked bytes', () => {
    const t = getRequestTemplate(1, 'public', ['1.3.6.1.2.1.33.1.2.6.0']);
    if (!t.ok) throw new Error('template');
    const r = decodeResponse(response, t.value);
    expect(r.ok && r.value.varbinds[0].oid).to.equal('1.3.6.1.2.1.33.1.2.6.0');
    expect(r.ok && r.value.varbinds[1].oid).to.equal('1.3.6.1.2.1.33.1.1.2.0');
  });

  /** A one-varbind GetResponse whose name has the given OID content bytes and whose value is the given TLV. */
  const withOid = (oidContent: string, value = '0500'): Buffer => {
    const len = (hexBody: string): string => {
      const n = hexBody.length / 2;
      return n < 0x80 ? n.toString(16).padStart(2, '0') : '81' + n.toString(16).padStart(2, '0');
    };
    const o = '06' + len(oidContent) + oidContent;
    const vb = '30' + len(o + value) + o + value;
    const list = '30' + len(vb) + vb;
    const pduBody = '020401020304' + '020100' + '020100' + list;
    const body = '020101' + '0406' + Buffer.from('public').toString('hex') + 'a2' + len(pduBody) + pduBody;
    return hex('30' + len(body) + body);
  };

  it('takes arcs up to 2^32 - 1 and refuses larger ones instead of producing 1.3.6.Infinity', () => {
    const max = decodeResponse(withOid('2b06' + '8fffffff7f'));
    expect(max.ok && max.value.varbinds[0].oid).to.equal('1.3.6.4294967295');
    const over = decodeResponse(withOid('2b06' + '9080808000')); // 2^32
    expect(over.ok).to.equal(false);
    if (!over.ok) expect(over.error).to.deep.include({ code: 'bad_value' });
    const huge = decodeResponse(withOid('2b06' + 'ff'.repeat(160) + '7f')); // would be Infinity as a double
    expect(huge.ok).to.equal(false);
    if (!huge.ok) expect(huge.error.message).to.match(/2\^32/);
    // the same in a value of type OID
    const value = decodeResponse(withOid('2b06010201010200', '0607' + '2b06' + '9080808000'));
    expect(value.ok).to.equal(false);
  });

  it('refuses an OID whose last byte still has the continuation bit set', () => {
    const r = decodeResponse(withOid('2b060181'));
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.error).to.deep.include({ code: 'bad_value' });
    expect(decodeResponse(withOid('2b06010201', '0603' + '2b0681')).ok).to.equal(false);
    expect(decodeResponse(withOid('2b0601')).ok).to.equal(true);
  });

  it('never throws: every truncation and random garbage gives an error result or a shorter decode', () => {
    for (let n = 0; n < response.length; n++) {
      const r = decodeResponse(response.subarray(0, n));
      expect(r.ok, `truncated at ${n}`).to.equal(false);
    }
    let seed = 42;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(response);
      for (let k = 0; k < 4; k++) junk[Math.floor(rand() * junk.length)] = Math.floor(rand() * 256);
      expect(() => decodeResponse(junk)).to.not.throw();
      const random = Buffer.alloc(Math.floor(rand() * 64)).map(() => Math.floor(rand() * 256));
      expect(() => decodeResponse(Buffer.from(random))).to.not.throw();
    }
  });
});
