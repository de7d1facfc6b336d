/** `dcpower walk`: SNMP walk of one unit into rows (oid, type, value) that a profile's vendor mapping is made from. */
import { Command, parse, printJson } from './cli';
import { SnmpClient } from '../lib/snmp/session';
import { parseTargets } from '../lib/snmp/targets';
import { sessionOptions, walkRows, WalkRow } from '../lib/snmp/settings';
import { defaultProfile, JupiterProfile } from '../nodes/jupiter-hvdc/profile';

/**
 * The walk as an editable jupiter-hvdc profile: the default profile (vendor rows keyed, without OIDs: no
 * guessed OIDs) with the walk attached under `walk`, so the user copies OIDs from `walk.rows` into `vendor`.
 * The profile importer ignores `walk`, so the file imports as it is and after editing.
 */
export function walkProfile(target: string, root: string, rows: WalkRow[]): JupiterProfile & { walk: object } {
  const profile = defaultProfile();
  const sys = rows.find((r) => r.oid === '1.3.6.1.2.1.1.2.0');
  const under = (base: string): boolean => rows.some((r) => r.oid.startsWith(base + '.'));
  const coversUps = '1.3.6.1.2.1.33'.startsWith(root) || root.startsWith('1.3.6.1.2.1.33');
  return {
    ...profile,
    name: `${profile.name} (walk of ${target})`,
    // only a walk that covered the UPS-MIB can say it is absent
    upsMib: coversUps ? under('1.3.6.1.2.1.33') : profile.upsMib,
    walk: { target, root, sysObjectID: sys ? String(sys.value) : undefined, rows },
  };
}

export const command: Command = {
  summary: 'SNMP walk of a unit into an editable profile (rows of oid, type, value)',
  usage: [
    'usage: dcpower walk <host[:port]> [--version v2c] [--community public] [--root 1.3.6.1] [--json]',
    '         [--user NAME --level authPriv --auth-protocol sha256 --auth-key KEY --priv-protocol aes --priv-key KEY]',
    '         [--timeout 2000] [--retries 1] [--max-repetitions 20] [--max-rows 20000]',
    '',
    'Walks the unit from --root (GETBULK on v2c/v3, GETNEXT on v1). Prints "oid = TYPE: value" lines, or with',
    '--json a jupiter-hvdc profile (import it in the node dialog) whose vendor rows are keyed but have no OIDs,',
    'with the walk attached as walk.rows [{ oid, type, value }]: copy OIDs from there into the vendor rows.',
    'Tip: walk 1.3.6.1 once and read sysObjectID (1.3.6.1.2.1.1.2.0, also in walk.sysObjectID) to learn the',
    'enterprise number. Keys given here stay out of the output.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parse(argv, {
      version: { type: 'string', default: 'v2c' },
      community: { type: 'string', default: 'public' },
      root: { type: 'string', default: '1.3.6.1' },
      json: { type: 'boolean', default: false },
      user: { type: 'string' },
      level: { type: 'string', default: 'authPriv' },
      'auth-protocol': { type: 'string', default: 'sha256' },
      'auth-key': { type: 'string' },
      'priv-protocol': { type: 'string', default: 'aes' },
      'priv-key': { type: 'string' },
      timeout: { type: 'string', default: '2000' },
      retries: { type: 'string', default: '1' },
      'max-repetitions': { type: 'string', default: '20' },
      'max-rows': { type: 'string', default: '20000' },
    });
    if (positionals.length !== 1) throw new Error('give one unit: dcpower walk <host[:port]>');
    const parsed = parseTargets(positionals[0], 161);
    if (!parsed.ok || parsed.value.length !== 1) throw new Error(`bad unit '${positionals[0]}'`);
    const target = parsed.value[0];
    const root = String(values.root).replace(/^\./, '');
    if (!/^\d+(\.\d+)*$/.test(root)) throw new Error(`bad --root '${values.root}'`);
    const options = sessionOptions({
      version: values.version,
      user: values.user,
      securityLevel: values.level,
      authProtocol: values['auth-protocol'],
      privProtocol: values['priv-protocol'],
      timeout: values.timeout,
      retries: values.retries,
      maxRepetitions: values['max-repetitions'],
    });
    if (options.version !== values.version) throw new Error('--version must be v1, v2c or v3');
    const client = new SnmpClient([target], options, {
      community: String(values.community),
      authKey: values['auth-key'] as string | undefined,
      privKey: values['priv-key'] as string | undefined,
    });
    try {
      const rows = walkRows(await client.walk(target, root, Number(values['max-rows']) || 20000));
      if (values.json) {
        printJson(walkProfile(positionals[0], root, rows));
      } else {
        for (const r of rows) process.stdout.write(`${r.oid} = ${r.type}: ${r.value}\n`);
        process.stderr.write(`${rows.length} rows\n`);
      }
      return rows.length > 0 ? 0 : 1;
    } finally {
      await client.close();
    }
  },
};
