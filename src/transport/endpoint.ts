// How a host is named in transport messages: `10.0.0.5:22`, `[fd00::5]:22`.
import type { Host } from '../inventory/types.js';

export function endpoint(host: Host): string {
  return host.address.includes(':') ? `[${host.address}]:${host.ssh.port}` : `${host.address}:${host.ssh.port}`;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
