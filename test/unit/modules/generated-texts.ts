// Texts a module generates from its params (scripts, units) that plan fixtures name instead of
// pasting them: `{ generated: links_script }` stands for the generator's text for the fixture's
// params, `{ generated: links_script, inline: [mesh-links, remove] }` for that text run inline
// (`sh -c '<text>' mesh-links remove`). A plan that writes the wrong text, or the right generator
// with other params, still fails; a change to the generator needs no fixture edited by hand.
// What the generated texts do is tested on their own (mesh-links-script.test.ts,
// l2-uplink-script.test.ts).
import { z } from 'zod';
import { kvWaitScript } from '../../../src/modules/kv-store-kinds.js';
import { kvStore, settingsOf as kvSettingsOf } from '../../../src/modules/kv-store.js';
import { uplinkScript } from '../../../src/modules/l2-uplink-script.js';
import { l2Uplink, uplinkSettingsOf } from '../../../src/modules/l2-uplink.js';
import { linksScript } from '../../../src/modules/mesh-links-script.js';
import { meshLinks, settingsOf } from '../../../src/modules/mesh-links.js';
import { KEY_DOWNLOAD_SCRIPT } from '../../../src/modules/package-sources.js';
import { vxlanScript, vxlanUnit } from '../../../src/modules/vxlan-routes-script.js';
import { wantedState } from '../../../src/modules/vxlan-routes-state.js';
import { vxlanRoutes, vxlanSettingsOf } from '../../../src/modules/vxlan-routes.js';
import { claimScript, leaseValue, subnetLease } from '../../../src/modules/subnet-lease.js';
import { shellJoin, shellQuote } from '../../../src/transport/quote.js';

type Generator = (params: unknown) => string;

const generators: Record<string, Record<string, Generator>> = {
  mesh_links: {
    links_script: (params) => linksScript(settingsOf(meshLinks.params.parse(params))),
  },
  kv_store: {
    wait_script: (params) => {
      const p = kvStore.params.parse(params);
      return kvWaitScript(kvSettingsOf(p), p.wait_seconds);
    },
  },
  l2_uplink: {
    uplink_script: (params) => uplinkScript(uplinkSettingsOf(l2Uplink.params.parse(params))),
  },
  package_sources: {
    key_download_script: () => KEY_DOWNLOAD_SCRIPT,
  },
  subnet_lease: {
    claim_script: (params) => {
      const p = subnetLease.params.parse(params);
      return claimScript(p.endpoints, p.subnet, JSON.stringify(leaseValue(p)));
    },
  },
  vxlan_routes: {
    vxlan_script: (params) => vxlanScript(wantedState(vxlanSettingsOf(vxlanRoutes.params.parse(params)))),
    vxlan_unit: (params) => vxlanUnit(vxlanRoutes.params.parse(params).script),
  },
};

const placeholder = z.strictObject({ generated: z.string().min(1), inline: z.array(z.string()).optional() });

/** `value` with every placeholder in it replaced by the text it stands for. */
export function withGeneratedTexts(value: unknown, module: string, params: unknown): unknown {
  const named = placeholder.safeParse(value);
  if (named.success) {
    const generate = generators[module]?.[named.data.generated];
    if (generate === undefined) {
      const known = Object.keys(generators[module] ?? {}).join(', ') || 'none';
      throw new Error(`module ${module} has no generator '${named.data.generated}' in generated-texts.ts (known: ${known})`);
    }
    const text = generate(params);
    return named.data.inline === undefined ? text : `sh -c ${shellQuote(text)} ${shellJoin(named.data.inline)}`;
  }
  if (Array.isArray(value)) return value.map((item) => withGeneratedTexts(item, module, params));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withGeneratedTexts(item, module, params)]));
  }
  return value;
}
