// Shell functions shared by the scripts that re-create links at boot (mesh_links, l2_uplink):
// reading a link's state, and moving a device's addresses and routes to another as one step.
// Each script pastes them in after its settings, so a script stays one self-contained file.
import { shellQuote } from '../transport/quote.js';

/** The functions, for the script of `name` (which prefixes their messages, e.g. `mesh-links`). */
export function linksShell(name: string): string {
  return `addrs() { ip -4 -o addr show dev "$1" 2>/dev/null | sed -n 's/.* inet \\([0-9.\\/]*\\) .*/\\1/p'; }
exists() { ip link show dev "$1" >/dev/null 2>&1; }
is_up() { ip -o link show dev "$1" 2>/dev/null | grep -q '[<,]UP[,>]'; }
mtu_of() { cat "/sys/class/net/$1/mtu" 2>/dev/null; }
mac_of() { cat "/sys/class/net/$1/address" 2>/dev/null; }
master_of() { m=$(readlink "/sys/class/net/$1/master" 2>/dev/null) && basename "$m"; }
drift() { echo "drift: $*"; }
# Routes of a device other than the kernel's own (those come back with the address), one a line,
# as \`ip route replace\` takes them back. Linux drops them all when the device's last address goes.
routes_of() { ip -4 route show dev "$1" 2>/dev/null | grep -v ' proto kernel ' | sed 's/ linkdown//; s/ dead//'; }
put_routes() { echo "$2" | while read -r r; do [ -z "$r" ] || ip route replace $r dev "$1" || exit 1; done; }
# For tests: MESHCTL_FAIL_POINT=NAME makes the step of that name fail.
fail_point() { [ "\${MESHCTL_FAIL_POINT:-}" != "$1" ]; }
# veth_into_ovs [PORT_SETTING]: the veth pair VETH_BR (in DOCKER_BRIDGE) - VETH_OVS (a port of
# OVS_BRIDGE, with PORT_SETTING such as tag=100), both ends at MTU and up; from the script's settings.
veth_into_ovs() {
  created=0
  exists "$VETH_BR" || { ip link add name "$VETH_BR" mtu "$MTU" type veth peer name "$VETH_OVS" mtu "$MTU"; created=1; }
  ip link set dev "$VETH_BR" mtu "$MTU"
  ip link set dev "$VETH_OVS" mtu "$MTU"
  ip link set dev "$VETH_BR" master "$DOCKER_BRIDGE"
  ip link set dev "$VETH_BR" up
  ip link set dev "$VETH_OVS" up
  if [ "$TX_OFF" = 1 ] && command -v ethtool >/dev/null 2>&1; then
    # The OVS userspace datapath reads frames off the veth as they are; with TX checksum
    # offload the kernel leaves TCP checksums unfinished, the far end gets them so, and drops
    # every TCP segment while ping still works.
    ethtool -K "$VETH_BR" tx off >/dev/null
  fi
  # A port whose device was gone (after a reboot) stays unopened until it is added again.
  if [ $created = 1 ] || [ "$(ovs-vsctl get interface "$VETH_OVS" ofport 2>/dev/null)" = "-1" ]; then
    ovs-vsctl --if-exists del-port "$OVS_BRIDGE" "$VETH_OVS"
  fi
  if [ -n "\${1:-}" ]; then
    ovs-vsctl --may-exist add-port "$OVS_BRIDGE" "$VETH_OVS" -- set port "$VETH_OVS" "$1"
  else
    ovs-vsctl --may-exist add-port "$OVS_BRIDGE" "$VETH_OVS"
  fi
}
# move_ip FROM TO: FROM's addresses and routes (the default route too) onto TO as one step. If a
# part fails, FROM gets back all it had, so a host reached through FROM is not cut off half way.
move_ip() {
  moved=$(addrs "$1"); [ -n "$moved" ] || return 0
  kept=$(routes_of "$1")
  if ! (
    for a in $moved; do ip addr del "$a" dev "$1" || exit 1; ip addr replace "$a" dev "$2" || exit 1; done
    ip link set dev "$2" up || exit 1
    fail_point move-routes || exit 1
    put_routes "$2" "$kept" || exit 1
  ); then
    echo ${shellQuote(`${name}:`)} "moving the addresses and routes of $1 to $2 failed; $1 got them back" >&2
    for a in $moved; do ip addr del "$a" dev "$2" 2>/dev/null; ip addr replace "$a" dev "$1"; done
    ip link set dev "$1" up
    put_routes "$1" "$kept"
    return 1
  fi
}
`;
}

/** The end of every boot script: the mode it was called with (`apply` at boot) runs its function. */
export const modeDispatch = `case "\${1:-apply}" in
  apply) apply ;;
  check) check ;;
  remains) remains ;;
  remove) remove ;;
  *) echo "usage: $0 apply|check|remains|remove" >&2; exit 2 ;;
esac
`;
