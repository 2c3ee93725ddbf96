// note: changes nothing; says something in the recap's NOTES (a choice meshctl made from what it
// found, state it keeps on purpose). params: message.
//   - name: Overlay mode
//     module: note
//     params: { message: "{{ mesh.mode_reason }}" }
import { z } from 'zod';
import { defineModule, notice } from '../engine/module.js';

const params = z.strictObject({ message: z.string().min(1) });

export const note = defineModule<z.output<typeof params>, Record<string, never>>({
  name: 'note',
  params,
  facts: () => ({}),
  plan: (p) => notice(p.message),
});
