/**
 * The face of the snmp-endpoint link that device nodes use (jupiter-hvdc, and bacs for its SNMP module route).
 * The link owns the sessions, batching, concurrency bound and trap receiver; nodes only ask for values.
 */
export type SnmpValue = number | bigint | string | boolean | Buffer | null;

export interface SnmpVarbind {
  oid: string;
  /** net-snmp ObjectType number */
  type: number;
  value: SnmpValue;
  /** set when the agent answered noSuchObject / noSuchInstance / endOfMibView for this OID */
  error?: 'noSuchObject' | 'noSuchInstance' | 'endOfMibView';
}

export interface SnmpTarget {
  /** host or host:port as the user typed it; also the unit's default name */
  host: string;
  port: number;
}

export interface SnmpTrap {
  target: SnmpTarget | undefined;
  sourceAddress: string;
  trapOid: string;
  varbinds: SnmpVarbind[];
  receivedAt: number;
  /** source UDP port of the notification */
  sourcePort?: number;
  /** 'trap' or 'inform' (informs were acknowledged by the receiver) */
  kind?: 'trap' | 'inform';
  /** SNMP version of the notification: 'v1', 'v2c' or 'v3' */
  version?: 'v1' | 'v2c' | 'v3';
  /** v1 traps only: the fields the RFC 3584 trapOid was made from */
  v1?: { enterprise: string; agentAddr: string; generic: number; specific: number };
}

/** The end of a link request: an error, or its result. It may be called before the request call returns. */
export type SnmpDone<T> = (err: Error | null, result?: T) => void;

export interface SnmpLink {
  /** the targets this link serves (a list or a host range expanded) */
  targets(): SnmpTarget[];
  /**
   * GET of many OIDs, ending in `done`: the form a poll cycle uses. A promise made at send time and resolved with
   * the answer a round trip later costs V8 more than the answer is worth (README, "Performance"), and this runs
   * once per unit-poll. Per-OID errors are in the varbinds.
   */
  getThen(target: SnmpTarget, oids: string[], done: SnmpDone<SnmpVarbind[]>): void;
  /** walk of a subtree, ending in `done` (see getThen) */
  walkThen(target: SnmpTarget, baseOid: string, done: SnmpDone<SnmpVarbind[]>): void;
  /** getThen as a promise, for requests made now and then (a dialog, a test) */
  get(target: SnmpTarget, oids: string[]): Promise<SnmpVarbind[]>;
  /** walkThen as a promise */
  walk(target: SnmpTarget, baseOid: string): Promise<SnmpVarbind[]>;
  onTrap(listener: (trap: SnmpTrap) => void): () => void;
}

/**
 * What the snmp-endpoint config node offers its user nodes (`RED.nodes.getNode(config.link)`): the SnmpLink
 * calls plus registration, so the link can tell who uses it and delegate its status to them.
 */
export interface SnmpEndpoint extends SnmpLink {
  /** every user node registers on start and deregisters in its close handler */
  register(node: { id: string }): void;
  deregister(node: { id: string }): void;
  /** the unit's display name: `host` on the link's default port, `host:port` otherwise */
  targetName(target: SnmpTarget): string;
  /** the port a target without `:port` gets */
  readonly defaultPort: number;
  /** settings problem found at start (bad target list, missing credentials); undefined when usable */
  readonly configError: string | undefined;
}
