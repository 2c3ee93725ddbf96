// The floor of a first `up`: the package installs it would run, taken from `meshctl plan --json`
// on the fresh hosts (the packages module's own steps: same apt-get, same options), as one script
// to run directly on every host at once. Example: `installFloor(plan).script` for `meshctl exec`.
import { shellQuote } from '../transport/quote.js';

/** What `plan --json` prints, as far as the floor needs it. */
export interface PlanJson {
  hosts: Record<string, { tasks?: { task: string; steps?: ({ run: string } | { put: string })[] }[] }>;
}

export interface InstallFloor {
  /** sh script: each host (by its hostname, which is its inventory name in the sandbox) runs its own installs. */
  script: string;
  /**
   * The packages the installs name unconditionally, for `sandbox up --image-packages`; the optional
   * ones (installed `if apt-cache show` has them, e.g. docker-cli) are left to `up`.
   */
  packages: string[];
}

/** A step of the packages module: `apt-get ... update`, or `apt-get ... install ...` (also inside its `if apt-cache show`). */
const aptStep = /\bapt-get\b.*\b(update|install)\b/;
const installedNames = /--no-install-recommends((?: (?!-)[^\s;]+)+)/g;

export function installFloor(plan: PlanJson): InstallFloor {
  const branches: string[] = [];
  const packages = new Set<string>();
  for (const [host, { tasks = [] }] of Object.entries(plan.hosts)) {
    const runs = tasks
      .filter((task) => (task.steps ?? []).some((step) => 'run' in step && /\bapt-get\b.*\binstall\b/.test(step.run)))
      .flatMap((task) => (task.steps ?? []).flatMap((step) => ('run' in step && aptStep.test(step.run) ? [step.run] : [])));
    for (const run of runs.filter((step) => !step.startsWith('if '))) for (const match of run.matchAll(installedNames)) for (const name of (match[1] ?? '').trim().split(' ')) packages.add(unquote(name));
    if (runs.length > 0) branches.push(`  ${shellQuote(host)}) ${runs.join(' && ')} ;;`);
  }
  // set -e inside each branch through &&, as the engine joins a task's steps into one set -e script.
  const script = ['set -e', `case "$(hostname)" in`, ...branches, `  *) echo "no installs planned for $(hostname)" >&2; exit 1 ;;`, 'esac'].join('\n');
  return { script, packages: [...packages].sort() };
}

function unquote(word: string): string {
  return word.startsWith("'") && word.endsWith("'") ? word.slice(1, -1).replaceAll(`'\\''`, "'") : word;
}
