export type { Backend, CommonMesh, MeshOf, MeshSchema, SandboxDefaults, SandboxInput, SandboxPackageSource, SandboxRouter, UnresolvedMesh } from './backend.js';
export { overheadOf } from './backend.js';
export { backendNames, backends, findBackend } from './registry.js';
export { DEFAULT_UNDERLAY_MTU } from './mesh-fields.js';
