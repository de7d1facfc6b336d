/**
 * Datagrams for fuzzing an SNMP receiver: valid notifications as net-snmp sends them (v1 trap, v2c trap and
 * inform, v3 traps at every security level and a v3 inform's discovery request), captured without a socket,
 * and a seeded mutator that turns them into the kind of garbage a hostile network sends.
 */
import * as snmp from 'net-snmp';

/** v3 users the corpus is sent with; a receiver under test must know them to get past authentication */
export interface FuzzUser {
  name: string;
  level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol?: 'sha' | 'sha256';
  authKey?: string;
  privProtocol?: 'aes';
  privKey?: string;
}
export const FUZZ_USERS: FuzzUser[] = [
  { name: 'fuzz-noauth', level: 'noAuthNoPriv' },
  { name: 'fuzz-auth', level: 'authNoPriv', authProtocol: 'sha', authKey: 'fuzz-auth-key-1' },
  { name: 'fuzz-priv', level: 'authPriv', authProtocol: 'sha256', authKey: 'fuzz-auth-key-2', privProtocol: 'aes', privKey: 'fuzz-priv-key-2' },
];
export const FUZZ_COMMUNITY = 'public';

/** one varbind of every SNMP type net-snmp writes */
function varbinds(): Array<{ oid: string; type: number; value: unknown }> {
  const T = snmp.ObjectType;
  return [
    { oid: '1.3.6.1.4.1.32473.1.1.0', type: T.Integer, value: -42 },
    { oid: '1.3.6.1.4.1.32473.1.2.0', type: T.OctetString, value: 'rectifier 3 fault' },
    { oid: '1.3.6.1.4.1.32473.1.3.0', type: T.OID, value: '1.3.6.1.2.1.33.1.6.3.2' },
    { oid: '1.3.6.1.4.1.32473.1.4.0', type: T.IpAddress, value: '10.0.0.7' },
    { oid: '1.3.6.1.4.1.32473.1.5.0', type: T.Counter, value: 4000000000 },
    { oid: '1.3.6.1.4.1.32473.1.6.0', type: T.Gauge, value: 2415 },
    { oid: '1.3.6.1.4.1.32473.1.7.0', type: T.TimeTicks, value: 123456 },
    { oid: '1.3.6.1.4.1.32473.1.8.0', type: T.Opaque, value: Buffer.from([1, 2, 3]) },
    { oid: '1.3.6.1.4.1.32473.1.9.0', type: T.Counter64, value: Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]) },
    { oid: '1.3.6.1.4.1.32473.1.10.0', type: T.Null, value: null },
  ];
}

interface CaptureSession {
  trap(oid: string, vbs: unknown[], options: object, cb: (err: Error | null) => void): void;
  inform(oid: string, vbs: unknown[], cb: (err: Error | null) => void): void;
  cancelRequests(err: Error): void;
}

/** Builds the corpus: every datagram net-snmp would have sent, in order, captured by a stand-in socket. */
export function captureNotifications(): Array<{ label: string; datagram: Buffer }> {
  const out: Array<{ label: string; datagram: Buffer }> = [];
  let label = '';
  const dgramModule = {
    createSocket: () => ({
      on: () => undefined,
      unref: () => undefined,
      ref: () => undefined,
      close: () => undefined,
      bind: () => undefined,
      send: (buffer: Buffer, offset: number, length: number, ...rest: unknown[]) => {
        out.push({ label, datagram: Buffer.from(buffer.subarray(offset, offset + length)) });
        const cb = rest.find((r) => typeof r === 'function') as ((err: Error | null) => void) | undefined;
        cb?.(null);
      },
    }),
  };
  const common = { trapPort: 162, dgramModule, transport: 'udp4' };
  const ignore = (): void => undefined;
  const v1 = snmp.createSession('127.0.0.1', FUZZ_COMMUNITY, { ...common, version: snmp.Version1 } as unknown as snmp.SessionOptions) as unknown as CaptureSession;
  const v2 = snmp.createSession('127.0.0.1', FUZZ_COMMUNITY, { ...common, version: snmp.Version2c } as unknown as snmp.SessionOptions) as unknown as CaptureSession;
  label = 'v1 trap';
  v1.trap('1.3.6.1.2.1.33.2.3', varbinds(), { agentAddr: '127.0.0.1', upTime: 100 }, ignore);
  label = 'v2c trap';
  v2.trap('1.3.6.1.2.1.33.2.3', varbinds(), { upTime: 100 }, ignore);
  label = 'v2c inform';
  v2.inform('1.3.6.1.2.1.33.2.1', varbinds(), ignore);
  v2.cancelRequests(new Error('captured'));
  for (const user of FUZZ_USERS) {
    const u: Record<string, unknown> = { name: user.name, level: snmp.SecurityLevel[user.level] };
    if (user.authProtocol) Object.assign(u, { authProtocol: snmp.AuthProtocols[user.authProtocol], authKey: user.authKey });
    if (user.privProtocol) Object.assign(u, { privProtocol: snmp.PrivProtocols[user.privProtocol], privKey: user.privKey });
    const v3 = snmp.createV3Session('127.0.0.1', u as unknown as snmp.User, { ...common, version: snmp.Version3 } as unknown as snmp.SessionOptionsV3) as unknown as CaptureSession;
    label = `v3 ${user.level} trap`;
    v3.trap('1.3.6.1.2.1.33.2.3', varbinds(), { upTime: 100 }, ignore);
    label = `v3 ${user.level} inform discovery`;
    v3.inform('1.3.6.1.2.1.33.2.1', varbinds(), ignore);
    v3.cancelRequests(new Error('captured'));
  }
  return out;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere */
export { seededRandom } from './fuzz';

/** BER tags of the SNMP value types, and the lengths and values that break decoders most often */
const TAGS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x30, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x47, 0x80, 0x81, 0x82, 0xa4, 0xa6, 0xa7, 0xa8];
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x88, 0xff, 0x2b, 0x1b];

/** One to four seeded mutations of a datagram: bit flips, tag swaps, long-form lengths, cuts, splices. */
export function mutate(input: Buffer, random: () => number): Buffer {
  let buf = Buffer.from(input);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const at = (): number => Math.floor(random() * Math.max(1, buf.length));
  const rounds = 1 + Math.floor(random() * 4);
  for (let r = 0; r < rounds && buf.length > 0; r++) {
    switch (Math.floor(random() * 9)) {
      case 0:
        buf[at()] ^= 1 << Math.floor(random() * 8);
        break;
      case 1:
        buf[at()] = pick(INTERESTING);
        break;
      case 2: {
        // swap a value's tag for another one (a known type read as another, or an unknown one)
        const tags = [...buf.keys()].filter((i) => TAGS.includes(buf[i]));
        if (tags.length > 0) buf[pick(tags)] = pick(TAGS);
        break;
      }
      case 3:
        buf = buf.subarray(0, at());
        break;
      case 4: {
        const i = at();
        const extra = Buffer.alloc(1 + Math.floor(random() * 8));
        for (let k = 0; k < extra.length; k++) extra[k] = Math.floor(random() * 256);
        buf = Buffer.concat([buf.subarray(0, i), extra, buf.subarray(i)]);
        break;
      }
      case 5: {
        // duplicate a slice (repeated varbinds, nested sequences)
        const i = at();
        const j = Math.min(buf.length, i + 1 + Math.floor(random() * 24));
        buf = Buffer.concat([buf.subarray(0, j), buf.subarray(i, j), buf.subarray(j)]);
        break;
      }
      case 6: {
        // grow an INTEGER content by a byte (values past 32 bits)
        const ints = [...buf.keys()].filter((i) => buf[i] === 0x02 && i + 1 < buf.length && buf[i + 1] >= 1 && buf[i + 1] <= 8);
        if (ints.length > 0) {
          const i = pick(ints);
          buf[i + 1] += 1;
          buf = Buffer.concat([buf.subarray(0, i + 2), Buffer.from([pick([0x00, 0x7f, 0x80, 0xff])]), buf.subarray(i + 2)]);
        }
        break;
      }
      case 7:
        buf[at()] = Math.floor(random() * 256);
        break;
      default:
        // a long-form length where a short one was
        buf[at()] = pick([0x81, 0x82, 0x84]);
    }
  }
  return buf;
}

/**
 * The 41-byte SNMPv2c InformRequest (community `public`) of the "hostile networks" issue: its only varbind,
 * sysUpTime.0, is a BER BIT STRING (0x03). net-snmp decodes it, then throws "Unknown type '3' in request"
 * while it encodes the acknowledgement, inside its socket's 'message' listener.
 */
export const CRAFTED_INFORM = Buffer.from(
  [
    '30 27', //                                   SEQUENCE, 39 bytes
    '02 01 01', //                                version: v2c
    '04 06 70 75 62 6c 69 63', //                 community "public"
    'a6 1a', //                                   InformRequest-PDU, 26 bytes
    '02 01 01  02 01 00  02 01 00', //            request-id 1, error-status 0, error-index 0
    '30 0f  30 0d', //                            varbind list, one varbind
    '06 08 2b 06 01 02 01 01 03 00', //           sysUpTime.0
    '03 01 00', //                                BIT STRING: no SNMP type has tag 3
  ]
    .join(' ')
    .replace(/\s+/g, ''),
  'hex',
);
