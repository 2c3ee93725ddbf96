// service: keeps a systemd unit started or stopped, enabled or disabled at boot.
// params: name, state?: started | stopped, enabled?: boolean (at least one of the two).
//   - name: Run Open vSwitch
//     module: service
//     params: { name: openvswitch-switch, state: started, enabled: true }
//
// No `restarted`: it would change something on every run, and a second look could never say
// "nothing to do". A module that changes a service's config restarts it itself.
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, refuse, run, type Plan, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';

const params = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9:_.@\\-]+$/, 'must be a systemd unit name'),
    state: z.enum(['started', 'stopped']).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((p) => p.state !== undefined || p.enabled !== undefined, { message: 'give state, enabled or both' });

export type ServiceParams = z.output<typeof params>;

export interface ServiceFacts {
  /** systemd's own words: LoadState (loaded, not-found, masked), ActiveState, UnitFileState. */
  unit: { load: string; active: string; file_state: string };
}

// States systemd is on its way out of or into: `start` and `stop` wait for them to settle.
const RUNNING = new Set(['active', 'reloading']);
const NOT_STOPPED = new Set(['active', 'reloading', 'activating']);
// Units without an [Install] section (static, generated, transient...) cannot be enabled or
// disabled; `systemctl enable` would warn and change nothing, forever.
const ENABLED = new Set(['enabled', 'enabled-runtime']);
const DISABLED = new Set(['disabled']);

export const service = defineModule<ServiceParams, ServiceFacts>({
  name: 'service',
  params,
  facts: (p) => ({
    unit: {
      // `show` prints key=value for any unit, known or not, on every systemd version.
      command: shellJoin(['systemctl', 'show', '-p', 'LoadState', '-p', 'ActiveState', '-p', 'UnitFileState', p.name]),
      parse: parseUnit,
    },
  }),
  plan(p, facts) {
    const { load, active, file_state: fileState } = facts.unit;
    if (load === 'not-found') {
      // Nothing to stop or disable in a unit that is not there; starting it cannot work.
      if (p.state === 'started' || p.enabled === true) refuse(`systemd has no unit ${p.name}`);
      return ok(`${p.name} is not installed`);
    }
    if (load === 'masked' && (p.state === 'started' || p.enabled === true)) {
      refuse(`${p.name} is masked: unmask it first (systemctl unmask ${p.name})`);
    }
    const steps: Step[] = [];
    const actions: string[] = [];
    const state: string[] = [];
    if (p.enabled === true && DISABLED.has(fileState)) {
      steps.push(run(shellJoin(['systemctl', 'enable', p.name])));
      actions.push('enable');
    } else if (p.enabled === false && ENABLED.has(fileState)) {
      steps.push(run(shellJoin(['systemctl', 'disable', p.name])));
      actions.push('disable');
    } else if (p.enabled !== undefined) {
      state.push(fileState);
    }
    if (p.state === 'started' && !RUNNING.has(active)) {
      steps.push(run(shellJoin(['systemctl', 'start', p.name])));
      actions.push('start');
    } else if (p.state === 'stopped' && NOT_STOPPED.has(active)) {
      steps.push(run(shellJoin(['systemctl', 'stop', p.name])));
      actions.push('stop');
    } else if (p.state !== undefined) {
      state.unshift(active);
    }
    if (steps.length === 0) return ok(`${p.name} is ${state.join(' and ')}`);
    return change(`${actions.join(' and ')} ${p.name}`, steps);
  },
});

/** `systemctl show -p ...`: one `Key=value` line per property, in systemd's order. */
export function parseUnit(result: ExecResult): ServiceFacts['unit'] {
  const values = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const load = values.get('LoadState');
  const active = values.get('ActiveState');
  if (result.code !== 0 || load === undefined || active === undefined) {
    throw new FactParseError(`cannot read the unit's state from systemctl (exit ${result.code ?? result.signal})`);
  }
  return { load, active, file_state: values.get('UnitFileState') ?? '' };
}
