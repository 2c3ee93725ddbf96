// Running the l2_uplink script in a lab (l2-lab.ts) as the module runs it, for the tests of the
// script with and without a VLAN (two files, so that the runner takes them in parallel).
import { afterEach, expect } from 'vitest';
import { l2Uplink } from '../../../src/modules/l2-uplink.js';
import { BEHIND_DEFAULT, BEHIND_STATIC, L2Lab, labUnavailable, type HostState } from './l2-lab.js';
import { recordedFact } from './recorded-facts.js';

export const untagged = { nic: 'eth1', docker_bridge: 'docker0', address: '10.211.1.11/24', mtu: 1500 };
export const tagged = { ...untagged, vlan: { ovs_bridge: 'br-l2', tag: 100 } };
export type Params = typeof untagged | typeof tagged;

/** The routes eth1 has before `up`, and docker0 after it. */
export const routesOn = (dev: string): string[] =>
  [
    `10.211.1.0/24 dev ${dev} proto kernel scope link src 10.211.1.11`,
    `10.99.0.0/16 via 10.211.1.254 dev ${dev}`,
    `default via 10.211.1.1 dev ${dev} proto static`,
  ].sort();
export const DOCKERS_ROUTE = '172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1';

/**
 * For a test file: `labFor(vlan)` builds a lab, disposed of after each test. Where the lab cannot
 * run (not root, no Open vSwitch for a VLAN) it throws why, so the tests fail instead of passing unseen.
 */
export function useLabs(): (vlan: boolean) => Promise<L2Lab> {
  let labs: L2Lab[] = [];
  afterEach(() => {
    for (const lab of labs) lab.dispose();
    labs = [];
  });
  return async (vlan) => {
    const unavailable = labUnavailable(vlan);
    if (unavailable !== undefined) throw new Error(unavailable);
    const lab = new L2Lab(vlan);
    labs.push(lab);
    return lab.build();
  };
}

/** The script as the module runs it inline (`sh -c '<script>' l2-uplink MODE`). */
export function scriptRun(params: Params, mode: string): string {
  const check = l2Uplink.facts(l2Uplink.params.parse(params)).findings.command;
  return check.replace(/ l2-uplink check$/, ` l2-uplink ${mode}`);
}

export function apply(lab: L2Lab, params: Params, env: Record<string, string> = {}) {
  return lab.run(lab.host, scriptRun(params, 'apply'), env);
}
export function applied(lab: L2Lab, params: Params): void {
  expect(apply(lab, params)).toMatchObject({ code: 0, stderr: '' });
}
export function remove(lab: L2Lab, params: Params, env: Record<string, string> = {}) {
  return lab.run(lab.host, scriptRun(params, 'remove'), env);
}

/** The module's findings fact (check when present, remains when absent), read on the lab host. */
export function findings(lab: L2Lab, params: Params, state: 'present' | 'absent' = 'present'): string[] {
  const query = l2Uplink.facts(l2Uplink.params.parse({ ...params, state })).findings;
  return query.parse({ ...lab.run(lab.host, query.command), signal: null }).map(anyMac);
}

/** The same fact recorded in facts/l2_uplink/<file>.yaml, MACs aside (each lab has new ones). */
export function recorded(file: string): string[] {
  return (recordedFact(l2Uplink, `facts/l2_uplink/${file}.yaml`).value as string[]).map(anyMac);
}
export const anyMac = (line: string): string => line.replace(/\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b/g, '<mac>');

/** Whether the host reaches what lies behind its default route and behind its static route. */
export const reachesBoth = (lab: L2Lab): boolean[] => [lab.reaches(BEHIND_DEFAULT), lab.reaches(BEHIND_STATIC)];
/** Whether the host reaches neither: one short try each, on a wire with sub-millisecond round trips. */
export const reachesNone = (lab: L2Lab): boolean => !lab.reaches(BEHIND_DEFAULT, { attempts: 1, timeoutMs: 300 }) && !lab.reaches(BEHIND_STATIC, { attempts: 1, timeoutMs: 300 });

export function expectUplinked(lab: L2Lab, state: HostState): void {
  const eth1 = state.links.eth1;
  expect(state.links.docker0).toMatchObject({ addrs: ['10.211.1.11/24'], mac: eth1?.mac, mtu: 1500, up: true });
  expect(eth1?.addrs).toEqual([]);
  expect(state.routes).toEqual(routesOn('docker0'));
  expect(reachesBoth(lab)).toEqual([true, true]);
}
