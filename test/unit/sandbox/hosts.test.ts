// hostRunArgs: the `docker run` of a sandbox host.
import { describe, expect, it } from 'vitest';
import { hostRunArgs } from '../../../src/sandbox/hosts.js';

describe('hostRunArgs', () => {
  const argv = hostRunArgs({
    sandbox: 'meshctl-lab-3f2a1c',
    container: 'meshctl-lab-3f2a1c-node2',
    hostname: 'node2',
    image: 'meshctl-host:0123456789ab',
    management: { network: 'meshctl-lab-3f2a1c-mgmt', address: '10.210.4.12' },
    underlay: { network: 'meshctl-lab-3f2a1c-underlay', address: '10.211.4.12' },
  });
  const after = (flag: string): string[] => argv.flatMap((a, i) => (a === flag ? [argv[i + 1] ?? ''] : []));

  it('names, labels and addresses the host on the management network', () => {
    expect(after('--name')).toEqual(['meshctl-lab-3f2a1c-node2']);
    expect(after('--hostname')).toEqual(['node2']);
    expect(after('--label')).toEqual(['meshctl.sandbox=meshctl-lab-3f2a1c']);
    expect(after('--network')).toEqual(['meshctl-lab-3f2a1c-mgmt']);
    expect(after('--ip')).toEqual(['10.210.4.12']);
    expect(argv.slice(-2)).toEqual(['meshctl-host:0123456789ab', '/sbin/init']);
  });

  it('uses the capability list that works here instead of --privileged', () => {
    expect(argv).not.toContain('--privileged');
    expect(argv).toEqual(expect.arrayContaining(['--cap-add=ALL', '--cap-drop=SYS_RESOURCE']));
    expect(after('--security-opt')).toEqual(['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined']);
  });

  it('gives systemd and an inner Docker what they need', () => {
    expect(after('--tmpfs')).toEqual(['/run', '/run/lock']);
    expect(after('--volume')).toEqual(['/sys/fs/cgroup:/sys/fs/cgroup:rw', '/var/lib/docker']);
    expect(after('--device')).toEqual(['/dev/net/tun']);
    expect(after('--stop-signal')).toEqual(['SIGRTMIN+3']);
  });
});
