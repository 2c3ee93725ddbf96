// Builds the probe image on a host that lacks it. No registry is assumed anywhere: the image is
// built on the host from a static busybox, the host's own (busybox-static) or one pushed from
// this machine, so verification works on air-gapped sites too.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TaskError } from '../errors.js';
import type { Connection } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { isStaticElf64 } from './elf.js';

const ROOTFS = '/var/lib/meshctl/probe-rootfs';
const APPLETS = ['sh', 'ping', 'wget', 'timeout', 'wc', 'sed', 'httpd', 'head', 'mkdir', 'cat', 'sleep', 'ip', 'echo', 'printf', 'ts'];
/** Tagged by its recipe, so a host holding an older probe gets the new one built beside it. */
export const PROBE_IMAGE = `meshctl-probe:${createHash('sha256').update(APPLETS.join(' ')).digest('hex').slice(0, 12)}`;
/** Where a static busybox is looked for on this machine (Debian's busybox-static). */
const LOCAL_BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'];

/** Builds the probe image on a host that has none (startProbe says so). */
export async function buildProbeImage(conn: Connection): Promise<void> {
  const hostBusybox = await conn.execScript(
    "b=$(command -v busybox) && ldd \"$b\" 2>&1 | grep -q 'not a dynamic' && echo \"$b\"",
  );
  const busyboxPath = hostBusybox.code === 0 ? hostBusybox.stdout.trim() : '';
  if (busyboxPath === '') await conn.putFile(`${ROOTFS}/bin/busybox`, await localStaticBusybox(conn.host), { mode: 0o755 });

  const links = APPLETS.map((applet) => shellJoin(['ln', '-sf', 'busybox', `${ROOTFS}/bin/${applet}`]));
  const script = [
    'set -e',
    shellJoin(['mkdir', '-p', `${ROOTFS}/bin`, `${ROOTFS}/tmp`]),
    ...(busyboxPath === '' ? [] : [shellJoin(['cp', busyboxPath, `${ROOTFS}/bin/busybox`])]),
    ...links,
    `tar -C ${shellQuote(ROOTFS)} -c . | docker import -c 'CMD ["/bin/sh"]' - ${shellQuote(PROBE_IMAGE)} >/dev/null`,
  ].join('\n');
  const built = await conn.execScript(script);
  if (built.code !== 0) {
    throw new TaskError(conn.host, 'probe image', `cannot build ${PROBE_IMAGE}: ${built.stderr.trim()}`);
  }
}

/**
 * Read once per run and shared: a verify of 50 fresh hosts uploads it to each at once, and 50
 * copies of 2 MB (each held while its upload runs) were most of the controller's peak memory.
 */
let localBusybox: Promise<Buffer | undefined> | undefined;

async function localStaticBusybox(host: string): Promise<Buffer> {
  localBusybox ??= findLocalStaticBusybox();
  const binary = await localBusybox;
  if (binary !== undefined) return binary;
  throw new TaskError(
    host,
    'probe image',
    `${PROBE_IMAGE} is missing and neither the host nor this machine has a static busybox: install busybox-static on either`,
  );
}

async function findLocalStaticBusybox(): Promise<Buffer | undefined> {
  for (const candidate of LOCAL_BUSYBOX) {
    const binary = await readFile(candidate).catch(() => undefined);
    if (binary !== undefined && isStaticElf64(binary)) return binary;
  }
  return undefined;
}
