/**
 * SNMP agent for the BACS simulator: serves the BACS module table (1.3.6.1.2.1.33.5.2.5.1) and string table
 * (.7.1) with the scales the Checkmk plugins use (voltage ×100, temperature ×10, resistance ×100, string values
 * ×100), plus bacsNumStrings/bacsNumBatteries, from the same simulated battery as the Modbus server. Column .4
 * of the module table carries the equalizing level here: its meaning on a real controller is unverified.
 */
import * as snmp from 'net-snmp';
import type { BacsSimulator } from './simulator';
import { BACS_MODULE_TABLE, BACS_STRING_TABLE, SNMP_MODULE_COLUMNS, SNMP_STRING_COLUMNS } from './snmp';
import { MODULE_STATES } from './registers';

interface Mib {
  registerProvider(provider: object): void;
  addTableRow(name: string, row: Array<number | string>): void;
  setTableSingleCell(name: string, column: number, row: number[], value: number): void;
  setScalarValue(name: string, value: number): void;
}
interface Agent {
  getMib(): Mib;
  getAuthorizer(): { addCommunity(c: string): void };
  close(): void;
}

export interface BacsSnmpOptions {
  port: number;
  host?: string;
  community?: string;
  /** number rows from 0 as some firmware does (the Checkmk plugin then adds 1) */
  zeroBasedIndex?: boolean;
}

const RO = snmp.MaxAccess['read-only'];
const INT = snmp.ObjectType.Integer;

export class BacsSnmpAgent {
  private agent: Agent | undefined;
  private timer: NodeJS.Timeout | undefined;
  requests = 0;

  constructor(private readonly sim: BacsSimulator, private readonly options: BacsSnmpOptions) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const agent = snmp.createAgent({ port: this.options.port, address: this.options.host ?? '127.0.0.1', disableAuthorization: false }, (err: Error | null) => {
        if (err && !settled) {
          settled = true;
          reject(err);
        }
      }) as Agent;
      this.agent = agent;
      agent.getAuthorizer().addCommunity(this.options.community ?? 'public');
      const mib = agent.getMib();
      const column = (number: number, name: string) => ({ number, name, type: INT, maxAccess: RO });
      mib.registerProvider({
        name: 'bacsModuleTable',
        type: snmp.MibProviderType.Table,
        oid: BACS_MODULE_TABLE,
        maxAccess: snmp.MaxAccess['not-accessible'],
        tableColumns: [column(1, 'bacsModuleIndex'), column(2, 'bacsModuleVoltage'), column(3, 'bacsModuleTemperture'), column(4, 'bacsModuleColumn4'), column(5, 'bacsModuleResistance'), column(6, 'bacsModuleState')],
        tableIndex: [{ columnName: 'bacsModuleIndex' }],
      });
      mib.registerProvider({
        name: 'bacsStringTable',
        type: snmp.MibProviderType.Table,
        oid: BACS_STRING_TABLE,
        maxAccess: snmp.MaxAccess['not-accessible'],
        tableColumns: [column(1, 'bacsStringIndex'), column(2, 'bacsStringCurrent'), column(3, 'bacsStringVoltage'), column(4, 'bacsStringAverageVoltage')],
        tableIndex: [{ columnName: 'bacsStringIndex' }],
      });
      mib.registerProvider({ name: 'bacsNumStrings', type: snmp.MibProviderType.Scalar, oid: '1.3.6.1.2.1.33.5.1.2', scalarType: INT, maxAccess: RO });
      mib.registerProvider({ name: 'bacsNumBatteries', type: snmp.MibProviderType.Scalar, oid: '1.3.6.1.2.1.33.5.1.3', scalarType: INT, maxAccess: RO });
      const first = this.options.zeroBasedIndex ? 0 : 1;
      this.sim.modules.forEach((_, i) => mib.addTableRow('bacsModuleTable', [first + i, 0, 0, 0, 0, 0]));
      this.sim.strings.forEach((_, i) => mib.addTableRow('bacsStringTable', [first + i, 0, 0, 0]));
      mib.setScalarValue('bacsNumStrings', this.sim.strings.length);
      mib.setScalarValue('bacsNumBatteries', this.sim.modules.length);
      this.refresh();
      this.timer = setInterval(() => this.refresh(), 1000);
      this.timer.unref?.();
      // net-snmp binds asynchronously; a short grace lets a bind error surface before we report success
      setTimeout(() => {
        if (!settled) {
          settled = true;
          resolve();
        }
      }, 50);
    });
  }

  /** Copies the simulator's values into the tables (every second, or now). */
  refresh(): void {
    const mib = this.agent?.getMib();
    if (!mib) return;
    const first = this.options.zeroBasedIndex ? 0 : 1;
    this.sim.modules.forEach((m, i) => {
      const row = [first + i];
      const lost = m.lost;
      const state = MODULE_STATES.findIndex((s) => s.id === m.state);
      // the reader's columns and scales (snmp.ts), encoded: one table for both directions
      for (const [column, spec] of Object.entries(SNMP_MODULE_COLUMNS)) {
        if (spec.key === 'index') continue;
        const value = spec.key === 'state' ? (lost ? 9 : state) : lost ? 0 : Math.round(m[spec.key] * spec.divisor);
        mib.setTableSingleCell('bacsModuleTable', Number(column), row, value);
      }
      // column 4 is not read (its meaning is unverified); the simulator puts the equalizing level there
      mib.setTableSingleCell('bacsModuleTable', 4, row, lost ? 0 : Math.round(m.equalizing));
    });
    this.sim.strings.forEach((s, i) => {
      const row = [first + i];
      for (const [column, spec] of Object.entries(SNMP_STRING_COLUMNS)) {
        if (spec.key !== 'index') mib.setTableSingleCell('bacsStringTable', Number(column), row, Math.round(s[spec.key] * spec.divisor));
      }
    });
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const agent = this.agent;
    this.agent = undefined;
    if (!agent) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        agent.close();
      } catch {
        // already closed
      }
      setTimeout(resolve, 20);
    });
  }
}
