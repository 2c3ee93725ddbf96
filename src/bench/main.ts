// `npm run bench`: on fresh sandbox meshes of each size and backend, the medians of first `up`
// against its floor (the same package installs run directly on fresh hosts), a no-op `up` against
// `exec -- true`, `verify ping-matrix`, `down`, and the controller's peak memory; printed as a
// markdown table and written to bench/results/<date>T<hhmm>-<sizes>.json with the machine described.
// Example: `npm run bench -- --sizes 3 --runs 1 --backends ovs-gre`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { backendNames } from '../backends/index.js';
import { MeshctlError } from '../errors.js';
import { parseBenchArgs, type BenchOptions } from './args.js';
import { installFloor, type InstallFloor, type PlanJson } from './floor.js';
import { describeMachine } from './machine.js';
import { timed, type Timed } from './measure.js';
import { figuresOf, markdownTable, measurements, type Measurement, type Samples, type SizeResult } from './stats.js';

const workDir = resolve('bench/work');
const resultsDir = resolve('bench/results');

const log = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

async function main(argv: readonly string[]): Promise<void> {
  const options = parseBenchArgs(argv, backendNames);
  const startedAt = new Date();
  const results: SizeResult[] = [];
  for (const hosts of options.sizes) {
    for (const backend of options.backends) {
      results.push(await benchMesh(hosts, backend, options));
      process.stdout.write(`\n${markdownTable(results.map(figuresOf), options.runs)}\n`);
    }
  }
  const machine = await describeMachine();
  await mkdir(resultsDir, { recursive: true });
  // The minute it started is in the name: two runs of one day never overwrite each other.
  const file = join(resultsDir, `${startedAt.toISOString().slice(0, 16).replace(':', '')}-${options.sizes.join('-')}${options.skipFirstUp ? '-no-first-up' : ''}.json`);
  const body = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    options,
    method: {
      firstUp: '`up --json` on fresh hosts of the plain image; a new sandbox per run',
      firstUpFloor: "the packages module's steps from `plan --json` on fresh hosts (apt-get update, install with the same options), run by `exec --become` on all hosts of another new sandbox per run",
      noopUp: '`up --json` on a mesh already up (hosts from the --image-packages image), every host changed 0',
      noopFloor: '`exec -- true` on the same hosts',
      verify: '`verify ping-matrix --json` on the same mesh',
      down: '`down --json`, then `up` again (not timed) for the next run',
      peakMiB: 'VmHWM of the meshctl process, polled every 50 ms; the highest median over the measurements',
      forks: 'the CLI defaults (up, down, exec: 10; verify: 50)',
    },
    results: results.map((result) => ({ ...figuresOf(result), samples: result.samples })),
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  log(`results written to ${file}`);
}

async function benchMesh(hosts: number, backend: string, options: BenchOptions): Promise<SizeResult> {
  // A new inventory (so a new sandbox name) for every sandbox: a network that dockerd cannot
  // remove (a stale endpoint: seen at 12 and at 50 hosts) then costs a warning, not the whole benchmark.
  let sandboxes = 0;
  let inventory = join(workDir, `${backend}-${hosts}`, 'inventory.yaml');
  const samples = Object.fromEntries(measurements.map((m) => [m, { seconds: [], peakMiB: [] }])) as unknown as Record<Measurement, Samples>;
  const record = (measurement: Measurement, run: Timed): void => {
    samples[measurement].seconds.push(run.seconds);
    samples[measurement].peakMiB.push(run.peakMiB);
    log(`${backend} × ${hosts}: ${measurement} ${run.seconds.toFixed(2)} s, peak ${run.peakMiB?.toFixed(0) ?? '?'} MiB`);
  };
  const freshSandbox = async (extra: string[] = []): Promise<void> => {
    await tearDown(inventory);
    inventory = join(workDir, `${backend}-${hosts}-${++sandboxes}`, 'inventory.yaml');
    await tearDown(inventory);
    await must(['sandbox', 'up', '--hosts', String(hosts), '--backend', backend, '-i', inventory, ...extra]);
  };

  // First up and its floor each need hosts that never had the packages: a new sandbox every run,
  // rather than `down --purge`, which would leave apt's lists and downloads behind.
  let floor: InstallFloor | undefined;
  if (options.skipFirstUp) {
    // The baked image still needs the packages the first up would install: plan on fresh hosts.
    await freshSandbox();
    floor = await plannedInstalls(inventory);
  }
  for (let run = 1; run <= (options.skipFirstUp ? 0 : options.runs); run++) {
    log(`${backend} × ${hosts}: first up, run ${run}/${options.runs}`);
    await freshSandbox();
    floor ??= await plannedInstalls(inventory);
    record('firstUpFloor', await must(['exec', '-i', inventory, '--become', '--json', '--', floor.script]));
    await freshSandbox();
    record('firstUp', await must(['up', inventory, '--json']));
  }
  if (floor === undefined) throw new Error('no runs');

  // The no-op figures do not depend on how the packages got there: the baked image saves the installs.
  log(`${backend} × ${hosts}: no-op up, verify and down on hosts with ${floor.packages.join(', ')} baked in`);
  await freshSandbox(['--image-packages', floor.packages.join(',')]);
  await must(['up', inventory, '--json']);
  for (let run = 1; run <= options.runs; run++) {
    record('noopFloor', await must(['exec', '-i', inventory, '--json', '--', 'true']));
    const noop = await must(['up', inventory, '--json']);
    const changed = Object.entries((JSON.parse(noop.stdout) as { hosts: Record<string, { changed: number }> }).hosts).filter(([, h]) => h.changed > 0);
    if (changed.length > 0) throw new Error(`a second up changed ${changed.map(([name]) => name).join(', ')}: not a no-op`);
    record('noopUp', noop);
    record('verify', await must(['verify', 'ping-matrix', '-i', inventory, '--json']));
  }
  for (let run = 1; run <= options.runs; run++) {
    record('down', await must(['down', inventory, '--json']));
    if (run < options.runs || options.keep) await must(['up', inventory, '--json']);
  }
  if (!options.keep) await tearDown(inventory);
  return { hosts, backend, samples };
}

/** `sandbox down`; a failure is reported and the benchmark goes on with the next sandbox. */
async function tearDown(inventory: string): Promise<void> {
  const down = await timed(['sandbox', 'down', '-i', inventory]);
  if (down.code !== 0) log(`warning: sandbox down -i ${inventory} exited ${down.code}, left as it is: ${(down.stderr + down.stdout).trim().split('\n').slice(-2).join(' ')}`);
}

/** The install steps `plan` shows for fresh hosts: whatever its exit code, its JSON is the plan. */
async function plannedInstalls(inventory: string): Promise<InstallFloor> {
  const plan = await timed(['plan', inventory, '--json']);
  let parsed: PlanJson;
  try {
    parsed = JSON.parse(plan.stdout) as PlanJson;
  } catch {
    throw new Error(`meshctl plan printed no JSON (exit ${plan.code}):\n${plan.stderr.slice(-2000)}`);
  }
  const floor = installFloor(parsed);
  if (floor.packages.length === 0) throw new Error('meshctl plan shows no package installs on fresh hosts');
  return floor;
}

async function must(args: string[]): Promise<Timed> {
  const run = await timed(args);
  if (run.code !== 0) {
    const shown = args.map((arg) => (arg.includes('\n') ? '<script>' : arg)).join(' ');
    throw new Error(`meshctl ${shown} exited ${run.code}:\n${(run.stderr + run.stdout).slice(-3000)}`);
  }
  return run;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof MeshctlError || error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof MeshctlError ? error.exitCode : 1;
});
