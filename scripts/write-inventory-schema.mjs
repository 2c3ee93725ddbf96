// Writes schema/inventory.schema.json from the built zod schema (run by `npm run schema`,
// which builds first). test/unit/inventory/json-schema.test.ts checks the file is current.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INVENTORY_SCHEMA_FILE, inventoryJsonSchemaText } from '../dist/inventory/json-schema.js';

const file = path.join(import.meta.dirname, '..', INVENTORY_SCHEMA_FILE);
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, inventoryJsonSchemaText());
console.log(`wrote ${INVENTORY_SCHEMA_FILE}`);
