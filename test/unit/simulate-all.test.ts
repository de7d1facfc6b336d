import { expect } from 'chai';
import * as fs from 'fs';
import { exampleFiles } from '../../bin/demo';
import { EXAMPLE_SIMULATORS } from '../../bin/simulate-all';

interface ConfigNode {
  type: string;
  name?: string;
  link?: string;
  host?: string;
  port?: number;
  targets?: string;
  trapEnabled?: boolean;
  trapPort?: number;
}

function optionOf(device: string, option: string): string | undefined {
  const args = EXAMPLE_SIMULATORS.find((s) => s.name === device)?.args ?? [];
  const at = args.indexOf(option);
  return at >= 0 ? args[at + 1] : undefined;
}

/** Every device address an example's link names must be one `dcpower simulate all` serves. */
describe('dcpower simulate all serves exactly what the examples read', () => {
  const links = exampleFiles().flatMap((file) =>
    (JSON.parse(fs.readFileSync(file, 'utf8')) as ConfigNode[])
      .filter((n) => ['rs485-bus', 'modbus-endpoint', 'snmp-endpoint'].includes(n.type))
      .map((n) => ({ file, node: n })),
  );

  it('finds the examples\' links', () => {
    expect(links.length).to.be.at.least(4);
  });

  for (const { file, node } of links) {
    it(`${file.split('/').pop()}: ${node.type} "${node.name}"`, () => {
      if (node.type === 'rs485-bus') {
        expect(node.link).to.equal('tcp');
        expect(node.host).to.equal('127.0.0.1');
        expect(String(node.port)).to.equal(optionOf('jk', '--port'));
      } else if (node.type === 'modbus-endpoint') {
        expect(node.host).to.equal('127.0.0.1');
        expect(String(node.port)).to.equal(optionOf('bacs', '--port'));
      } else {
        const first = Number(optionOf('jupiter', '--port'));
        const units = Number(optionOf('jupiter', '--units'));
        expect(node.targets).to.equal(`127.0.0.1:${first}-${first + units - 1}`);
        if (node.trapEnabled) expect(optionOf('jupiter', '--trap-target')).to.equal(`127.0.0.1:${node.trapPort}`);
      }
    });
  }
});
