/**
 * The BACS adapter's poll: how one controller is read over the modbus-endpoint link (status block, strings, and
 * the modules over Modbus or over the snmp-endpoint's tables) and how the answers become one BacsReading.
 */
import { ModbusError } from '../../lib/modbus/client';
import type { ModbusLink } from '../../lib/modbus/link';
import type { RegisterSnapshot } from '../../lib/wire/modbus-planner';
import { asError } from '../../lib/red';
import type { SnmpEndpoint, SnmpTarget } from '../../lib/snmp/types';
import { decodeGeneral, decodeModule, decodeString, GeneralReading, MODBUS_MAX_STRINGS, ModuleReading, pollRanges, setBits, StringReading, stringSizes } from './registers';
import { BacsReading, BacsSettings, mergeStrings } from './settings';
import { readSnmpTables } from './snmp';

export interface Counts {
  strings: number;
  modules: number;
}

export interface BacsPoll {
  general: GeneralReading;
  reading: BacsReading;
  /** status 0x0000: the web manager lost its internal communication; no strings or modules */
  commLost: boolean;
  /** the SNMP module route failed this poll (the rest was read) */
  snmpError?: Error;
}

/** What the adapter keeps between polls: the system's string and module counts once known. */
export class BacsAdapter {
  private counts: Counts | undefined;

  constructor(
    private readonly link: ModbusLink,
    private readonly snmp: SnmpEndpoint | undefined,
    private readonly settings: BacsSettings,
    /** text of the error for an SNMP link without the controller's target */
    private readonly noSnmpTarget: () => string,
  ) {
    this.counts = settings.countSource === 'fixed' ? { strings: settings.fixedStrings, modules: settings.fixedModules } : undefined;
  }

  /** Reads the controller; throws what the link throws (ModbusError) when the status block is not read. */
  async poll(): Promise<BacsPoll> {
    const settings = this.settings;
    const { snapshot, general } = await this.readModbus();
    if (!general) throw new ModbusError('protocol', 'general block not read');
    const used = this.counts ?? { strings: general.stringCount ?? 0, modules: general.moduleCount ?? 0 };
    const sizes = stringSizes(used.modules, used.strings, settings.stringSizes);
    const reading: BacsReading = {
      status: general.status.flags,
      statusWord: general.status.word,
      batteryStatusWord: general.batteryStatusWord,
      batteryStatusBits: general.batteryStatusWord === undefined ? undefined : setBits(general.batteryStatusWord),
      alarmFlagsWord: general.alarmFlagsWord,
      alarmFlagBits: general.alarmFlagsWord === undefined ? undefined : setBits(general.alarmFlagsWord),
      stringCount: general.stringCount,
      moduleCount: general.moduleCount,
    };
    if (general.status.unknownBits.length > 0) reading.statusUnknownBits = general.status.unknownBits;
    const commLost = general.status.communicationLost;
    if (commLost) return { general, reading, commLost };
    const strings: StringReading[] = [];
    for (let s = 1; s <= Math.min(MODBUS_MAX_STRINGS, used.strings); s++) strings.push(decodeString(snapshot, s, settings.stringScales));
    reading.strings = strings;
    if (settings.moduleSource === 'modbus' && !settings.templateProblem) {
      const modules: ModuleReading[] = [];
      for (let id = 1; id <= used.modules; id++) modules.push(decodeModule(snapshot, settings.template, id, sizes));
      reading.modules = modules;
      reading.moduleTemplateVerified = settings.template.verified;
      reading.moduleSource = 'modbus';
    } else if (settings.moduleSource === 'snmp' && this.snmp) {
      // The verified route: module (and string) tables over SNMP. A failed walk costs the modules of this poll,
      // not the status and strings read over Modbus.
      try {
        const target = snmpTargetOf(this.snmp, settings.snmpTarget, this.link.settings.host);
        if (!target) throw new Error(this.noSnmpTarget());
        const tables = await readSnmpTables(this.snmp, target, sizes, settings.template.stateCodes);
        reading.modules = tables.modules;
        reading.moduleSource = 'snmp';
        // values are verified on this route, the state codes are the template's map (docs/bacs.md §4.3)
        reading.moduleTemplateVerified = settings.template.verified;
        if (tables.strings.length > 0) reading.strings = mergeStrings(reading.strings ?? [], tables.strings);
      } catch (err) {
        return { general, reading, commLost, snmpError: asError(err) };
      }
    }
    return { general, reading, commLost };
  }

  private async readModbus(): Promise<{ snapshot: RegisterSnapshot; general: GeneralReading | undefined }> {
    const settings = this.settings;
    const template = settings.moduleSource === 'modbus' && !settings.templateProblem ? settings.template : undefined;
    const known = this.counts ?? { strings: MODBUS_MAX_STRINGS, modules: 0 };
    const first = await this.link.readPlan(pollRanges(template, known.strings, known.modules));
    const snapshot = first.snapshot;
    const general = decodeGeneral(snapshot);
    if (settings.countSource === 'register' && general && !general.status.communicationLost) {
      const now = { strings: general.stringCount ?? 0, modules: Math.min(512, general.moduleCount ?? 0) };
      if (!this.counts || now.strings !== this.counts.strings || now.modules !== this.counts.modules) {
        // The system changed (or this is the first poll): read what the new counts add, once.
        const missing = pollRanges(template, now.strings, now.modules).filter((r) => !snapshot.has(r.address, r.count));
        if (missing.length > 0) {
          const more = await this.link.readPlan(missing);
          for (const r of missing) {
            const values = more.snapshot.slice(r.address, r.count);
            if (values) snapshot.set(r.address, values);
          }
        }
        this.counts = now;
      }
    }
    return { snapshot, general };
  }
}

function snmpTargetOf(link: SnmpEndpoint, wanted: string, fallbackHost: string): SnmpTarget | undefined {
  const targets = link.targets();
  const name = wanted || fallbackHost;
  return targets.find((t) => t.host === name || `${t.host}:${t.port}` === name) ?? (wanted ? undefined : targets[0]);
}
