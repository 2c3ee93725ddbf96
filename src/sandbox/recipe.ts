// The host image recipe: what debootstrap installs and how the root is customised, and the content
// hashes that name the images (`meshctl-host:<hash>`), so an unchanged recipe is never rebuilt.
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { shellJoin } from '../transport/quote.js';

export interface HostRecipe {
  /** Bumped when the build procedure changes in a way the fields below do not show. */
  version: string;
  suite: string;
  mirror: string;
  variant: string;
  include: readonly string[];
  /** Shell script run as root inside the debootstrapped root. */
  customisation: string;
  /**
   * Packages installed at build (`sandbox up --image-packages`), test-only; absent for the plain
   * image, so that its hash, and the image every sandbox already has, stay as they were.
   */
  packages?: readonly string[];
}

/** The Debian releases a sandbox host can run; the first is the default. */
export const suites = ['bookworm', 'bullseye', 'trixie'] as const;
export type Suite = (typeof suites)[number];
export const defaultSuite: Suite = 'bookworm';

export function isSuite(name: string): name is Suite {
  return (suites as readonly string[]).includes(name);
}

/** The Debian mirror the hosts are built from and install from. */
export const debianMirror = 'http://deb.debian.org/debian';

/** The suite named by `sandbox up --suite`, or a usage error naming the known ones. */
export function checkSuite(name: string): Suite {
  if (isSuite(name)) return name;
  throw new UsageError(`unknown suite "${name}": use one of ${suites.join(', ')}`);
}

// Each of the three releases names its updates and security suites `<suite>-updates` and
// `<suite>-security` (bullseye was the first with that form), so one template serves them all.
const customisation = (suite: Suite): string => String.raw`set -eu

# Hosts install packages later (meshctl up): the release, its updates and its security fixes.
cat > /etc/apt/sources.list <<'EOT'
deb ${debianMirror} ${suite} main
deb ${debianMirror} ${suite}-updates main
deb http://deb.debian.org/debian-security ${suite}-security main
EOT
# Like a cloud image: no package lists baked in, so every host runs apt-get update before installing.
apt-get clean
rm -rf /var/lib/apt/lists/*

# Every host gets its own SSH host keys, made on first boot before sshd starts.
rm -f /etc/ssh/ssh_host_*
cat > /etc/systemd/system/ssh-host-keys.service <<'EOT'
[Unit]
Description=Generate this host's SSH host keys
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
RemainAfterExit=yes

[Install]
RequiredBy=ssh.service
EOT
systemctl enable ssh-host-keys.service

# An empty machine-id makes systemd generate one per host at boot instead of all sharing debootstrap's.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id

# meshctl logs in as a normal user and becomes root through sudo, as on a real fleet.
# Debian already has a system group "operator": the user joins it instead of getting its own.
useradd --create-home --shell /bin/bash --gid operator operator
# "*" = no password, yet not locked (a locked account may be refused by sshd).
usermod --password '*' operator
echo 'operator ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/operator
chmod 0440 /etc/sudoers.d/operator
install -d -m 700 /root/.ssh
install -d -m 700 -o operator -g operator /home/operator/.ssh

# No locales are installed: C.UTF-8 is built into libc, and the client's LANG/LC_* would name missing ones.
echo 'LANG=C.UTF-8' > /etc/default/locale
sed -i 's/^AcceptEnv/#AcceptEnv/' /etc/ssh/sshd_config

# Units for consoles, device managers and kernel modules a container has not; masked so they can
# never hold up boot. (systemd 257's modules-load fails without /lib/modules, leaving the system degraded.)
systemctl mask getty@tty1.service console-getty.service systemd-udevd.service \
  systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-modules-load.service
`;

// The packages' services are disabled again, so that `up` still has to enable and start them as
// on a fresh host; the lists and downloads go, like the plain image's. Runs with the network.
const bakePackages = (packages: readonly string[]): string => String.raw`
# Test-only: packages baked in (sandbox up --image-packages), their services left disabled.
enabled() { systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | sort; }
enabled > /tmp/enabled-before
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${shellJoin(packages)}
enabled > /tmp/enabled-after
comm -13 /tmp/enabled-before /tmp/enabled-after | xargs -r systemctl disable
rm -f /tmp/enabled-before /tmp/enabled-after
apt-get clean
rm -rf /var/lib/apt/lists/*
`;

/** A Debian package name (policy 5.6.1); they reach a shell quoted anyway, this catches typos early. */
const packageName = /^[a-z0-9][a-z0-9+.-]+$/;

/** The `--image-packages` names, unique and in order, or a usage error naming the bad ones. */
export function checkImagePackages(names: readonly string[]): string[] {
  const bad = names.filter((name) => !packageName.test(name));
  if (bad.length > 0) throw new UsageError(`--image-packages: not a Debian package name: ${bad.join(', ')}`);
  return [...new Set(names)];
}

export function hostRecipe(suite: Suite = defaultSuite, packages: readonly string[] = []): HostRecipe {
  const plain = hostRecipeOf(suite);
  if (packages.length === 0) return plain;
  return { ...plain, customisation: plain.customisation + bakePackages(packages), packages: [...packages] };
}

function hostRecipeOf(suite: Suite): HostRecipe {
  return {
    version: 'meshctl-host/1',
    suite,
    mirror: debianMirror,
    variant: 'minbase',
    include: [
      'systemd',
      'systemd-sysv',
      'openssh-server',
      'iproute2',
      'iputils-ping',
      'ca-certificates',
      'procps',
      'sudo',
      'gnupg',
      // Non-root systemctl, hostnamectl and logind talk over D-Bus, as on any installed Debian.
      'dbus',
    ],
    customisation: customisation(suite),
  };
}

/** The debootstrap stage alone: a changed customisation reuses it. */
export function baseImageTag(recipe: HostRecipe): string {
  const { version, suite, mirror, variant, include } = recipe;
  return `meshctl-host-base:${shortHash({ version, suite, mirror, variant, include })}`;
}

export function hostImageTag(recipe: HostRecipe): string {
  return `meshctl-host:${shortHash(recipe)}`;
}

/** 12 hex digits of the sha256 of the value's JSON (keys in declaration order). */
export function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

export function debootstrapArgs(recipe: HostRecipe, root: string): string[] {
  return [
    'debootstrap',
    `--variant=${recipe.variant}`,
    `--include=${recipe.include.join(',')}`,
    recipe.suite,
    root,
    recipe.mirror,
  ];
}
