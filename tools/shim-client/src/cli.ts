import { buildInfo, createProgram } from '@peerpods/cli';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { AgentSession } from './agent-session';
import { DEFAULT_HYPERVISOR_SOCKET } from './hypervisor-client';
import { DEFAULT_BRIDGE, DEFAULT_SUBNET } from './pod-network';
import {
  KERNEL_POD_NETWORK,
  type LaunchedSandbox,
  launchSandbox,
  type PodNetworkOps,
  type StepTiming,
  teardownSandbox,
} from './sandbox-lifecycle';
import { DEFAULT_STATE_DIR, loadSandbox, type SandboxState } from './sandbox-state';

/** Where the CLI writes; replaceable for tests. */
export interface ShimCliIo {
  stdout(chunk: Buffer | string): void;
  stderr(chunk: Buffer | string): void;
}

export interface ShimCliOptions {
  io?: ShimCliIo;
  /** Default: the real kernel pod network (root). */
  networkOps?: PodNetworkOps;
  /** Which signals make `run` stop the sandbox and end; default SIGINT and SIGTERM. */
  signals?: readonly NodeJS.Signals[];
}

interface GlobalFlags {
  socket: string;
  workerNetns?: string;
  bridge: string;
  subnet: string;
  stateDir: string;
  ipamDir?: string;
}

interface CreateFlags {
  id?: string;
  podName: string;
  podNamespace: string;
  podUid?: string;
  annotation: Record<string, string>;
  json?: boolean;
}

const ID = /^[0-9a-f]{64}$/;

function parseAnnotation(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const equals = value.indexOf('=');
  if (equals <= 0) {
    throw new InvalidArgumentError(`annotations are key=value, and ${JSON.stringify(value)} has no key=`);
  }
  return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) };
}

function parseId(value: string): string {
  if (!ID.test(value)) throw new InvalidArgumentError(`a sandbox id is 64 lower-case hex characters`);
  return value;
}

/** What follows `--` on the command line; an error naming the command when there is no `--`. */
function commandAfterDashes(program: Command, command: Command): string[] {
  // Commander keeps the argv it parsed (with the `--`) but does not declare it in its types.
  const raw = (program as unknown as { rawArgs: readonly string[] }).rawArgs;
  const dashes = raw.indexOf('--');
  const args = dashes < 0 ? [] : raw.slice(dashes + 1);
  if (dashes < 0) command.error(`error: ${command.name()} needs "--" before the command, e.g. -- uname -a`);
  if (args.length === 0) command.error(`error: ${command.name()}: no command after "--"`);
  return args;
}

export function buildCli(options: ShimCliOptions = {}): Command {
  const io: ShimCliIo = options.io ?? {
    stdout: (chunk) => process.stdout.write(chunk),
    stderr: (chunk) => process.stderr.write(chunk),
  };
  const networkOps = options.networkOps ?? KERNEL_POD_NETWORK;
  const info = buildInfo('shim-client', pkg.version);
  const program = createProgram({
    info,
    description:
      'Talks to cloud-api-adaptor exactly as the kata shim does, standing in for it (and for kubelet + the CNI ' +
      'bridge plugin) in demos, end-to-end tests and debugging: a pod netns on a bridge, CreateVM, StartVM, ' +
      "then the kata agent API on the sandbox's agent.ttrpc socket. Sandboxes live across invocations in " +
      '--state-dir, so `create`, `exec` and `stop` may be separate commands; `run` does all three.',
  });
  program
    .addOption(
      new Option('--socket <path>', "cloud-api-adaptor's hypervisor socket").default(
        DEFAULT_HYPERVISOR_SOCKET,
      ),
    )
    .addOption(
      new Option(
        '--worker-netns <path>',
        "netns where the CNI bridge lives (e.g. /run/netns/worker); default: this process's own",
      ),
    )
    .addOption(new Option('--bridge <name>', 'the CNI bridge').default(DEFAULT_BRIDGE))
    .addOption(
      new Option('--subnet <cidr>', 'pod subnet; the bridge holds its first address').default(DEFAULT_SUBNET),
    )
    .addOption(new Option('--state-dir <dir>', 'where sandboxes are remembered').default(DEFAULT_STATE_DIR))
    .addOption(new Option('--ipam-dir <dir>', 'where pod IPs are reserved (default /run/peerpod-shim/ipam)'));

  const say = (text: string): void => io.stdout(`${text}\n`);
  /** Runs `work` with an AbortSignal that the signals (Ctrl-C, SIGTERM) abort. */
  const withSignals = async (work: (signal: AbortSignal) => Promise<void>): Promise<void> => {
    const abort = new AbortController();
    const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
    const onSignal = (): void => abort.abort(new Error('interrupted'));
    for (const signal of signals) process.on(signal, onSignal);
    try {
      await work(abort.signal);
    } finally {
      for (const signal of signals) process.off(signal, onSignal);
    }
  };
  const fail = (error: unknown, exitCode = 1): void => {
    io.stderr(`shim-client: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = exitCode;
  };
  const globals = (command: Command): GlobalFlags => command.optsWithGlobals<GlobalFlags & CreateFlags>();
  const printStep = (timing: StepTiming): void =>
    say(`step         ${timing.step.padEnd(20)} ${timing.ms.toFixed(1).padStart(8)} ms`);

  const addCreateOptions = (command: Command): Command =>
    command
      .addOption(new Option('--id <hex>', 'sandbox id, 64 hex (default: random)').argParser(parseId))
      .addOption(new Option('--pod-name <name>', 'sandbox name annotation').default('demo'))
      .addOption(new Option('--pod-namespace <ns>', 'sandbox namespace annotation').default('default'))
      .addOption(new Option('--pod-uid <uid>', 'sandbox uid annotation (default: a random UUID)'))
      .addOption(
        new Option('--annotation <key=value>', 'extra CreateVM annotation; repeatable')
          .argParser(parseAnnotation)
          .default({}, 'none'),
      );

  const create = async (
    command: Command,
    quietSteps = false,
    signal?: AbortSignal,
  ): Promise<LaunchedSandbox> => {
    const flags = command.optsWithGlobals<GlobalFlags & CreateFlags>();
    return launchSandbox({
      id: flags.id,
      podName: flags.podName,
      podNamespace: flags.podNamespace,
      podUid: flags.podUid,
      annotations: flags.annotation,
      socketPath: flags.socket,
      network: {
        workerNetns: flags.workerNetns,
        bridge: flags.bridge,
        subnet: flags.subnet,
        ...(flags.ipamDir === undefined ? {} : { ipamDir: flags.ipamDir }),
      },
      networkOps,
      stateDir: flags.stateDir,
      onStep: flags.json || quietSteps ? undefined : printStep,
      signal,
    });
  };

  const describe = (launched: LaunchedSandbox, json: boolean): void => {
    const { state, timings } = launched;
    const net = state.podNetwork;
    if (json) {
      say(JSON.stringify({ ...state, annotations: launched.annotations, timings }, null, 2));
      return;
    }
    say(`sandbox      ${state.id}`);
    say(`agent        ${state.agentSocketPath}`);
    say(`pod IP       ${net.ip}/${net.prefixLength} (gateway ${net.gateway} on ${net.bridge})`);
    say(`MAC          ${net.mac}`);
    say(`netns        ${net.path}`);
    const total = timings.reduce((sum, timing) => sum + timing.ms, 0);
    say(`total        ${total.toFixed(1)} ms`);
  };

  const stop = async (
    state: SandboxState,
    flags: GlobalFlags,
    quiet: boolean,
    clients: Pick<LaunchedSandbox, 'agent' | 'hypervisor'> | undefined = undefined,
  ): Promise<boolean> => {
    const result = await teardownSandbox(state, {
      agent: clients?.agent,
      hypervisor: clients?.hypervisor,
      networkOps,
      stateDir: flags.stateDir,
      onStep: quiet ? undefined : printStep,
    });
    const fatal = result.errors.filter((error) => error.step !== 'DestroySandbox');
    for (const error of result.errors) {
      io.stderr(
        `shim-client: stop ${state.id.slice(0, 12)}: ${error.step}: ${error.message}${error.step === 'DestroySandbox' ? ' (ignored)' : ''}\n`,
      );
    }
    return fatal.length === 0;
  };

  const execIn = async (session: AgentSession, args: string[], signal?: AbortSignal): Promise<number> => {
    const result = await session.runContainer({
      args,
      onStdout: (chunk) => io.stdout(chunk),
      onStderr: (chunk) => io.stderr(chunk),
      signal,
    });
    return result.exitCode;
  };

  addCreateOptions(
    program
      .command('create')
      .description(
        'make a pod network (netns cni-<id prefix> on the bridge), then CreateVM, StartVM, Health.Check and ' +
          'CreateSandbox as the kata shim does; remembers the sandbox and prints its id, agent socket, pod IP, ' +
          'MAC, netns and the time of each step. A failure after CreateVM stops the VM and deletes the network.',
      ),
  )
    .addOption(new Option('--json', 'print the sandbox as JSON'))
    .action(async (_flags: CreateFlags, command: Command) => {
      await withSignals(async (signal) => {
        try {
          const launched = await create(command, false, signal);
          launched.agent.close();
          launched.hypervisor.close();
          describe(launched, Boolean(command.opts<CreateFlags>().json));
        } catch (error) {
          // launchSandbox has already stopped the VM and deleted the pod network.
          fail(
            signal.aborted ? new Error('interrupted; nothing was left behind') : error,
            signal.aborted ? 130 : 1,
          );
        }
      });
    });

  program
    .command('exec')
    .description(
      'run a command in a created sandbox (CreateContainer, StartContainer, ReadStdout/ReadStderr, ' +
        'WaitProcess, RemoveContainer); its output streams to this terminal and its exit code is ours',
    )
    .requiredOption('--id <hex>', 'the sandbox (from create)')
    .argument('[command...]', 'after "--": the command and its arguments')
    .allowUnknownOption()
    .action(async (_args: string[], _flags: unknown, command: Command) => {
      const args = commandAfterDashes(program, command);
      const flags = command.optsWithGlobals<GlobalFlags & { id: string }>();
      let session: AgentSession | undefined;
      try {
        const state = await loadSandbox(flags.id, flags.stateDir);
        const connected = await AgentSession.connect(state.agentSocketPath, { dialMs: 5_000 });
        session = connected;
        await withSignals(async (signal) => {
          try {
            process.exitCode = await execIn(connected, args, signal);
          } catch (error) {
            if (!signal.aborted) throw error;
            fail(new Error('interrupted; the command was killed and its container removed'), 130);
          }
        });
      } catch (error) {
        fail(error);
      } finally {
        session?.close();
      }
    });

  program
    .command('stop')
    .description('DestroySandbox (best effort), StopVM, then delete the pod network and the saved state')
    .requiredOption('--id <hex>', 'the sandbox (from create)')
    .action(async (_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & { id: string }>();
      try {
        const state = await loadSandbox(flags.id, flags.stateDir);
        if (!(await stop(state, flags, false))) process.exitCode = 1;
      } catch (error) {
        fail(error);
      }
    });

  addCreateOptions(
    program
      .command('run')
      .description(
        'create, exec the command after "--", then stop (always: also on failure or Ctrl-C); ' +
          "the exit code is the command's",
      ),
  )
    .argument('[command...]', 'after "--": the command and its arguments')
    .allowUnknownOption()
    .action(async (_args: string[], _flags: unknown, command: Command) => {
      const args = commandAfterDashes(program, command);
      await withSignals(async (signal) => {
        let launched: LaunchedSandbox | undefined;
        try {
          launched = await create(command, true, signal);
          process.exitCode = await execIn(launched.agent, args, signal);
        } catch (error) {
          if (signal.aborted) fail(new Error('interrupted; stopping the sandbox'), 130);
          else fail(error);
        } finally {
          if (launched) {
            const stopped = await stop(launched.state, globals(command), true, launched);
            if (!stopped && !process.exitCode) process.exitCode = 1;
          }
        }
      });
    });

  program.addHelpText(
    'after',
    `
Examples (as root, with cloud-api-adaptor listening on ${DEFAULT_HYPERVISOR_SOCKET}):
  shim-client run -- uname -a                      create, run one command, stop
  shim-client create --pod-name nginx --annotation io.katacontainers.config.hypervisor.machine_type=t3.small
  shim-client exec --id <id> -- ip addr            as often as wanted
  shim-client stop --id <id>
  shim-client --worker-netns /run/netns/worker --bridge br-demo run -- ping -c1 10.244.0.1
`,
  );
  return program;
}
