import { expect } from 'chai';
import { RegisterSnapshot, planReads, minimumRequests } from '../../lib/wire/modbus-planner';
import {
  DEFAULT_MODULE_TEMPLATE,
  decodeGeneral,
  decodeModule,
  decodeStatusWord,
  decodeString,
  deviceAlarms,
  equalizingLevel,
  modulePosition,
  normalizeTemplate,
  pollRanges,
  scaled,
  setBits,
  stringAddress,
  stringSizes,
  templateProblem,
} from '../../nodes/bacs/registers';

describe('BACS registers and decoders', () => {
  describe('general status word (register 1000)', () => {
    it('decodes the vendor example 0x0041 as running + float charging', () => {
      const s = decodeStatusWord(0x0041);
      expect(s.flags).to.deep.equal(['running', 'floatCharging']);
      expect(s.communicationLost).to.equal(false);
      expect(s.unknownBits).to.deep.equal([]);
    });

    it('treats 0x0000 as "web manager lost its internal communication", not as all clear', () => {
      const s = decodeStatusWord(0);
      expect(s.communicationLost).to.equal(true);
      expect(s.flags).to.deep.equal(['internalCommunicationLost']);
    });

    it('names every documented bit and reports the undocumented ones as bit numbers', () => {
      const s = decodeStatusWord(0xffff);
      expect(s.flags).to.have.length(14);
      expect(s.flags).to.include.members(['moduleLost', 'systemFailure', 'voltageOutOfRange', 'temperatureOutOfRange', 'resistanceOutOfRange', 'moduleAddressing', 'moduleSearching', 'dischargeStopped', 'equalizing', 'charging', 'discharging', 'connecting']);
      expect(s.unknownBits).to.deep.equal([14, 15]);
    });

    it('lists set bits of the undocumented words', () => {
      expect(setBits(0x8005)).to.deep.equal([0, 2, 15]);
      expect(setBits(0)).to.deep.equal([]);
    });
  });

  describe('string registers', () => {
    it('uses base 1010 + 5 × (s − 1)', () => {
      expect(stringAddress(1)).to.equal(1010);
      expect(stringAddress(2)).to.equal(1015);
      expect(stringAddress(10)).to.equal(1055);
    });

    it('decodes signed values with the configurable scale', () => {
      const snap = new RegisterSnapshot();
      snap.set(1015, [0xfff6, 545, 14, 2]);
      expect(decodeString(snap, 2)).to.deep.equal({ index: 2, current: -10, voltage: 545, averageVoltage: 14, rippleCurrent: 2 });
      snap.set(1015, [0xff9c, 5450, 136, 25]);
      expect(decodeString(snap, 2, { current: 0.1, voltage: 0.1, averageVoltage: 0.1, rippleCurrent: 0.1 })).to.deep.equal({
        index: 2,
        current: -10,
        voltage: 545,
        averageVoltage: 13.6,
        rippleCurrent: 2.5,
      });
    });

    it('leaves out what was not read', () => {
      expect(decodeString(new RegisterSnapshot(), 3)).to.deep.equal({ index: 3 });
    });
  });

  describe('general block', () => {
    it('decodes registers 1000-1004', () => {
      const snap = new RegisterSnapshot();
      snap.set(1000, [0x0041, 0x0003, 0x0100, 2, 40]);
      const g = decodeGeneral(snap);
      expect(g?.status.flags).to.deep.equal(['running', 'floatCharging']);
      expect(g).to.include({ batteryStatusWord: 3, alarmFlagsWord: 256, stringCount: 2, moduleCount: 40 });
      expect(decodeGeneral(new RegisterSnapshot())).to.equal(undefined);
    });
  });

  describe('scaling', () => {
    it('scales U16 and S16 without binary noise', () => {
      expect(scaled(1365, 'U16', 0.01)).to.equal(13.65);
      expect(scaled(0xff38, 'S16', 0.1)).to.equal(-20);
      expect(scaled(0xff38, 'U16', 1)).to.equal(65336);
      expect(scaled(253, 'S16', 0.1)).to.equal(25.3);
    });
  });

  describe('equalizing level', () => {
    it('names the levels of the web manager', () => {
      const cases: Array<[number, string]> = [
        [0, 'off'],
        [1, 'ecoPlus'],
        [20, 'ecoPlus'],
        [21, 'eco'],
        [40, 'eco'],
        [41, 'normal'],
        [60, 'normal'],
        [61, 'power'],
        [80, 'power'],
        [81, 'boost'],
        [100, 'boost'],
      ];
      for (const [percent, level] of cases) expect(equalizingLevel(percent), String(percent)).to.equal(level);
    });
  });

  describe('module numbering', () => {
    it('splits modules evenly: 72 in 6 strings, module 49 is string 5 position 1', () => {
      const sizes = stringSizes(72, 6);
      expect(sizes).to.deep.equal([12, 12, 12, 12, 12, 12]);
      expect(modulePosition(49, sizes)).to.deep.equal({ string: 5, position: 1 });
      expect(modulePosition(72, sizes)).to.deep.equal({ string: 6, position: 12 });
    });

    it('takes an explicit split, and puts modules beyond it in string 0', () => {
      const sizes = stringSizes(30, 2, [20, 8]);
      expect(modulePosition(21, sizes)).to.deep.equal({ string: 2, position: 1 });
      expect(modulePosition(29, sizes)).to.deep.equal({ string: 0, position: 29 });
    });

    it('copes with uneven counts and zero strings', () => {
      expect(stringSizes(10, 3)).to.deep.equal([4, 4, 2]);
      expect(stringSizes(5, 0)).to.deep.equal([5]);
    });
  });

  describe('module template (unverified placeholder)', () => {
    it('is marked unverified', () => {
      expect(DEFAULT_MODULE_TEMPLATE.verified).to.equal(false);
      expect(templateProblem(DEFAULT_MODULE_TEMPLATE)).to.equal(undefined);
    });

    it('decodes a module with scales, signedness, equalizing level and named state', () => {
      const t = DEFAULT_MODULE_TEMPLATE;
      const snap = new RegisterSnapshot();
      // module 22 of 40 in 2 strings: string 2, position 2
      snap.set(t.base + 21 * t.stride, [1365, 0xffce, 512, 35, 3]);
      const m = decodeModule(snap, t, 22, stringSizes(40, 2));
      expect(m).to.deep.equal({
        id: 22,
        string: 2,
        position: 2,
        voltage: 13.65,
        temperature: -5,
        resistance: 5.12,
        equalizing: 35,
        equalizingLevel: 'eco',
        stateCode: 3,
        state: 'temperatureWarning',
        available: true,
      });
    });

    it('names unknown state codes by number', () => {
      const t = DEFAULT_MODULE_TEMPLATE;
      const snap = new RegisterSnapshot();
      snap.set(t.base, [1300, 250, 500, 0, 77]);
      expect(decodeModule(snap, t, 1, [1]).state).to.equal('code 77');
    });

    it('reports a module whose data is not available', () => {
      const t = DEFAULT_MODULE_TEMPLATE;
      const snap = new RegisterSnapshot();
      snap.set(t.base, [0xffff, 0xffff, 0xffff, 0xffff, 0xffff]);
      const m = decodeModule(snap, t, 1, [1]);
      expect(m).to.deep.equal({ id: 1, string: 1, position: 1, available: false, state: 'dataNotAvailable' });
    });

    it('follows a user template (other base, stride, order, scales, disabled fields)', () => {
      const t = normalizeTemplate({
        base: 5000,
        stride: 8,
        fields: [
          { key: 'temperature', offset: 0, type: 'S16', scale: 1 },
          { key: 'voltage', offset: 3, type: 'U16', scale: 0.001 },
          { key: 'resistance', offset: -1, type: 'U16', scale: 1 },
        ],
      });
      expect(templateProblem(t)).to.equal(undefined);
      const snap = new RegisterSnapshot();
      snap.set(5008, [25, 0, 0, 2235]);
      expect(decodeModule(snap, t, 2, [2])).to.deep.equal({ id: 2, string: 1, position: 2, temperature: 25, voltage: 2.235, available: true });
      const ranges = pollRanges(t, 1, 2);
      expect(ranges).to.deep.include({ address: 5008, count: 4 });
    });

    it('rejects broken templates with a reason', () => {
      expect(templateProblem(null)).to.match(/missing/);
      expect(templateProblem({ base: -1, stride: 5, fields: [] })).to.match(/base/);
      expect(templateProblem({ base: 1, stride: 0, fields: [] })).to.match(/stride/);
      expect(templateProblem({ base: 1, stride: 2, fields: [{ key: 'voltage', offset: 2, type: 'U16', scale: 1 }] })).to.match(/offset/);
      expect(templateProblem({ base: 1, stride: 2, fields: [{ key: 'bogus', offset: 0, type: 'U16', scale: 1 }] })).to.match(/unknown/);
      expect(templateProblem({ base: 1, stride: 2, fields: [{ key: 'voltage', offset: 0, type: 'X', scale: 1 }] })).to.match(/type/);
      expect(templateProblem({ base: 1, stride: 2, fields: [{ key: 'voltage', offset: 0, type: 'U16', scale: 0 }] })).to.match(/scale/);
    });
  });

  describe('poll ranges', () => {
    it('reads 512 modules, 10 strings and the general block in the minimum number of requests', () => {
      const ranges = pollRanges(DEFAULT_MODULE_TEMPLATE, 10, 512);
      const plan = planReads(ranges);
      // 1000-1058 in one read; 2560 module registers in ceil(2560/125) = 21 reads
      expect(plan).to.have.length(22);
      expect(plan).to.have.length(minimumRequests(ranges));
    });

    it('reads strings beyond 10 not at all (their Modbus section is not public)', () => {
      const ranges = pollRanges(undefined, 12, 0);
      expect(ranges).to.have.length(11);
    });
  });

  describe('device alarms', () => {
    const texts = { flag: (id: string) => id, module: (id: number, state: string) => `${id} ${state}` };
    it('raise for alarm flags, the 0x0000 word and module states; not for informational flags', () => {
      const modules = [
        { id: 1, string: 1, position: 1, state: 'ok', available: true },
        { id: 2, string: 1, position: 2, state: 'voltageAlarm', available: true },
        { id: 3, string: 1, position: 3, state: 'dataNotAvailable', available: false },
      ];
      const alarms = deviceAlarms({ status: decodeStatusWord(0x0045) }, modules, () => 1, texts);
      expect(alarms.map((a) => [a.id, a.severity])).to.deep.equal([
        ['moduleLost', 'major'],
        ['module/2/voltageAlarm', 'major'],
        ['module/3/dataNotAvailable', 'major'],
      ]);
      const lost = deviceAlarms({ status: decodeStatusWord(0) }, [], () => 1, texts);
      expect(lost.map((a) => a.id)).to.deep.equal(['internalCommunicationLost']);
    });
  });
});

describe('bacs editor default template', () => {
  it('is the same as DEFAULT_MODULE_TEMPLATE (the dialog cannot import it)', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const fs = require('fs') as typeof import('fs');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const path = require('path') as typeof import('path');
    const html = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'nodes', 'bacs', 'bacs.html'), 'utf8');
    const m = /var DEFAULT_TEMPLATE = (\{[\s\S]*?\n {4}\});/.exec(html);
    expect(m, 'DEFAULT_TEMPLATE in bacs.html').to.not.equal(null);
    const fromHtml = new Function(`return ${(m as RegExpExecArray)[1]};`)() as unknown;
    expect(fromHtml).to.deep.equal(DEFAULT_MODULE_TEMPLATE);
  });
});
