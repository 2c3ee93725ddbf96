// The inventory's JSON Schema, generated from the zod schema the loader validates with, for
// editors (completion and validation of inventory YAML). `npm run schema` writes it to
// schema/inventory.schema.json; a unit test keeps that file equal to this.
import { z } from 'zod';
import { inventorySchema } from './schema.js';

/** Where the generated file lives, relative to the repository root. */
export const INVENTORY_SCHEMA_FILE = 'schema/inventory.schema.json';

export function inventoryJsonSchema(): Record<string, unknown> {
  // The input shape (defaults make fields optional); draft-07 is what editors' YAML support reads best.
  const { $schema, ...schema } = z.toJSONSchema(inventorySchema, { io: 'input', target: 'draft-7' });
  return { $schema, title: 'meshctl inventory', ...schema };
}

/** The file's text: stable JSON, two-space indented, ending in a newline. */
export function inventoryJsonSchemaText(): string {
  return `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`;
}
