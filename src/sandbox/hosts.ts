// Starts, stops and prepares one sandbox host: a systemd container with eth0 on the management
// network and eth1 on the underlay. Example: `await bringUpHost(spec, publicKey, knownHosts)`.
import { SandboxError } from '../errors.js';
import { containerNetworks, containerStatus, sandboxLabel } from './docker.js';
import { runChecked, runCommand } from './exec.js';
import { forgetHostKey } from './keys.js';
import { waitForSsh } from './ssh-wait.js';
import type { SandboxHost, SandboxState } from './state.js';

export interface Attachment {
  network: string;
  address: string;
}

export interface HostSpec {
  sandbox: string;
  container: string;
  hostname: string;
  image: string;
  management: Attachment;
  underlay: Attachment;
}

const sshTimeoutMs = 120_000;

/** How a recorded host of the sandbox is run: its image and its two networks. */
export function hostSpec(state: SandboxState, host: SandboxHost): HostSpec {
  return {
    sandbox: state.name,
    container: host.container,
    hostname: host.name,
    image: state.image,
    management: { network: state.networks.management.name, address: host.address },
    underlay: { network: state.networks.underlay.name, address: host.underlayAddress },
  };
}

/** `docker run` for a host. --privileged is refused on these machines, so the capabilities are listed. */
export function hostRunArgs(spec: HostSpec): string[] {
  return [
    'docker', 'run', '--detach',
    '--name', spec.container,
    '--hostname', spec.hostname,
    '--label', `${sandboxLabel}=${spec.sandbox}`,
    // CAP_SYS_RESOURCE is not in this machine's bounding set, so ALL alone would fail.
    '--cap-add=ALL', '--cap-drop=SYS_RESOURCE',
    '--security-opt', 'seccomp=unconfined',
    '--security-opt', 'apparmor=unconfined',
    // Writable /proc/sys, so `sysctl -w net.*` behaves as on a real host (net.* is per namespace).
    '--security-opt', 'systempaths=unconfined',
    '--device', '/dev/net/tun',
    '--tmpfs', '/run', '--tmpfs', '/run/lock',
    '--volume', '/sys/fs/cgroup:/sys/fs/cgroup:rw',
    // The inner Docker needs a /var/lib/docker that is not on overlayfs to use overlay2.
    '--volume', '/var/lib/docker',
    // systemd shuts down cleanly on SIGRTMIN+3; SIGTERM would only make it re-execute itself.
    '--stop-signal', 'SIGRTMIN+3',
    '--network', spec.management.network,
    '--ip', spec.management.address,
    spec.image,
    '/sbin/init',
  ];
}

/** Creates or starts the host as needed, installs the client key and waits for sshd. */
export async function bringUpHost(spec: HostSpec, publicKey: string, knownHostsPath: string): Promise<void> {
  const status = await containerStatus(spec.container);
  if (status === 'missing') {
    await forgetHostKey(knownHostsPath, spec.management.address);
    await runChecked(hostRunArgs(spec));
    await connectUnderlay(spec.container, spec.underlay);
  } else {
    await startHost(spec.container, spec.underlay);
  }
  await installClientKey(spec.container, publicKey);
  await waitForHostSsh(spec.container, spec.management.address);
}

/**
 * Boots a stopped host. Docker before 27 attaches a container's networks at start in no fixed
 * order (moby#25181), which could make the underlay eth0; so the host boots with management only
 * and gets eth1 right after, as on creation.
 */
export async function startHost(container: string, underlay: Attachment): Promise<void> {
  const status = await containerStatus(container);
  if (status === 'missing') {
    throw new SandboxError(`container ${container} is gone: run \`meshctl sandbox up\` again to recreate it`);
  }
  const attached = (await containerNetworks(container)).includes(underlay.network);
  if (status === 'running') {
    // Already up: never unplug eth1 of a running host, it may carry its tunnels.
    if (!attached) await connectUnderlay(container, underlay);
    return;
  }
  if (attached) await runChecked(['docker', 'network', 'disconnect', '--force', underlay.network, container]);
  await runChecked(['docker', 'start', container]);
  await connectUnderlay(container, underlay);
}

/** A clean shutdown: systemd stops its units (30 s at most, then Docker kills the rest). */
export async function stopHost(container: string): Promise<void> {
  await runChecked(['docker', 'stop', '--time', '30', container], { timeoutMs: 90_000 });
}

export async function waitForHostSsh(container: string, address: string): Promise<void> {
  if (!(await waitForSsh(address, sshTimeoutMs))) {
    throw new SandboxError(
      `${container}: sshd did not answer on ${address}:22 within ${sshTimeoutMs / 1000}s: ` +
        `look at \`docker exec ${container} systemctl status ssh\` and \`docker logs ${container}\``,
    );
  }
}

async function connectUnderlay(container: string, underlay: Attachment): Promise<void> {
  await runChecked(['docker', 'network', 'connect', '--ip', underlay.address, underlay.network, container]);
}

/** The same key for root and operator; the script is fixed, the key arrives on stdin. */
const installKeyScript = `set -eu
key=$(cat)
for home in /root /home/operator; do
  install -d -m 700 "$home/.ssh"
  printf '%s\\n' "$key" > "$home/.ssh/authorized_keys"
  chmod 600 "$home/.ssh/authorized_keys"
done
chown -R operator: /home/operator/.ssh
`;

async function installClientKey(container: string, publicKey: string): Promise<void> {
  await runChecked(['docker', 'exec', '-i', container, 'sh', '-c', installKeyScript], { input: publicKey });
}

export async function removeContainers(containers: readonly string[]): Promise<void> {
  if (containers.length === 0) return;
  // --volumes: the anonymous /var/lib/docker volume of each host goes too.
  const result = await runCommand(['docker', 'rm', '--force', '--volumes', ...containers], { timeoutMs: 180_000 });
  if (result.code !== 0 && !/No such container/i.test(result.stderr)) {
    throw new SandboxError(`could not remove ${containers.join(', ')}: ${result.stderr.trim()}`);
  }
}
