// The host image's names follow its recipe: any change to the recipe names a new host image, and
// the base image (the debootstrap stage) is named anew exactly when what debootstrap gets changes,
// so a cached image is never reused for another recipe nor rebuilt for the same one.
import { spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { baseImageTag, checkImagePackages, checkSuite, debootstrapArgs, hostImageTag, hostRecipe as recipeFor, suites, type HostRecipe } from '../../../src/sandbox/recipe.js';

const hostRecipe = recipeFor();

// One changed recipe per field: a field added to HostRecipe does not compile here until it has one.
const changed: Record<keyof HostRecipe, HostRecipe> = {
  version: { ...hostRecipe, version: 'meshctl-host/999' },
  suite: { ...hostRecipe, suite: 'trixie' },
  mirror: { ...hostRecipe, mirror: 'http://mirror.example/debian' },
  variant: { ...hostRecipe, variant: 'buildd' },
  include: { ...hostRecipe, include: [...hostRecipe.include, 'curl'] },
  customisation: { ...hostRecipe, customisation: `${hostRecipe.customisation}\ntrue\n` },
  packages: recipeFor('bookworm', ['openvswitch-switch']),
};

// Docker's grammar for a repository name and a tag (distribution/reference).
const IMAGE_REFERENCE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*:[\w][\w.-]{0,127}$/;

describe('host image tags', () => {
  it('are image references Docker accepts, the same for a copy of the recipe', () => {
    for (const tag of [hostImageTag(hostRecipe), baseImageTag(hostRecipe)]) expect(tag).toMatch(IMAGE_REFERENCE);
    const copy = structuredClone(hostRecipe);
    expect(hostImageTag(copy)).toBe(hostImageTag(hostRecipe));
    expect(baseImageTag(copy)).toBe(baseImageTag(hostRecipe));
  });

  it.each(Object.entries(changed))('name a new host image for a changed %s', (_field, recipe) => {
    expect(hostImageTag(recipe)).not.toBe(hostImageTag(hostRecipe));
  });

  it.each(Object.entries(changed))('name a new base image for a changed %s only if debootstrap gets other arguments', (field, recipe) => {
    const debootstrapChanged = !isDeepStrictEqual(debootstrapArgs(recipe, '/root'), debootstrapArgs(hostRecipe, '/root'));
    // `version` marks a changed build procedure, which may be in either stage.
    const baseRebuilt = baseImageTag(recipe) !== baseImageTag(hostRecipe);
    expect(baseRebuilt).toBe(debootstrapChanged || field === 'version');
  });
});

describe('debootstrapArgs', () => {
  /** Reads argv back as debootstrap does: `debootstrap [OPTION...] SUITE TARGET [MIRROR]`. */
  function asDebootstrapReadsIt(argv: string[]): Record<string, unknown> {
    const [program, ...rest] = argv;
    const options = Object.fromEntries(rest.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=', 2) as [string, string]));
    const [suite, target, mirror] = rest.filter((a) => !a.startsWith('--'));
    return { program, variant: options.variant, include: options.include?.split(','), suite, target, mirror };
  }

  it('gives debootstrap the recipe, into the given root', () => {
    expect(asDebootstrapReadsIt(debootstrapArgs(hostRecipe, '/var/tmp/root'))).toEqual({
      program: 'debootstrap',
      variant: hostRecipe.variant,
      include: [...hostRecipe.include],
      suite: hostRecipe.suite,
      target: '/var/tmp/root',
      mirror: hostRecipe.mirror,
    });
  });

  it('includes only Debian package names, which a comma-separated --include cannot split wrongly', () => {
    for (const name of hostRecipe.include) expect(name).toMatch(/^[a-z0-9][a-z0-9+.-]+$/);
  });
});

describe('hostRecipe', () => {
  it('builds fresh Debian hosts: no docker or openvswitch preinstalled, which meshctl up installs', () => {
    expect(hostRecipe.include.some((p) => /^(docker|openvswitch)/.test(p))).toBe(false);
    expect(hostRecipe.include).toEqual(expect.arrayContaining(['systemd', 'systemd-sysv', 'openssh-server', 'sudo']));
  });

  it('customises with a script /bin/sh can parse', () => {
    const parsed = spawnSync('/bin/sh', ['-n', '-c', hostRecipe.customisation], { encoding: 'utf8' });
    expect(parsed.stderr).toBe('');
    expect(parsed.status).toBe(0);
  });
});

describe('hostRecipe per suite', () => {
  /** The `deb URI SUITE COMPONENTS` lines the customisation writes to /etc/apt/sources.list. */
  function aptSources(recipe: HostRecipe): { uri: string; suite: string; components: string[] }[] {
    const heredoc = /cat > \/etc\/apt\/sources\.list <<'EOT'\n([\s\S]*?)\nEOT\n/.exec(recipe.customisation);
    if (heredoc?.[1] === undefined) throw new Error('no sources.list in the customisation');
    return heredoc[1].split('\n').map((line) => {
      const [kind, uri = '', suite = '', ...components] = line.trim().split(/\s+/);
      expect(kind).toBe('deb');
      return { uri, suite, components };
    });
  }

  it('defaults to bookworm', () => {
    expect(recipeFor().suite).toBe('bookworm');
    expect(suites[0]).toBe('bookworm');
  });

  it.each([...suites])('%s: debootstraps that release and installs from its release, updates and security suites', (suite) => {
    const recipe = recipeFor(suite);
    expect(debootstrapArgs(recipe, '/r')).toContain(suite);
    expect(aptSources(recipe)).toEqual([
      { uri: recipe.mirror, suite, components: ['main'] },
      { uri: recipe.mirror, suite: `${suite}-updates`, components: ['main'] },
      { uri: 'http://deb.debian.org/debian-security', suite: `${suite}-security`, components: ['main'] },
    ]);
    const parsed = spawnSync('/bin/sh', ['-n', '-c', recipe.customisation], { encoding: 'utf8' });
    expect(parsed.status).toBe(0);
  });

  it('names a separate image, base included, for each suite', () => {
    const tags = suites.map((suite) => [hostImageTag(recipeFor(suite)), baseImageTag(recipeFor(suite))]).flat();
    expect(new Set(tags).size).toBe(suites.length * 2);
  });

  it('mentions no other release in a suite\'s customisation', () => {
    for (const suite of suites) {
      const others = suites.filter((s) => s !== suite);
      for (const other of others) expect(recipeFor(suite).customisation).not.toContain(other);
    }
  });
});

describe('checkSuite', () => {
  it('accepts the known suites', () => {
    for (const suite of suites) expect(checkSuite(suite)).toBe(suite);
  });

  it('refuses another as a usage error that lists the known ones', () => {
    const error = (() => {
      try {
        checkSuite('buster');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    for (const suite of ['buster', ...suites]) expect((error as Error).message).toContain(suite);
  });
});

describe('hostRecipe with packages baked in (--image-packages)', () => {
  const baked = recipeFor('bookworm', ['docker.io', 'openvswitch-switch']);

  it('leaves the plain recipe, and so its image name, as before packages existed', () => {
    expect(recipeFor('bookworm', [])).toEqual(hostRecipe);
    expect('packages' in hostRecipe).toBe(false);
  });

  it('reuses the plain base image and names its own host image', () => {
    expect(baseImageTag(baked)).toBe(baseImageTag(hostRecipe));
    expect(hostImageTag(baked)).not.toBe(hostImageTag(hostRecipe));
    expect(hostImageTag(recipeFor('bookworm', ['docker.io']))).not.toBe(hostImageTag(baked));
  });

  it('installs the packages after the plain customisation, in a script /bin/sh can parse', () => {
    expect(baked.customisation.startsWith(hostRecipe.customisation)).toBe(true);
    const added = baked.customisation.slice(hostRecipe.customisation.length);
    expect(added).toContain('apt-get install -y --no-install-recommends docker.io openvswitch-switch\n');
    // The services the install enabled are disabled again, so that `up` has them to start.
    expect(added.indexOf('systemctl disable')).toBeGreaterThan(added.indexOf('apt-get install'));
    const parsed = spawnSync('/bin/sh', ['-n', '-c', baked.customisation], { encoding: 'utf8' });
    expect(parsed.stderr).toBe('');
    expect(parsed.status).toBe(0);
  });
});

describe('checkImagePackages', () => {
  it('keeps Debian package names once each, in order', () => {
    expect(checkImagePackages(['openvswitch-switch', 'docker.io', 'libstdc++6', 'docker.io'])).toEqual(['openvswitch-switch', 'docker.io', 'libstdc++6']);
  });

  it('refuses anything else as a usage error naming it', () => {
    expect(() => checkImagePackages(['docker.io', 'vim; rm -rf /', 'Docker'])).toThrow(UsageError);
    expect(() => checkImagePackages(['vim; rm -rf /'])).toThrow(/vim; rm -rf \//);
  });
});
