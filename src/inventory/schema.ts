// The inventory file's shape as written in YAML (snake_case), checked by zod before anything else.
// The `mesh:` section's shape belongs to the backends (src/backends/).
import { z } from 'zod';
import { backends, type MeshSchema } from '../backends/index.js';

const port = z.number().int().min(1).max(65535);
const seconds = z.number().positive().max(86_400);
const vars = z.record(z.string(), z.unknown());

/** Connection settings: allowed at the top level, in a group and on a host; the nearest wins. */
export const sshSchema = z.strictObject({
  user: z.string().min(1).optional(),
  port: port.optional(),
  key: z.string().min(1).optional(),
  known_hosts: z.string().min(1).optional(),
  connect_timeout: seconds.optional(),
  command_timeout: seconds.optional(),
});

const becomeFields = {
  become: z.boolean().optional(),
  become_password_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
    .optional(),
};

export const groupSchema = z.strictObject({
  ssh: sshSchema.optional(),
  vars: vars.optional(),
  ...becomeFields,
});

export const hostSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be a host name: letters, digits, . _ -'),
  address: z.string().min(1),
  underlay_address: z.string().min(1).optional(),
  groups: z.array(z.string().min(1)).optional(),
  ssh: sshSchema.optional(),
  vars: vars.optional(),
  mesh_index: z.number().int().min(0).optional(),
  ...becomeFields,
});

/** `mesh:`: one of the backends' sections, chosen by its `backend` field. */
export const meshSchema = z.discriminatedUnion(
  'backend',
  backends.map((backend) => backend.meshSchema) as [MeshSchema, ...MeshSchema[]],
);

export const inventorySchema = z.strictObject({
  vars: vars.optional(),
  ssh: sshSchema.optional(),
  ...becomeFields,
  groups: z.record(z.string(), groupSchema).optional(),
  hosts: z.array(hostSchema).min(1, 'at least one host is needed'),
  mesh: meshSchema,
});

export type RawInventory = z.infer<typeof inventorySchema>;
export type RawHost = z.infer<typeof hostSchema>;
export type RawGroup = z.infer<typeof groupSchema>;
export type RawSsh = z.infer<typeof sshSchema>;
