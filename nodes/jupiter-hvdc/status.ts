/**
 * The jupiter-hvdc node's status: the runtime's fleet summary over the SNMP units (with the active alarm count),
 * a contacts-only node's own, and a "not on link" warning while a name row points past the link's list.
 */
import { fleetStatus, summarize } from '../../lib/device/runtime';
import type { NodeStatus, Translate, statusVocabulary } from '../../lib/status';
import type { UnitState } from './fleet';
import { missingSummary, type MissingUnit } from './naming';

export class JupiterStatus {
  private readonly snmpUnits: UnitState[];

  constructor(
    private readonly units: readonly UnitState[],
    private readonly notOnLink: readonly MissingUnit[],
    private readonly t: Translate,
    private readonly vocabulary: ReturnType<typeof statusVocabulary>,
  ) {
    this.snmpUnits = units.filter((u) => u.target);
  }

  /** before any poll: not configured, connecting, or contacts only */
  initial(): NodeStatus {
    const { t, vocabulary } = this;
    if (this.units.length === 0) return this.notOnLink.length > 0 ? { fill: 'yellow', shape: 'ring', text: this.notOnLinkText() } : vocabulary.notConfigured();
    if (this.snmpUnits.length > 0) return this.warn(vocabulary.connecting());
    return this.warn(vocabulary.ok(Date.now(), t('jupiter-hvdc.status.contactsOnly')));
  }

  /** after a poll, a trap or a contact change; undefined: keep the status shown */
  current(): NodeStatus | undefined {
    const { t, vocabulary } = this;
    const active = this.units.reduce((n, u) => n + u.alarms.active().length, 0);
    if (this.snmpUnits.length === 0) {
      if (this.units.length === 0) return undefined;
      if (this.units.some((u) => u.contacts.some((c) => c.state === 'comm_error'))) return vocabulary.error(t('jupiter-hvdc.status.contactComm'));
      return this.warn(vocabulary.ok(Date.now(), t('jupiter-hvdc.status.alarms', { count: active })));
    }
    const s = fleetStatus(vocabulary, summarize(this.snmpUnits), {
      detail: (good, total) => t('jupiter-hvdc.status.units', { good, total }) + (active > 0 ? ' ' + t('jupiter-hvdc.status.alarms', { count: active }) : ''),
      noneGood: (sum) => vocabulary.error(t('jupiter-hvdc.status.noUnit', { total: sum.total })),
    });
    return s && this.warn(s);
  }

  /** `rack-3 not on link`, appended while a name row points past the link's list */
  private notOnLinkText(): string {
    return this.notOnLink.length > 0 ? this.t('jupiter-hvdc.status.notOnLink', { name: missingSummary(this.notOnLink) }) : '';
  }

  private warn(s: NodeStatus): NodeStatus {
    return this.notOnLink.length === 0 || s.fill === 'red' ? s : { ...s, fill: 'yellow', text: `${s.text ?? ''} ${this.notOnLinkText()}`.trim() };
  }
}
