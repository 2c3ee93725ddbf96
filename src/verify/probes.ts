// One probe container per host, on the mesh (the host's Docker bridge, or the Docker network the
// backend names, an overlay): started and read in one round trip, removed.
import { TaskError } from '../errors.js';
import { isIPv4 } from '../network/ipv4.js';
import type { Connection } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
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

/** What startProbe prints when the host has no probe image yet: build it, then start again. */
const NO_IMAGE = 'meshctl:no-probe-image';

/**
 * Starts the probe, serving /blob, and /bulk too when `bulk` (the throughput probe: a few MB in
 * the container's layer), on `network` when given (else Docker's default bridge); 'no-image' when
 * the host has no probe image (buildProbeImage). One round trip: the image check, the removal of
 * a probe left over, the start and the address read run as one script.
 */
export async function startProbe(conn: Connection, { bulk = false, network }: { bulk?: boolean; network?: string | undefined } = {}): Promise<Probe | 'no-image'> {
  const name = probeContainer(conn.host);
  const files = [`head -c ${BLOB_BYTES} /dev/zero > /www/blob`, ...(bulk ? [`head -c ${BULK_BYTES} /dev/zero > /www${BULK_PATH}`] : [])];
  const serve = ['mkdir -p /www', ...files, `exec httpd -f -p ${PROBE_PORT} -h /www`].join(' && ');
  const run = ['docker', 'run', '-d', '--name', name, '--label', 'meshctl.probe=1', ...(network === undefined ? [] : ['--network', network]), PROBE_IMAGE, '/bin/sh', '-c', serve];
  const script = [
    `docker image inspect --format '{{.Id}}' ${shellQuote(PROBE_IMAGE)} >/dev/null 2>&1 || { echo ${NO_IMAGE}; exit 0; }`,
    `docker rm -f ${shellQuote(name)} >/dev/null 2>&1`,
    // A multi-host network may still hold the endpoint of an earlier probe of this name (the store
    // learns of a removal late, or missed it while a daemon restarted): docker run would refuse.
    ...(network === undefined ? [] : [`docker network disconnect --force ${shellJoin([network, name])} >/dev/null 2>&1`]),
    `${shellJoin(run)} >/dev/null || exit 10`,
    `docker exec ${shellQuote(name)} sh -c 'ip -4 -o addr show eth0; cat /sys/class/net/eth0/mtu'`,
  ].join('\n');
  const started = await conn.execScript(script);
  if (started.stdout.trim() === NO_IMAGE) return 'no-image';
  if (started.code === 10) throw new TaskError(conn.host, 'probe', `cannot start the probe container: ${started.stderr.trim()}`);
  const address = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(started.stdout)?.[1];
  const mtu = Number(started.stdout.trim().split('\n').pop());
  if (address === undefined || !isIPv4(address)) {
    throw new TaskError(conn.host, 'probe', `the probe container has no IPv4 address on eth0: ${started.stdout.trim() || started.stderr.trim()}`);
  }
  return { host: conn.host, address, mtu };
}

export async function removeProbe(conn: Connection): Promise<void> {
  await conn.exec(['docker', 'rm', '-f', probeContainer(conn.host)]);
}
