// The layers a host's settings come from (top level < its groups in order < the host), and
// where a setting was written, so a problem with it is reported there: a key set once at the
// top level is one problem at `ssh.key`, not one per host.
import type { FieldPath } from './locate.js';
import type { RawGroup, RawInventory } from './schema.js';

export interface SettingsLayer {
  /** Inventory path of the layer: [], ['groups', 'edge'] or ['hosts', 2]. */
  path: FieldPath;
  settings: RawGroup;
}

export function hostLayers(raw: RawInventory, hostIndex: number): SettingsLayer[] {
  const host = raw.hosts[hostIndex];
  if (host === undefined) return [];
  const groups = (host.groups ?? []).map((name): SettingsLayer => ({ path: ['groups', name], settings: raw.groups?.[name] ?? {} }));
  return [{ path: [], settings: raw }, ...groups, { path: ['hosts', hostIndex], settings: host }];
}

export type LayeredSetting = `ssh.${keyof NonNullable<RawGroup['ssh']>}` | 'become_password_env';

/** The inventory path of the nearest layer that sets `setting`; none when the default applies. */
export function settingSource(layers: readonly SettingsLayer[], setting: LayeredSetting): FieldPath | undefined {
  const relative = setting.split('.');
  for (const layer of [...layers].reverse()) {
    if (valueAt(layer.settings, relative) !== undefined) return [...layer.path, ...relative];
  }
  return undefined;
}

function valueAt(settings: RawGroup, path: readonly string[]): unknown {
  let value: unknown = settings;
  for (const part of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}
