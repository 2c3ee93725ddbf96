// One probe container per host, on the mesh (the host's Docker bridge, or the Docker network the
// backend names, an overlay): started, read, removed.
import { TaskError } from '../errors.js';
import { isIPv4 } from '../network/ipv4.js';
import type { Connection } from '../transport/connection.js';
import { BLOB_BYTES, PROBE_PORT } from './pair-probe.js';
import { PROBE_IMAGE } from './probe-image.js';
import { BULK_BYTES, BULK_PATH } from './throughput.js';

/**
 * The probe container's name on a host. Named after the host: on an overlay every container
 * name is an endpoint of the one network, which must be unique across all its hosts.
 */
export const probeContainer = (host: string): string => `meshctl-probe-${host}`;

export interface Probe {
  host: string;
  address: string;
  /** MTU of the probe's eth0: what Docker hands to containers. */
  mtu: number;
}

/**
 * Starts the probe, serving /blob, and /bulk too when `bulk` (the throughput probe: a few MB in
 * the container's layer), on `network` when given (else Docker's default bridge).
 */
export async function startProbe(conn: Connection, { bulk = false, network }: { bulk?: boolean; network?: string | undefined } = {}): Promise<Probe> {
  const name = probeContainer(conn.host);
  await conn.exec(['docker', 'rm', '-f', name]);
  // A multi-host network may still hold the endpoint of an earlier probe of this name (the store
  // learns of a removal late, or missed it while a daemon restarted): docker run would refuse.
  if (network !== undefined) await conn.exec(['docker', 'network', 'disconnect', '--force', network, name]);
  const files = [`head -c ${BLOB_BYTES} /dev/zero > /www/blob`, ...(bulk ? [`head -c ${BULK_BYTES} /dev/zero > /www${BULK_PATH}`] : [])];
  const serve = ['mkdir -p /www', ...files, `exec httpd -f -p ${PROBE_PORT} -h /www`].join(' && ');
  const started = await conn.exec([
    'docker', 'run', '-d', '--name', name, '--label', 'meshctl.probe=1',
    ...(network === undefined ? [] : ['--network', network]),
    PROBE_IMAGE, '/bin/sh', '-c', serve,
  ]);
  if (started.code !== 0) throw new TaskError(conn.host, 'probe', `cannot start the probe container: ${started.stderr.trim()}`);
  const inspect = await conn.exec(['docker', 'exec', name, 'sh', '-c', "ip -4 -o addr show eth0; cat /sys/class/net/eth0/mtu"]);
  const address = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(inspect.stdout)?.[1];
  const mtu = Number(inspect.stdout.trim().split('\n').pop());
  if (address === undefined || !isIPv4(address)) {
    throw new TaskError(conn.host, 'probe', `the probe container has no IPv4 address on eth0: ${inspect.stdout.trim() || inspect.stderr.trim()}`);
  }
  return { host: conn.host, address, mtu };
}

export async function removeProbe(conn: Connection): Promise<void> {
  await conn.exec(['docker', 'rm', '-f', probeContainer(conn.host)]);
}
