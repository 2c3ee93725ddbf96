// The few Docker queries the sandbox needs, on top of the `docker` CLI. Example: `await containerStatus('x')`.
import { runChecked, runCommand } from './exec.js';

/** Every container and network of a sandbox carries this label, with the sandbox name as value. */
export const sandboxLabel = 'meshctl.sandbox';

export type ContainerStatus = 'missing' | 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export async function containerStatus(container: string): Promise<ContainerStatus> {
  const result = await runCommand(['docker', 'container', 'inspect', '--format', '{{.State.Status}}', container]);
  if (result.code !== 0) return 'missing';
  return result.stdout.trim() as ContainerStatus;
}

/** Names of the networks a container is attached to. */
export async function containerNetworks(container: string): Promise<string[]> {
  const out = await runChecked([
    'docker',
    'container',
    'inspect',
    '--format',
    '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}\n{{end}}',
    container,
  ]);
  return lines(out);
}

export async function networkExists(network: string): Promise<boolean> {
  return (await runCommand(['docker', 'network', 'inspect', '--format', '{{.Id}}', network])).code === 0;
}

export async function labelledContainers(sandbox: string): Promise<string[]> {
  return lines(
    await runChecked(['docker', 'ps', '-a', '--filter', `label=${sandboxLabel}=${sandbox}`, '--format', '{{.Names}}']),
  );
}

export async function labelledNetworks(sandbox: string): Promise<string[]> {
  return lines(
    await runChecked(['docker', 'network', 'ls', '--filter', `label=${sandboxLabel}=${sandbox}`, '--format', '{{.Name}}']),
  );
}

export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
