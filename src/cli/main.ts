// The meshctl command line: commands declared here, loaded lazily, and the one place that
// turns errors and interrupts (Ctrl-C: interrupts.ts) into messages and exit codes.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, MeshctlError } from '../errors.js';
import { backendNames } from '../backends/index.js';
import { defaultSuite, suites } from '../sandbox/recipe.js';
import { currentRunLog, RunLog, setCurrentRunLog } from '../logging/run-log.js';
import { processOutput, type Output } from '../output.js';
import { withInterrupts } from './interrupts.js';

const DEFAULT_INVENTORY = 'inventory.yaml';

export async function main(argv: readonly string[], output: Output = processOutput): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(output, (code) => {
    exitCode = code;
  });
  program.hook('preAction', (_program, command) => openRunLog(command.optsWithGlobals(), argv, output));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, output);
  } finally {
    currentRunLog()?.close();
    setCurrentRunLog(undefined);
  }
}

/** -v and --log, global: before or after the command. The log lives for the command's run. */
function openRunLog(options: { verbose?: boolean; log?: string }, argv: readonly string[], output: Output): void {
  if (options.verbose !== true && options.log === undefined) return;
  setCurrentRunLog(
    new RunLog({
      ...(options.verbose === true ? { verbose: (line: string) => output.err(line) } : {}),
      ...(options.log === undefined ? {} : { file: options.log }),
      header: `meshctl ${argv.join(' ')} (pid ${process.pid})`,
    }),
  );
}

export function reportError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    // Commander already printed the message (or the help text).
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
  }
  if (error instanceof MeshctlError) {
    output.err(`meshctl: ${error.message}`);
    return error.exitCode;
  }
  output.err(`meshctl: internal error, please report it with this output:\n${error instanceof Error ? error.stack : String(error)}`);
  return ExitCode.internal;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds, 0 or more');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The options up, down and plan share. */
interface ConvergeFlags {
  inventory: string;
  limit?: string;
  forks: number;
  lockTimeout: number;
  json: boolean;
  playbook?: string;
}

function buildProgram(output: Output, setExit: (code: number) => void): Command {
  const program = new Command('meshctl')
    .description('Bring up container networking across many Linux hosts over SSH, and prove that it works.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .option('-v, --verbose', 'print each remote command per host as it finishes, with its duration and exit code (stderr)')
    .option('--log <file>', 'append a full log of the run to this file (secrets redacted)');

  const inventoryOption = (): Option =>
    new Option('-i, --inventory <file>', 'inventory file (meshctl YAML, or an Ansible inventory with meshctl.yaml beside it)').default(DEFAULT_INVENTORY);
  const forksOption = (): Option =>
    new Option('-f, --forks <n>', 'how many hosts are worked on at once').argParser(positiveInt).default(10);
  const limitOption = (more = ''): Option => new Option('-l, --limit <names>', `only these hosts and groups (comma-separated)${more}`);
  const lockTimeoutOption = (): Option =>
    new Option('--lock-timeout <seconds>', "how long to wait for hosts another meshctl run holds (their run lock)").argParser(seconds).default(300);

  program
    .command('up')
    .description('bring the mesh up on every host of the inventory (idempotent)')
    .argument('[inventory]', 'inventory file (same as -i)')
    .addOption(inventoryOption())
    .addOption(limitOption('; their tunnels still reach every host'))
    .addOption(forksOption())
    .addOption(lockTimeoutOption())
    .option('--check', 'show what would change, change nothing', false)
    .option('--diff', "show each changing task's file diffs and commands", false)
    .option('--confirm', 'show the plan first and ask before applying it', false)
    .option('-y, --yes', 'apply without asking (with --confirm)', false)
    .option('--json', 'print the result as one JSON object', false)
    .option('--playbook <file>', "run this playbook instead of the backend's")
    .option('--force', 'go on past the preflight findings that are safe to skip (printed as warnings)', false)
    .action(async (positional: string | undefined, opts: ConvergeFlags & { check: boolean; diff: boolean; confirm: boolean; yes: boolean; force: boolean }) => {
      const { converge } = await import('../commands/converge.js');
      setExit(await withInterrupts(output, (interrupt) => converge('up', { ...opts, inventory: positional ?? opts.inventory, purge: false }, output, undefined, interrupt)));
    });

  program
    .command('plan')
    .description('show what `up` would change on each host (file diffs and commands), change nothing; same as up --check --diff')
    .argument('[inventory]', 'inventory file (same as -i)')
    .addOption(inventoryOption())
    .addOption(limitOption('; their tunnels still reach every host'))
    .addOption(forksOption())
    .addOption(lockTimeoutOption())
    .option('--json', 'print the result as one JSON object, with every task and its steps', false)
    .option('--playbook <file>', "plan this playbook instead of the backend's")
    .option('--force', 'plan past the preflight findings that are safe to skip, as up --force would', false)
    .action(async (positional: string | undefined, opts: ConvergeFlags & { force: boolean }) => {
      const { converge } = await import('../commands/converge.js');
      setExit(await withInterrupts(output, (interrupt) => converge('up', { ...opts, inventory: positional ?? opts.inventory, purge: false, check: true, diff: true }, output, undefined, interrupt)));
    });

  program
    .command('down')
    .description('remove everything `up` made (packages stay unless --purge)')
    .argument('[inventory]', 'inventory file (same as -i)')
    .addOption(inventoryOption())
    .addOption(limitOption('; the others keep their tunnels toward them'))
    .addOption(forksOption())
    .addOption(lockTimeoutOption())
    .option('--purge', 'also remove the packages `up` installed', false)
    .option('--check', 'show what would change, change nothing', false)
    .option('--diff', "show each changing task's file diffs and commands", false)
    .option('--json', 'print the result as one JSON object', false)
    .option('--playbook <file>', "run this playbook instead of the backend's")
    .action(async (positional: string | undefined, opts: ConvergeFlags & { purge: boolean; check: boolean; diff: boolean }) => {
      const { converge } = await import('../commands/converge.js');
      setExit(await withInterrupts(output, (interrupt) => converge('down', { ...opts, inventory: positional ?? opts.inventory }, output, undefined, interrupt)));
    });

  program
    .command('status')
    .description("each host's subnet, whether it can be reached, and whether its mesh is up (changes nothing)")
    .argument('[inventory]', 'inventory file (same as -i)')
    .addOption(inventoryOption())
    .addOption(limitOption())
    .addOption(forksOption())
    .option('--json', 'print the result as one JSON object', false)
    .action(async (positional: string | undefined, opts: { inventory: string; limit?: string; forks: number; json: boolean }) => {
      const { status } = await import('../commands/status.js');
      setExit(await status({ ...opts, inventory: positional ?? opts.inventory }, output));
    });

  const verify = program.command('verify').description('prove the mesh works');
  verify
    .command('ping-matrix')
    .description('probe every ordered pair of hosts: ICMP, TCP, and a full-MTU ping')
    .addOption(inventoryOption())
    // The probes mostly wait on the network, so every host of a large mesh probes at once by default.
    .addOption(forksOption().default(50))
    .option('--json', 'print the result as one JSON object', false)
    .addOption(new Option('--timeout <seconds>', 'how long to wait for the mesh to settle').argParser(positiveInt).default(120))
    .option('--keep-probes', 'leave the probe containers running', false)
    .option('--throughput', 'also time a 4 MiB TCP transfer per pair (MB/s in the matrix)', false)
    .option('--html <file>', 'also write the matrix as a self-contained HTML page')
    .addOption(new Option('--peers <k>', 'each host probes only K of its peers, spread over the inventory (each host is also probed by K): for large meshes').argParser(positiveInt))
    .action(async (opts: { inventory: string; forks: number; json: boolean; timeout: number; keepProbes: boolean; throughput: boolean; html?: string; peers?: number }) => {
      const { verifyPingMatrix } = await import('../commands/verify.js');
      setExit(await withInterrupts(output, (interrupt) => verifyPingMatrix(opts, output, interrupt)));
    });

  program
    .command('exec')
    .description('run a command on hosts and show its output per host')
    .addOption(inventoryOption())
    .addOption(limitOption())
    .addOption(forksOption())
    .option('--become', 'run as root through sudo', false)
    .option('--lock', "take each host's run lock first, as up and down do", false)
    .addOption(lockTimeoutOption())
    .option('--json', 'print the results as one JSON object', false)
    .argument('<command...>', 'the command, after --')
    .action(async (command: string[], opts: { inventory: string; limit?: string; forks: number; become: boolean; lock: boolean; lockTimeout: number; json: boolean }) => {
      const { execOnHosts } = await import('../commands/exec.js');
      setExit(await execOnHosts({ ...opts, command }, output));
    });

  const build = program.command('build').description('build packages from source once, kept in a cache (~/.cache/meshctl)');
  build
    .command('ovs')
    .description("build Open vSwitch .deb or .rpm packages on the build host (group build, else the first host), or take them from the cache, and copy them to --out")
    .addOption(inventoryOption())
    .option('--format <deb|rpm>', "package format (default: the inventory's ovs.build.format, else deb)")
    .option('--out <dir>', 'where the packages are copied')
    .option('--source <path|url>', "an Open vSwitch release tarball, here or at an http(s) URL (default: the inventory's ovs.build.source, else the distribution's source package)")
    .option('--prune', 'empty the build cache first', false)
    .addOption(lockTimeoutOption())
    .action(async (opts: { inventory: string; format?: string; out?: string; source?: string; prune: boolean; lockTimeout: number }) => {
      const { buildOvsCommand } = await import('../commands/build.js');
      setExit(await buildOvsCommand(opts, output));
    });
  build
    .command('prune')
    .description('empty the build cache')
    .action(async () => {
      const { pruneCommand } = await import('../commands/build.js');
      setExit(await pruneCommand(output));
    });

  addSandboxCommands(program, output);
  return program;
}

function addSandboxCommands(program: Command, output: Output): void {
  const sandbox = program.command('sandbox').description('simulated hosts on this machine, for the demo and the tests');
  const log = (line: string): void => output.err(line);
  const inventoryOption = (): Option => new Option('-i, --inventory <file>', 'inventory file').default(DEFAULT_INVENTORY);

  sandbox
    .command('up')
    .description('start N host containers and write an inventory for them')
    .addOption(new Option('-n, --hosts <n>', 'how many hosts').argParser(positiveInt).default(3))
    .option('-b, --backend <name>', `mesh backend: ${backendNames.join(', ')}`, 'ovs-gre')
    .option('--suite <name>', `the hosts' Debian release: ${suites.join(', ')}`, defaultSuite)
    .addOption(inventoryOption())
    .option('--set <key=value>', 'set an inventory value by its dotted path (repeatable; kv.nodes=N: the store on N hosts)', collect, [])
    .option(
      '--image-packages <names>',
      'test-only: hosts from an image with these packages (comma-separated) installed, their services disabled for `up` to start',
      (value: string) => value.split(',').map((name) => name.trim()).filter((name) => name !== ''),
    )
    .action(async (opts: { hosts: number; backend: string; suite: string; inventory: string; set: string[]; imagePackages?: string[] }) => {
      const { sandboxUp } = await import('../sandbox/index.js');
      await sandboxUp({
        hosts: opts.hosts,
        backend: opts.backend,
        suite: opts.suite,
        inventoryPath: opts.inventory,
        sets: opts.set,
        imagePackages: opts.imagePackages ?? [],
        log,
      });
      output.out(`sandbox ready: ${opts.hosts} Debian ${opts.suite} host(s); inventory written to ${opts.inventory}`);
    });

  sandbox
    .command('down')
    .description('remove the sandbox hosts, networks and keys')
    .addOption(inventoryOption())
    .action(async (opts: { inventory: string }) => {
      const { sandboxDown } = await import('../sandbox/index.js');
      await sandboxDown({ inventoryPath: opts.inventory, log });
    });

  sandbox
    .command('add')
    .description('start K more hosts in the sandbox (next names and addresses) and add them to its inventory')
    .addOption(new Option('-n, --hosts <k>', 'how many hosts').argParser(positiveInt).default(1))
    .addOption(inventoryOption())
    .action(async (opts: { hosts: number; inventory: string }) => {
      const { sandboxAdd } = await import('../sandbox/index.js');
      const added = await sandboxAdd({ hosts: opts.hosts, inventoryPath: opts.inventory, log });
      output.out(`added ${added.map((host) => host.name).join(', ')} to ${opts.inventory}`);
    });

  sandbox
    .command('remove')
    .description("remove one sandbox host: its container and its inventory entry (the next `up` frees its slice)")
    .argument('<host>', 'host name from the inventory')
    .addOption(inventoryOption())
    .action(async (host: string, opts: { inventory: string }) => {
      const { sandboxRemove } = await import('../sandbox/index.js');
      await sandboxRemove({ host, inventoryPath: opts.inventory, log });
    });

  for (const action of ['stop', 'start', 'restart'] as const) {
    sandbox
      .command(action)
      .description(`${action} one sandbox host${action === 'restart' ? ' (a reboot)' : ''}`)
      .argument('<host>', 'host name from the inventory')
      .addOption(inventoryOption())
      .action(async (host: string, opts: { inventory: string }) => {
        const { sandboxHostAction } = await import('../sandbox/index.js');
        await sandboxHostAction({ inventoryPath: opts.inventory, action, host, log });
      });
  }
}

