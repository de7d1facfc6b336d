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
}

export interface SnmpLink {
  /** the targets this link serves (a list or a host range expanded) */
  targets(): SnmpTarget[];
  get(target: SnmpTarget, oids: string[]): Promise<SnmpVarbind[]>;
  walk(target: SnmpTarget, baseOid: string): Promise<SnmpVarbind[]>;
  onTrap(listener: (trap: SnmpTrap) => void): () => void;
}
