// The mark on the routes meshctl makes itself (vxlan_routes: each peer's subnet), so that a
// stale one can be told apart from a route the operator made, and the preflight does not take a
// second `up`'s own routes for a network that overlaps the pool. 109: a protocol number that no
// routing daemon uses (iproute2's rt_protos lists kernel 2, static 4, bird 12, babel 42, bgp 186, ...).
export const MESHCTL_ROUTE_PROTO = 109;

/** Whether an `ip route` line (`10.240.2.0/24 via 10.240.2.0 dev flannel.1 proto 109 onlink`) carries the mark. */
export function isMeshctlRoute(line: string): boolean {
  const words = line.trim().split(/\s+/);
  const proto = words.indexOf('proto');
  return proto !== -1 && words[proto + 1] === String(MESHCTL_ROUTE_PROTO);
}
