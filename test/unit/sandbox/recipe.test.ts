// The host image recipe hash: stable for an unchanged recipe, new for any change.
import { describe, expect, it } from 'vitest';
import { baseImageTag, debootstrapArgs, hostImageTag, hostRecipe, shortHash } from '../../../src/sandbox/recipe.js';

describe('host image tags', () => {
  it('are stable for the same recipe', () => {
    expect(hostImageTag({ ...hostRecipe })).toBe(hostImageTag(hostRecipe));
    expect(hostImageTag(hostRecipe)).toMatch(/^meshctl-host:[0-9a-f]{12}$/);
    expect(baseImageTag(hostRecipe)).toMatch(/^meshctl-host-base:[0-9a-f]{12}$/);
  });

  it('change with the include list, the customisation and the version', () => {
    const tag = hostImageTag(hostRecipe);
    expect(hostImageTag({ ...hostRecipe, include: [...hostRecipe.include, 'curl'] })).not.toBe(tag);
    expect(hostImageTag({ ...hostRecipe, customisation: `${hostRecipe.customisation}\ntrue\n` })).not.toBe(tag);
    expect(hostImageTag({ ...hostRecipe, version: 'meshctl-host/999' })).not.toBe(tag);
  });

  it('keep the debootstrap stage when only the customisation changes', () => {
    expect(baseImageTag({ ...hostRecipe, customisation: 'true' })).toBe(baseImageTag(hostRecipe));
    expect(baseImageTag({ ...hostRecipe, include: ['systemd'] })).not.toBe(baseImageTag(hostRecipe));
  });

  it('hash JSON, so equal values give equal hashes', () => {
    expect(shortHash({ a: 1 })).toBe(shortHash({ a: 1 }));
    expect(shortHash({ a: 1 })).not.toBe(shortHash({ a: 2 }));
  });
});

describe('hostRecipe', () => {
  it('builds fresh Debian hosts: no docker or openvswitch preinstalled', () => {
    expect(hostRecipe.include).not.toContain('docker.io');
    expect(hostRecipe.include.some((p) => p.startsWith('openvswitch'))).toBe(false);
    expect(hostRecipe.include).toEqual(expect.arrayContaining(['systemd', 'systemd-sysv', 'openssh-server', 'sudo']));
  });

  it('gives every host its own SSH host key and an operator with passwordless sudo', () => {
    expect(hostRecipe.customisation).toContain('rm -f /etc/ssh/ssh_host_*');
    expect(hostRecipe.customisation).toContain('ssh-keygen -A');
    expect(hostRecipe.customisation).toContain('NOPASSWD:ALL');
  });

  it('runs debootstrap with the recipe', () => {
    expect(debootstrapArgs(hostRecipe, '/var/tmp/root')).toEqual([
      'debootstrap',
      '--variant=minbase',
      `--include=${hostRecipe.include.join(',')}`,
      'bookworm',
      '/var/tmp/root',
      'http://deb.debian.org/debian',
    ]);
  });
});
