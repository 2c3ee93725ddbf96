// What dockerd makes of daemon.json keys, shared by the inventory's `docker.daemon` checks and the
// docker_daemon module: which keys fight which, and which API listeners are open without TLS.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = Record<string, JsonValue>;

/**
 * Keys that configure one thing together: a playbook that sets one of them owns the others.
 * The default bridge (docker0): its name, address, container range, gateway and MTU; the legacy
 * cluster store: where it is, what this daemon advertises, how it talks to the store.
 */
const FAMILIES: readonly { name: string; keys: readonly string[] }[] = [
  { name: "Docker's default bridge", keys: ['bridge', 'bip', 'fixed-cidr', 'default-gateway', 'mtu'] },
  { name: "Docker's cluster store", keys: ['cluster-store', 'cluster-advertise', 'cluster-store-opts'] },
];

/** dockerd refuses to start with both (`bridge` names a bridge it does not address; `bip` addresses docker0). */
const EXCLUSIVE: readonly (readonly [string, string])[] = [['bip', 'bridge']];

/**
 * Why the user's `key` cannot go next to the playbook's own settings, or undefined when it can.
 * `own` is what the playbook's task sets (its keys are the backend's).
 */
export function conflictWithOwn(key: string, own: Readonly<JsonObject>): string | undefined {
  const ownKeys = Object.keys(own);
  if (ownKeys.includes(key)) {
    // No value: it differs per host (each host's bip), and the problem is one, at the user's key.
    return `the playbook sets ${key} itself: remove it from docker.daemon`;
  }
  const exclusive = EXCLUSIVE.find((pair) => pair.includes(key));
  const other = exclusive?.find((k) => k !== key);
  if (other !== undefined && ownKeys.includes(other)) {
    return `dockerd refuses ${key} together with ${other}, which the playbook sets: remove ${key} from docker.daemon`;
  }
  const family = FAMILIES.find((f) => f.keys.includes(key));
  const owned = family?.keys.filter((k) => ownKeys.includes(k)) ?? [];
  if (family !== undefined && owned.length > 0) {
    return `the playbook owns ${family.name} (it sets ${owned.join(', ')}), which ${key} would change: remove it from docker.daemon`;
  }
  return undefined;
}

/** Why two keys of the user's own cannot go together (dockerd would not start), or undefined. */
export function conflictWithin(key: string, settings: Readonly<JsonObject>): string | undefined {
  const other = EXCLUSIVE.find((pair) => pair.includes(key))?.find((k) => k !== key);
  if (other === undefined || !(other in settings)) return undefined;
  return `dockerd refuses ${key} together with ${other}: keep one`;
}

const TCP = /^tcp:\/\//;
const TLS_FILES = ['tlscacert', 'tlscert', 'tlskey'] as const;

/**
 * The `hosts` entries that open the API over TCP without client certificates checked: anyone who
 * reaches the port is root on the host. TLS counts only with `tlsverify: true` and all three files
 * (`tls: true` alone encrypts but lets any client in).
 */
export function insecureTcpHosts(settings: Readonly<JsonObject>): { index: number; host: string }[] {
  const hosts = settings.hosts;
  if (!Array.isArray(hosts)) return [];
  const verified = settings.tlsverify === true && TLS_FILES.every((key) => typeof settings[key] === 'string' && settings[key] !== '');
  if (verified) return [];
  return hosts.flatMap((host, index) => (typeof host === 'string' && TCP.test(host) ? [{ index, host }] : []));
}

/** What is missing for the TCP listeners to be authenticated, in words. */
export function missingTls(settings: Readonly<JsonObject>): string {
  const missing = [...(settings.tlsverify === true ? [] : ['tlsverify: true']), ...TLS_FILES.filter((key) => typeof settings[key] !== 'string')];
  return missing.join(', ');
}

/** The local socket meshctl's own `docker` commands on the host (and the CLI's default) talk to. */
export const LOCAL_SOCKETS = ['fd://', 'unix:///var/run/docker.sock', 'unix:///run/docker.sock'] as const;

/** A `hosts` list without the local socket: meshctl's later tasks and `verify` would lose the daemon. */
export function lacksLocalSocket(settings: Readonly<JsonObject>): boolean {
  const hosts = settings.hosts;
  return Array.isArray(hosts) && !hosts.some((host) => typeof host === 'string' && (LOCAL_SOCKETS as readonly string[]).includes(host));
}

/** The warning every run prints while the API listens on TCP without TLS. */
export function insecureTcpWarning(hosts: readonly { host: string }[]): string {
  return (
    `WARNING: the Docker API listens on ${hosts.map((h) => h.host).join(', ')} without TLS: anyone who reaches it ` +
    'is root on this host (docker.insecure_tcp: true)'
  );
}
