// schema/inventory.schema.json is what `npm run schema` writes from the loader's zod schema.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendNames } from '../../../src/backends/index.js';
import { INVENTORY_SCHEMA_FILE, inventoryJsonSchema, inventoryJsonSchemaText } from '../../../src/inventory/json-schema.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe('the inventory JSON Schema', () => {
  it('is committed as generated (run `npm run schema` after changing the inventory schema)', async () => {
    expect(await readFile(path.join(root, INVENTORY_SCHEMA_FILE), 'utf8')).toBe(inventoryJsonSchemaText());
  });

  it('offers every backend and refuses unknown keys, as the loader does', () => {
    const schema = inventoryJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: { mesh: { oneOf: { properties: { backend: { const: string } } }[] } };
    };
    expect(schema.required).toEqual(['hosts', 'mesh']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.mesh.oneOf.map((option) => option.properties.backend.const)).toEqual(backendNames);
  });
});
