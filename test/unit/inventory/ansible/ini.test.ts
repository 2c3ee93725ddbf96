// The INI reader on its own: Ansible's dialect and the line and column of everything it reads.
import { describe, expect, it } from 'vitest';
import { parseIniInventory } from '../../../../src/inventory/ansible/ini.js';
import { expandHostPattern } from '../../../../src/inventory/ansible/model.js';
import { refusedWith } from '../refused-with.js';

const problemsOf = (text: string): string[] => refusedWith(() => parseIniInventory(text, 'hosts.ini'));

describe('parseIniInventory', () => {
  it('reads ungrouped hosts, groups, children, :vars, quotes, ports and comments', () => {
    const inventory = parseIniInventory(
      [
        'solo ansible_host=10.0.0.9   # before any section',
        '[web]',
        'web1:2222 note="two words" count=3 flag=True',
        "  web2 ansible_host='10.0.0.12'",
        '; a comment',
        '[prod:children]',
        'web',
        '[prod:vars]',
        'ansible_port = 2200',
      ].join('\n'),
      'hosts.ini',
    );
    expect([...inventory.hosts.keys()]).toEqual(['solo', 'web1', 'web2']);
    expect(inventory.groups.get('ungrouped')?.hosts).toEqual(['solo']);
    expect(inventory.groups.get('prod')?.children).toEqual(['web']);
    const web1 = inventory.hosts.get('web1');
    expect(Object.fromEntries([...(web1?.vars ?? [])].map(([key, v]) => [key, v.value]))).toEqual({ note: 'two words', count: 3, flag: true, ansible_port: 2222 });
    expect(web1?.vars.get('count')?.at).toEqual({ file: 'hosts.ini', line: 3, column: 34 });
    expect(inventory.hosts.get('web2')?.at).toEqual({ file: 'hosts.ini', line: 4, column: 3 });
    // :vars values stay text, as Ansible keeps them.
    expect(inventory.groups.get('prod')?.vars.get('ansible_port')).toEqual({ value: '2200', at: { file: 'hosts.ini', line: 9, column: 16 } });
  });

  it('expands host ranges', () => {
    expect(expandHostPattern('web[08:10].lan')).toEqual(['web08.lan', 'web09.lan', 'web10.lan']);
    expect(expandHostPattern('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
    expect(expandHostPattern('n[1:5:2]')).toEqual(['n1', 'n3', 'n5']);
    expect(expandHostPattern('n[1-5]')).toEqual({ problem: "'[1-5]' is not a host range such as [01:50] or [a:f]" });
  });

  it('names the line and column of what it cannot read', () => {
    expect(problemsOf('[web\nweb1\n')).toEqual(["1:1 (ini): '[web' is not a section header such as [web], [web:vars] or [web:children]"]);
    expect(problemsOf('[web:hosts]\n')).toEqual(["1:1 [web:hosts]: unknown section kind 'hosts' (use [web], [web:vars] or [web:children])"]);
    expect(problemsOf('[web]\nweb1 ansible_host\n')).toEqual(["2:6 web1: 'ansible_host' is not a host variable: write name=value after the host name"]);
    expect(problemsOf('[web]\nweb1 note="open\n')).toEqual(['2:11 web: unclosed " quote']);
    expect(problemsOf('[web:vars]\njust words\n')).toEqual(["2:1 [web:vars]: 'just words' is not a variable: write name=value"]);
  });
});
