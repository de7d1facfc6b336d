/**
 * snmp-endpoint: the config node that owns one SNMP target set (DESIGN principle 3). Device nodes
 * (jupiter-hvdc, bacs) register with it and ask for values through the SnmpEndpoint interface of
 * lib/snmp/types.ts; the sessions, batching, concurrency bound and trap receiver live here, once per link.
 */
import type { NodeAPI, Node, NodeDef } from '../../lib/red';
import { ErrorOnce, asError } from '../../lib/red';
import type { SnmpEndpoint, SnmpTarget, SnmpTrap, SnmpVarbind } from '../../lib/snmp/types';
import { SnmpClient, SnmpCredentials } from '../../lib/snmp/session';
import { SnmpEndpointConfig, num, sessionOptions, walkRows } from '../../lib/snmp/settings';
import { parseTargets, targetName } from '../../lib/snmp/targets';
import { DEFAULT_TRAP_PORT } from '../../lib/snmp/receiver';
import englishCatalogue from './locales/en-US/snmp-endpoint.json';

interface Credentials {
  community?: string;
  authKey?: string;
  privKey?: string;
}

type EndpointNode = Node<Credentials> & SnmpEndpoint & { client: SnmpClient | undefined };

/** English texts, for runtimes that have not loaded the catalogue (tests with node-red-node-test-helper) */
function fallbackText(key: string, subs: Record<string, string | number> = {}): string {
  let node: unknown = englishCatalogue;
  for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  if (typeof node !== 'string') return key;
  return node.replace(/__(\w+)__/g, (m, name: string) => (name in subs ? String(subs[name]) : m));
}

export = function (RED: NodeAPI): void {
  const text = (key: string, subs?: Record<string, string | number>): string => {
    const t = RED._(key, subs);
    return t === key ? fallbackText(key, subs) : t;
  };
  function SnmpEndpointNode(this: EndpointNode, config: SnmpEndpointConfig & NodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const users = new Map<string, { id: string }>();
    const errors = new ErrorOnce((err) => node.error(err, { topic: `snmp-endpoint/${config.name || node.id}` }));
    const options = sessionOptions(config);
    const defaultPort = num(config.port, 161, 1, 65535);
    const credentials: SnmpCredentials = {
      community: node.credentials?.community || (options.version === 'v3' ? undefined : 'public'),
      authKey: node.credentials?.authKey,
      privKey: node.credentials?.privKey,
    };
    let configError: string | undefined;
    let targets: SnmpTarget[] = [];
    const parsed = parseTargets(String(config.targets ?? ''), defaultPort);
    if (!parsed.ok) configError = text('snmp-endpoint.errors.badTargets', { entry: parsed.error.entry, reason: parsed.error.message });
    else targets = parsed.value;
    if (!configError && options.version === 'v3') {
      if (!options.user) configError = text('snmp-endpoint.errors.noUser');
      else if (options.securityLevel !== 'noAuthNoPriv' && !credentials.authKey) configError = text('snmp-endpoint.errors.noAuthKey');
      else if (options.securityLevel === 'authPriv' && !credentials.privKey) configError = text('snmp-endpoint.errors.noPrivKey');
    }

    const client = new SnmpClient(targets, options, credentials, {
      // socket-level problems (unparsable datagram, bind error) go to Catch once per distinct text
      onError: (err) => errors.report('transport', err),
    });
    node.client = client;
    if (configError) {
      errors.report('config', new Error(configError));
      node.status({ fill: 'red', shape: 'ring', text: text('common.status.error', { reason: text('snmp-endpoint.status.badConfig') }) });
    }

    if (config.trapEnabled && !configError) {
      client.startTrapReceiver({
        port: num(config.trapPort, DEFAULT_TRAP_PORT, 1, 65535),
        address: typeof config.trapAddress === 'string' && config.trapAddress ? config.trapAddress : '0.0.0.0',
        communities: credentials.community ? [credentials.community] : [],
        users:
          options.version === 'v3' && options.user
            ? [{ name: options.user, level: options.securityLevel ?? 'authPriv', authProtocol: options.authProtocol, authKey: credentials.authKey, privProtocol: options.privProtocol, privKey: credentials.privKey }]
            : [],
      });
    }

    const refuse = (): Promise<never> => Promise.reject(new Error(configError));
    Object.defineProperty(node, 'configError', { get: () => configError, enumerable: true });
    Object.defineProperty(node, 'defaultPort', { value: defaultPort, enumerable: true });
    node.targets = () => targets.slice();
    node.targetName = (target: SnmpTarget) => targetName(target, defaultPort);
    node.get = (target: SnmpTarget, oids: string[]) => (configError ? refuse() : client.get(target, oids));
    node.walk = (target: SnmpTarget, baseOid: string) => (configError ? refuse() : client.walk(target, baseOid));
    node.onTrap = (listener: (trap: SnmpTrap) => void) => client.onTrap(listener);
    node.register = (user: { id: string }) => {
      users.set(user.id, user);
    };
    node.deregister = (user: { id: string }) => {
      users.delete(user.id);
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      users.clear();
      client.close().then(
        () => done(),
        (err: unknown) => {
          node.warn(asError(err).message);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('snmp-endpoint', SnmpEndpointNode as unknown as (this: Node, config: NodeDef) => void, {
    credentials: {
      community: { type: 'password' },
      authKey: { type: 'password' },
      privKey: { type: 'password' },
    },
  });

  /**
   * The units a target list expands to, as the link will poll them, in order: the jupiter dialog names units by
   * their place in this list. `{ targets, port }` as the link's dialog holds them (saved or not).
   */
  RED.httpAdmin.post('/dcpower/snmp/targets', RED.auth.needsPermission('snmp-endpoint.read'), (req, res) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const defaultPort = num(body.port, 161, 1, 65535);
      const parsed = parseTargets(typeof body.targets === 'string' ? body.targets : '', defaultPort);
      if (!parsed.ok) {
        res.status(400).json({ error: text('snmp-endpoint.errors.badTargets', { entry: parsed.error.entry, reason: parsed.error.message }) });
        return;
      }
      res.json({ units: parsed.value.map((t) => ({ name: targetName(t, defaultPort), address: `${t.host}:${t.port}` })) });
    } catch (err) {
      res.status(500).json({ error: asError(err).message });
    }
  });

  /**
   * The jupiter dialog's "discover" button: walks one unit and returns rows (oid, type, value). Uses the
   * deployed link `id` when it exists (its stored credentials), else the settings and credentials in the body
   * (a link not deployed yet). Credentials in the body are used for this walk only, never stored or logged.
   */
  RED.httpAdmin.post('/dcpower/snmp/walk', RED.auth.needsPermission('snmp-endpoint.read'), (req, res) => {
    void (async () => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const root = typeof body.root === 'string' && /^\.?\d+(\.\d+)*$/.test(body.root) ? body.root.replace(/^\./, '') : '1.3.6.1';
      const maxRows = num(body.maxRows, 5000, 1, 50000);
      const id = typeof body.id === 'string' ? body.id : '';
      const deployed = id ? (RED.nodes.getNode(id) as EndpointNode | null) : null;
      let client: SnmpClient;
      let ownClient = false;
      let defaultPort: number;
      if (deployed && deployed.client && deployed.type === 'snmp-endpoint' && !deployed.configError) {
        client = deployed.client;
        defaultPort = deployed.defaultPort;
      } else {
        const opts = sessionOptions(body as Partial<Record<keyof SnmpEndpointConfig, unknown>>);
        defaultPort = num(body.port, 161, 1, 65535);
        const creds = (body.credentials ?? {}) as Record<string, unknown>;
        const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v !== '__PWRD__' ? v : undefined);
        client = new SnmpClient([], opts, { community: str(creds.community) ?? 'public', authKey: str(creds.authKey), privKey: str(creds.privKey) });
        ownClient = true;
      }
      const targetText = typeof body.target === 'string' ? body.target.trim() : '';
      const parsed = parseTargets(targetText, defaultPort);
      if (!parsed.ok || parsed.value.length !== 1) {
        res.status(400).json({ error: text('snmp-endpoint.errors.walkTarget') });
        if (ownClient) await client.close();
        return;
      }
      try {
        const varbinds = await client.walk(parsed.value[0], root, maxRows);
        res.json({ target: targetText, root, rows: walkRows(varbinds) });
      } catch (err) {
        res.status(502).json({ error: asError(err).message });
      } finally {
        if (ownClient) await client.close();
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) res.status(500).json({ error: asError(err).message });
    });
  });
};
