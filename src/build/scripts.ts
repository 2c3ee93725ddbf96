// The shell scripts `meshctl build ovs` runs on the build host, as generated text: each takes its
// values as positional arguments ("$1"...), never pasted in, and the work directory is meshctl's
// own (BUILD_WORK_DIR). The probe reads what the cache key needs; the source step brings the
// source there and says what it is; the build scripts print their log on stdout (stderr joined
// to it) as they go, for the controller to stream and keep.
import type { PackageFormat } from '../packages/package-file.js';

/** Where the build happens; emptied when a build starts, removed after its packages are fetched. */
export const BUILD_WORK_DIR = '/var/tmp/meshctl-build-ovs';

/** The tarball, uploaded or fetched, under the work directory (its compression is tar's to find). */
export const SOURCE_TARBALL = 'source-tarball';

/** Facts for the cache key and the apt sources, as the login user (nothing here needs root). */
export const PROBE_SCRIPT = `[ -r /etc/os-release ] && . /etc/os-release
printf 'arch=%s\\n' "$(dpkg --print-architecture 2>/dev/null || uname -m)"
printf 'id=%s\\nversion_id=%s\\ncodename=%s\\n' "\${ID:-}" "\${VERSION_ID:-}" "\${VERSION_CODENAME:-}"
printf 'nproc=%s\\n' "$(nproc 2>/dev/null || echo 1)"
command -v apt-get >/dev/null 2>&1 && echo apt=yes
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  printf 'sources=%s %s\\n' "$(basename -- "$f")" "$(base64 -w0 < "$f")"
done
exit 0`;

// Runs apt with the build's own sources file and lists (apt-sources.ts): the host's /etc/apt is
// never written, so a build that stops half way leaves no source line behind.
const PRIVATE_APT = `private_apt() {
  cmd=$1; shift
  "$cmd" -o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=$work/apt/sources.list.d" \\
    -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" "$@"
}`;

/**
 * As root. Args: work dir, source kind (distro | url | file), then for distro the `deb-src` lines
 * (apt-sources.ts), for url the URL. Empties the work dir; prints `dsc=FILE` (distro: the source
 * package apt will fetch, from the source lists it has just read: the build reads the same ones)
 * or `sha256=HASH` (url: the tarball fetched). A file source is uploaded later, only when the
 * cache does not hold its build. Only source indexes are read here, so a cache hit stays quick.
 */
export const SOURCE_SCRIPT = `set -eu
exec </dev/null
work=$1 kind=$2 value=\${3:-}
export DEBIAN_FRONTEND=noninteractive
${PRIVATE_APT}
rm -rf -- "$work"
mkdir -p -- "$work/apt/sources.list.d" "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
case $kind in
distro)
  printf '%s' "$value" > "$work/apt/sources.list"
  private_apt apt-get update -q >&2
  uris=$(private_apt apt-get source --print-uris -q openvswitch)
  dsc=$(printf '%s\\n' "$uris" | sed -n "s/^'[^']*' \\(openvswitch_[^ ]*\\.dsc\\) .*/\\1/p" | head -n 1)
  [ -n "$dsc" ] || { echo "apt offers no openvswitch source package for this release" >&2; exit 1; }
  printf 'dsc=%s\\n' "$dsc"
  ;;
url)
  if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
    apt-get update -q >&2 && apt-get install -y -q --no-install-recommends curl ca-certificates >&2
  fi
  if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$work/${SOURCE_TARBALL}" -- "$value"
  else wget -q -O "$work/${SOURCE_TARBALL}" -- "$value"; fi
  printf 'sha256=%s\\n' "$(sha256sum < "$work/${SOURCE_TARBALL}" | cut -d' ' -f1)"
  ;;
file) ;;
*) echo "unknown source kind: $kind" >&2; exit 64 ;;
esac`;

/**
 * The Fedora spec asks for the kernel module package; the recipes build without it, so it is
 * taken out of every Requires line (alone on its line, or in a list), as their sed did.
 */
export const KMOD_SED = [
  '-e', '/^Requires:[[:space:]]*openvswitch-kmod[^,]*$/d',
  '-e', '/^Requires:/s/openvswitch-kmod[^,]*,[[:space:]]*//g',
  '-e', '/^Requires:/s/,[[:space:]]*openvswitch-kmod[^,]*$//',
] as const;

const BUILD_PRELUDE = `set -eu
exec 2>&1 </dev/null
work=$1 origin=$2 jobs=$3 sources=$4 dsc=\${5:-}
export DEBIAN_FRONTEND=noninteractive
${PRIVATE_APT}
step() { printf '==> %s\\n' "$*"; }
cd "$work"
# The source step read only the source indexes (a cache hit stays quick); the build also needs the
# binary ones, for its tools and build dependencies.
mkdir -p -- "$work/apt/sources.list.d" "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
printf '%s' "$sources" > "$work/apt/sources.list"
step "reading the package lists"
private_apt apt-get update -q
# The distribution's source package, the very one the cache key was computed from, unpacked and
# patched in $top. Some mirrors keep only the .dsc and the Debian packaging, not the upstream
# tarball (apt-get source then fails with 404): the same version's tree is then taken from the
# openvswitch-source binary package, which holds it with Debian's patches already applied, and
# the packaging is unpacked over it.
distro_tree() {
  if private_apt apt-get source -q openvswitch; then
    [ -f "$dsc" ] || { echo "apt fetched another source package than $dsc (the lists changed?): run the build again" >&2; exit 1; }
    top=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'openvswitch-*' | head -n 1)
    return 0
  fi
  step "the mirror has no upstream tarball for $dsc: taking the tree from openvswitch-source"
  find "$work" -mindepth 1 -maxdepth 1 -type d -name 'openvswitch-*' -exec rm -rf -- {} +
  private_apt apt-get source -q --download-only --dsc-only openvswitch
  private_apt apt-get source -q --download-only --diff-only openvswitch
  [ -f "$dsc" ] || { echo "apt fetched another source package than $dsc (the lists changed?): run the build again" >&2; exit 1; }
  version=$(sed -n 's/^Version:[[:space:]]*//p' "$dsc" | head -n 1)
  upstream=\${version#*:}
  upstream=\${upstream%-*}
  private_apt apt-get download -q "openvswitch-source=$version"
  rm -rf -- "$work/source-package" "$work/src"
  dpkg-deb -x "$work"/openvswitch-source_*.deb "$work/source-package"
  tree=$work/openvswitch-$upstream
  # Debian 12 ships the tree as a tarball, Debian 13 as files.
  if [ -f "$work/source-package/usr/src/openvswitch/openvswitch.tar.gz" ]; then
    unpack_tarball source-package/usr/src/openvswitch/openvswitch.tar.gz
    mv -- "$top" "$tree"
  else
    mv -- "$work/source-package/usr/src/openvswitch" "$tree"
  fi
  top=$tree
  rm -rf -- "$work/source-package" "$work/src"
}
# Debian's packaging over a tree from distro_tree's fallback; its patches are marked applied
# (they are, in openvswitch-source), so that dpkg-source does not apply them a second time.
debian_packaging_over_tree() {
  [ -d "$top/debian" ] && return 0
  tar -xf "$(find "$work" -maxdepth 1 -type f -name 'openvswitch_*.debian.tar.*' | head -n 1)" -C "$top"
  series=$top/debian/patches/series
  [ -f "$series" ] || return 0
  cd "$top"
  grep -v '^[[:space:]]*#' "$series" | awk 'NF { print $1 }' > "$work/patches"
  while read -r patch; do
    patch -p1 -R --dry-run -s -f < "debian/patches/$patch" >/dev/null || { echo "openvswitch-source $version does not hold Debian's patch $patch: cannot build from it" >&2; exit 1; }
  done < "$work/patches"
  mkdir -p .pc
  cp -- "$work/patches" .pc/applied-patches
  echo 2 > .pc/.version
  echo debian/patches > .pc/.quilt_patches
  echo series > .pc/.quilt_series
  cd "$work"
}
# The tarball's top directory (release tarballs hold exactly one).
unpack_tarball() {
  rm -rf -- "$work/src" && mkdir -p -- "$work/src"
  tar -xf "$work/$1" -C "$work/src"
  top=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  [ -n "$top" ] || { echo "the tarball holds no directory" >&2; exit 1; }
}
rm -rf -- "$work/out" && mkdir -p -- "$work/out"`;

/**
 * deb, as root. Args: work dir, origin (distro | tarball), jobs, the apt sources (`deb` and
 * `deb-src` lines, apt-sources.ts), the .dsc keyed (distro).
 * apt-get build-dep reads the unpacked tree's debian/control, so the build dependencies come from
 * the host's Debian repositories and are installed on the build host only.
 */
export const DEB_BUILD_SCRIPT = `${BUILD_PRELUDE}
step "installing the build tools"
private_apt apt-get install -y -q --no-install-recommends build-essential dpkg-dev fakeroot xz-utils
if [ "$origin" = distro ]; then
  step "fetching the source package $dsc"
  distro_tree
  debian_packaging_over_tree
else
  step "unpacking the tarball"
  unpack_tarball ${SOURCE_TARBALL}
  [ -f "$top/debian/control" ] || { echo "the tarball has no debian/control: it cannot be built as .deb (use --format rpm, or a release tarball from openvswitch.org)" >&2; exit 1; }
fi
step "installing the build dependencies"
private_apt apt-get build-dep -y -q --no-install-recommends "$top"
step "building in $top with $jobs jobs (no test suite)"
cd "$top"
# nocheck: the test suite takes hours and needs the kernel module; noddebs: no -dbgsym packages to fetch.
DEB_BUILD_OPTIONS="nocheck noddebs parallel=$jobs" dpkg-buildpackage -b -uc -us
cd "$work"
find "$work" -maxdepth 1 -type f -name '*.deb' -exec mv -- {} "$work/out/" \\;
step "built"`;

/**
 * rpm, as root, with Debian's rpm tools. Args as for deb. configure in the upstream tree writes
 * rhel/openvswitch-fedora.spec; KMOD_SED takes the kernel module out of it; rpmbuild builds the
 * binary packages with the tarball as Source0.
 */
export function rpmBuildScript(): string {
  const sed = KMOD_SED.map((word) => (word === '-e' ? word : `'${word}'`)).join(' ');
  return `${BUILD_PRELUDE}
step "installing the build tools"
# Debian has no rpm database of the spec's BuildRequires (they name Fedora packages): the
# Debian packages that provide them are installed here, and rpmbuild runs with --nodeps. The
# spec also builds its SELinux policy module (selinux-policy-dev, checkpolicy, semodule-utils).
private_apt apt-get install -y -q --no-install-recommends rpm build-essential dpkg-dev xz-utils autoconf automake libtool pkg-config \\
  python3 python3-dev python3-setuptools python3-sphinx graphviz groff-base libssl-dev libcap-ng-dev openssl procps file \\
  libxdp-dev libbpf-dev libunbound-dev libnuma-dev libpcap-dev selinux-policy-dev checkpolicy semodule-utils
if [ "$origin" = distro ]; then
  step "fetching the source package $dsc"
  distro_tree
  # rpmbuild wants the tree as a tarball (Source0): made from the one distro_tree unpacked.
  tar -czf "$work/${SOURCE_TARBALL}" -C "$(dirname -- "$top")" "$(basename -- "$top")"
  rm -rf -- "$top"
fi
step "unpacking the tarball"
unpack_tarball ${SOURCE_TARBALL}
step "generating the spec with configure"
cd "$top"
[ -x ./configure ] || ./boot.sh
./configure
[ -f rhel/openvswitch-fedora.spec ] || make rhel/openvswitch-fedora.spec
spec=$work/openvswitch.spec
sed ${sed} rhel/openvswitch-fedora.spec > "$spec"
version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec" | head -n 1)
[ -n "$version" ] || { echo "the generated spec has no Version" >&2; exit 1; }
mkdir -p -- "$work/rpmbuild/SOURCES"
cp -- "$work/${SOURCE_TARBALL}" "$work/rpmbuild/SOURCES/openvswitch-$version.tar.gz"
cd "$work"
step "building openvswitch $version with $jobs jobs (no test suite, no kernel module)"
# Fedora's macros that Debian's rpm does not define, or defines otherwise (_sharedstatedir is /usr/com there).
rpmbuild -bb --nocheck --nodeps --without check \\
  --define "_topdir $work/rpmbuild" --define "_smp_mflags -j$jobs" \\
  --define '_unitdir /usr/lib/systemd/system' --define '_rundir /run' --define '_sharedstatedir /var/lib' \\
  --define '__python3 /usr/bin/python3' --define 'python3_sitelib /usr/lib/python3/site-packages' \\
  --define 'python3_sitearch /usr/lib64/python3/site-packages' --define 'debug_package %{nil}' \\
  "$spec"
find "$work/rpmbuild/RPMS" -type f -name '*.rpm' -exec mv -- {} "$work/out/" \\;
step "built"`;
}

export function buildScript(format: PackageFormat): string {
  return format === 'deb' ? DEB_BUILD_SCRIPT : rpmBuildScript();
}

/** Args: work dir. `SHA256  NAME` for each package built. */
export const LIST_SCRIPT = `cd "$1/out" && for f in *.deb *.rpm; do [ -f "$f" ] && sha256sum -- "$f"; done; exit 0`;

/** Debug symbols, kernel modules and their sources are never fetched, nor shipped. */
const NOT_FETCHED = /(?:-dbgsym_|-dbg_|-debuginfo-|-debugsource-|dkms|datapath|kmod)/;

export function isFetched(fileName: string): boolean {
  return (fileName.endsWith('.deb') || fileName.endsWith('.rpm')) && !NOT_FETCHED.test(fileName);
}

/** What `up` ships to every host out of the build: the switch and what it needs of the build. */
export const SHIPPED_OVS_PACKAGES: Record<PackageFormat, readonly string[]> = {
  deb: ['openvswitch-common', 'openvswitch-switch'],
  rpm: ['openvswitch'],
};
