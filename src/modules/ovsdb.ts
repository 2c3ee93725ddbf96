// Reads `ovs-vsctl --format=json` tables: OVSDB's tagged values ("set", "map", "uuid") made plain.

export type OvsValue = string | number | boolean | OvsValue[] | { [key: string]: string };

/** ["map", [[k, v], ...]] → object; ["set", [...]] → array (empty set → []); ["uuid", id] → id. */
export function plainOvsValue(value: unknown): OvsValue {
  if (!Array.isArray(value)) return value as string | number | boolean;
  const [tag, body] = value as [string, unknown];
  if (tag === 'map') return Object.fromEntries((body as [string, unknown][]).map(([k, v]) => [k, String(plainOvsValue(v))]));
  if (tag === 'set') return (body as unknown[]).map(plainOvsValue);
  if (tag === 'uuid' || tag === 'named-uuid') return String(body);
  throw new Error(`unknown OVSDB value ${JSON.stringify(value)}`);
}

/** Rows of a `--format=json list|find TABLE` answer as objects keyed by column. */
export function parseOvsTable(stdout: string): Record<string, OvsValue>[] {
  const table = JSON.parse(stdout) as { headings: string[]; data: unknown[][] };
  return table.data.map((row) => Object.fromEntries(table.headings.map((heading, i) => [heading, plainOvsValue(row[i])])));
}

export function ovsMap(value: OvsValue | undefined): Record<string, string> {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** An optional column ("set" of zero or one) as its value or undefined. */
export function ovsOptional(value: OvsValue | undefined): OvsValue | undefined {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value[0];
  return value;
}
