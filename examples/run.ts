// Copyright 2026 the xenpv authors. MIT license.
/**
 * Runs one command on a guest's console shell, prints its output and exits
 * with its exit status:
 *
 * ```sh
 * XENPV_USER=Administrator XENPV_PASSWORD=... \
 *   deno run --allow-ffi examples/run.ts win10 -- ipconfig /all
 * deno run --allow-ffi examples/run.ts --simulate windows -- ver
 * ```
 *
 * Exit status: the command's own in 1-253, 254 for any other failing status
 * (printed on stderr), 255 when xenpv itself failed (see `--help`).
 *
 * @module
 */

import {
  commandExit,
  EXIT,
  EXIT_HELP,
  explain,
  parseFlags,
  StopSignals,
  UsageError,
} from "./_cli.ts";
import {
  CREDENTIALS_HELP,
  GUEST_FLAGS,
  type GuestTarget,
  inSession,
  passwordFileFlag,
  timeoutFlag,
} from "./_guest.ts";
import {
  isSimulated,
  SIMULATED,
  simulatedByName,
  simulatedGuest,
  takeSimulate,
} from "./_simulate.ts";

const USAGE = `usage: deno run --allow-ffi examples/run.ts [options] <domain> [--] <command...>

Log in to a guest's PV console, run one command, log out; print its output and
exit with its status. The command starts at "--" or at the first word after the
domain. Credentials: see below.

  -d, --dialect windows|linux   the guest's console dialect (default windows)
  -u, --user NAME               user name (default: $XENPV_USER)
      --password-file FILE      read the password from FILE (mode 0600)
      --elevate                 answer yes to "Run Elevated" (UAC-limited accounts)
      --timeout SECONDS         give up on login and on the command after this
                                long (default 60)
      --simulate [windows|linux]
                                use a built-in simulated guest (no Xen needed):
                                win1 (windows, the default) or deb1 (linux);
                                the domain is then win1, deb1 or left out
  -h, --help                    this text

${CREDENTIALS_HELP}

${EXIT_HELP}`;

/** Options that take a value: the word after them is not the domain. */
const VALUE_FLAGS = new Set(["-d", "--dialect", "-u", "--user", "--timeout", "--password-file"]);

/** The options, and the command: from "--", or from the first word after the domain. */
function splitCommand(args: string[]): { own: string[]; command: string[] } {
  let domain = false;
  let simulating = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return { own: args.slice(0, i), command: args.slice(i + 1) };
    if (arg.startsWith("-") && arg !== "-") {
      if (arg === "--simulate" || arg.startsWith("--simulate=")) {
        simulating = true;
        if (arg === "--simulate" && isSimulated(args[i + 1])) i++; // its dialect
      } else if (VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    // The domain is the first word; with --simulate it may be left out, so
    // there it is a simulated guest's name (or, named wrong, the word right
    // before "--"). The word after it starts the command.
    if (!domain && (!simulating || simulatedByName(arg) || args[i + 1] === "--")) {
      domain = true;
      continue;
    }
    return { own: args.slice(0, i), command: args.slice(i) };
  }
  return { own: args, command: [] };
}

/** The command line as a plan, or "help". */
function parse(args: string[]): { target: GuestTarget; command: string } | "help" {
  const { own, command } = splitCommand(args);
  const { args: flags, dialect: simulated } = takeSimulate(own);
  const { values: v, positionals } = parseFlags({
    args: flags,
    allowPositionals: true,
    options: { dialect: { type: "string", short: "d" }, ...GUEST_FLAGS },
  });
  if (v.help) return "help";
  const [domain] = positionals;
  if (v.dialect !== undefined && v.dialect !== "windows" && v.dialect !== "linux") {
    throw new UsageError(`--dialect takes windows or linux, got "${v.dialect}"`);
  }
  const dialect = v.dialect as "windows" | "linux" | undefined;
  const simulate = v.simulate ? simulatedGuest(simulated, domain, dialect) : undefined;
  if (simulate !== undefined && dialect !== undefined && dialect !== simulate) {
    throw new UsageError(
      `--dialect ${dialect} does not fit the simulated ${simulate} guest ${
        SIMULATED[simulate].name
      }`,
    );
  }
  if (!v.simulate && domain === undefined) {
    throw new UsageError("which guest? give a name or a domid (or --simulate)");
  }
  if (command.length === 0) throw new UsageError("which command? give it after the domain");
  return {
    target: {
      domain: simulate ? undefined : domain,
      simulate,
      dialect: simulate ?? dialect ?? "windows",
      user: v.user,
      passwordFile: passwordFileFlag(v["password-file"]),
      elevate: v.elevate,
      timeout: timeoutFlag(v.timeout),
    },
    command: command.join(" "),
  };
}

async function main(args: string[]): Promise<number> {
  using stop = new StopSignals();
  let plan: ReturnType<typeof parse>;
  try {
    plan = parse(args);
  } catch (err) {
    return explain("run", err);
  }
  if (plan === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { target, command } = plan;
  const within = () => AbortSignal.any([stop.signal, AbortSignal.timeout(target.timeout)]);
  return await inSession("run", target, stop, within, async (session) => {
    const result = await session.run(command, { signal: within() });
    await Deno.stdout.write(new TextEncoder().encode(result.output));
    const code = commandExit(result.exitCode);
    if (code === EXIT.outOfRange) {
      console.error(`run: the command exited with status ${result.exitCode}`);
    }
    return code;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
