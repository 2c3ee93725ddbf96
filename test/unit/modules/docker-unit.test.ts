import { describe, expect, it } from 'vitest';
import { hostsDropIn, withoutHostFlags } from '../../../src/modules/docker-unit.js';

describe('withoutHostFlags', () => {
  it('drops every spelling of -H and keeps the rest in order', () => {
    const words = ['/usr/bin/dockerd', '-H', 'fd://', '--host=unix:///x.sock', '-Htcp://1.2.3.4:2375', '--host', 'fd://', '-D', '--containerd=/c.sock'];
    expect(withoutHostFlags(words)).toEqual(['/usr/bin/dockerd', '-D', '--containerd=/c.sock']);
  });

  it('does not take a flag that merely starts with --h for -H', () => {
    expect(withoutHostFlags(['dockerd', '--host-gateway-ip=10.0.0.1'])).toEqual(['dockerd', '--host-gateway-ip=10.0.0.1']);
  });
});

describe('hostsDropIn', () => {
  it("clears ExecStart, then runs the unit's command without -H, quoted words as written", () => {
    const text = hostsDropIn({
      found: true,
      path: '/lib/systemd/system/docker.service',
      execStart: ['/usr/bin/dockerd', '-H', 'fd://', '--default-ulimit="nofile=1024 2048"'],
      hostFlags: true,
    });
    expect(text.split('\n').slice(1)).toEqual(['[Service]', 'ExecStart=', 'ExecStart=/usr/bin/dockerd --default-ulimit="nofile=1024 2048"', '']);
  });
});
