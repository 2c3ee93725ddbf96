// Preflight's facts on a FakeHost: its scripts run in a local `sh`, so the real commands would
// read this machine's machine-id and hostname, the same for every fake host. Instead each fact
// reads `preflight.<fact>` from the fake host's store, and without one is a healthy host of its
// own (a name and machine-id unique to the fake host, an eth0 of MTU 1500, no routes, no address).
// The parsers are the real ones. Use in a test file:
//   vi.mock('../../../src/preflight/facts.js', async (importOriginal) =>
//     (await import('./fake-preflight.js')).withFakePreflightCommands(await importOriginal()));
import type * as Facts from '../../../src/preflight/facts.js';
import { shellQuote } from '../../../src/transport/quote.js';

const healthy: Record<Facts.FactName, string> = {
  machineId: 'basename "$(dirname "$FAKE_STORE")"',
  hostname: 'basename "$(dirname "$FAKE_STORE")"',
  routes: 'true',
  link: "echo '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000'",
  addresses: 'true',
};

/** The store key a test sets to give a fake host this fact's output. */
export const preflightKey = (fact: Facts.FactName): string => `preflight.${fact}`;

export function withFakePreflightCommands(real: typeof Facts): typeof Facts {
  const preflightCommands = (): Record<Facts.FactName, string> => {
    const entries = Object.entries(healthy).map(([fact, otherwise]) => {
      const file = `"$FAKE_STORE"/${shellQuote(preflightKey(fact as Facts.FactName))}`;
      return [fact, `if [ -f ${file} ]; then cat ${file}; else ${otherwise}; fi`];
    });
    return Object.fromEntries(entries) as Record<Facts.FactName, string>;
  };
  return { ...real, preflightCommands };
}
