// Reads `ovs-vsctl --format=json` tables: OVSDB's tagged values ("set", "map", "uuid") made plain.
import { FactParseError } from '../engine/module.js';
import { shellQuote } from '../transport/quote.js';

/** Exit status of a bridge fact's command when the bridge is not there (parsers read it as absent). */
export const NO_BRIDGE = 2;

/**
 * The first commands of a fact about one bridge, to be joined with `&&`: exit NO_BRIDGE when OVS
 * is not installed (a fresh host, or after --purge) or the bridge does not exist. br-exists exits
 * 2 for no such bridge but 1 when the database cannot be read (OVS stopped): that must fail the
 * fact, not read as "absent".
 */
export function bridgeExistsGuard(bridge: string): string[] {
  return [`command -v ovs-vsctl >/dev/null || exit ${NO_BRIDGE}`, `ovs-vsctl br-exists ${shellQuote(bridge)} || exit $?`];
}

export type OvsValue = string | number | boolean | OvsValue[] | { [key: string]: string };

/** ["map", [[k, v], ...]] → object; ["set", [...]] → array (empty set → []); ["uuid", id] → id. */
export function plainOvsValue(value: unknown): OvsValue {
  if (!Array.isArray(value)) return value as string | number | boolean;
  const [tag, body] = value as [string, unknown];
  if (tag === 'map') return Object.fromEntries((body as [string, unknown][]).map(([k, v]) => [k, String(plainOvsValue(v))]));
  if (tag === 'set') return (body as unknown[]).map(plainOvsValue);
  if (tag === 'uuid' || tag === 'named-uuid') return String(body);
  throw new FactParseError(`unknown OVSDB value ${JSON.stringify(value)}`);
}

/** Rows of a `--format=json list|find TABLE` answer as objects keyed by column. */
export function parseOvsTable(stdout: string): Record<string, OvsValue>[] {
  const table = parseTableJson(stdout);
  return table.data.map((row) => Object.fromEntries(table.headings.map((heading, i) => [heading, plainOvsValue(row[i])])));
}

/** What ovs-vsctl printed is the host's word, not ours: a shape it should not have is unreadable. */
function parseTableJson(stdout: string): { headings: string[]; data: unknown[][] } {
  let table: unknown;
  try {
    table = JSON.parse(stdout);
  } catch (error) {
    throw new FactParseError(`ovs-vsctl did not print JSON (${(error as Error).message})`);
  }
  const { headings, data } = (table ?? {}) as { headings?: unknown; data?: unknown };
  if (!Array.isArray(headings) || !Array.isArray(data) || !data.every(Array.isArray)) {
    throw new FactParseError('ovs-vsctl printed JSON that is not a table ({"headings": [...], "data": [[...]]})');
  }
  return { headings: headings.map(String), data: data as unknown[][] };
}

export function ovsMap(value: OvsValue | undefined): Record<string, string> {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** An optional column ("set" of zero or one) as its value or undefined. */
export function ovsOptional(value: OvsValue | undefined): OvsValue | undefined {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value[0];
  return value;
}
