// The list of mesh backends. Everything that lists, validates or chooses a backend reads it.
import type { Backend, MeshSchema } from './backend.js';
import { l2 } from './l2.js';
import { ovsGre } from './ovs-gre.js';
import { ovsVxlan } from './ovs-vxlan.js';
import { overlay } from './overlay.js';
import { vxlan } from './vxlan.js';

// Each backend keeps its own section type; here they are seen through the shape they share.
export const backends: readonly Backend<MeshSchema>[] = [ovsGre, ovsVxlan, l2, vxlan, overlay];

export const backendNames: readonly string[] = backends.map((b) => b.name);

export function findBackend(name: string): Backend | undefined {
  return backends.find((b) => b.name === name);
}
