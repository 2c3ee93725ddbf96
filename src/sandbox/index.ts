// The sandbox: simulated Debian hosts (systemd + sshd containers) on this machine, for the demo and e2e tests.
export { ensureEngine } from './docker-engine.js';
export { sandboxUp, type SandboxUpOptions } from './up.js';
export { sandboxDown, type SandboxDownOptions } from './down.js';
export { sandboxAdd, type SandboxAddOptions } from './add.js';
export { sandboxRemove, type SandboxRemoveOptions } from './remove.js';
export { sandboxHostAction, type HostAction, type SandboxHostActionOptions } from './host-action.js';
export { applySets } from './sets.js';
export type { SandboxState, SandboxHost, SandboxNetwork } from './state.js';
