// Copyright 2026 the xenpv authors. MIT license.
// `deno task mutate`: one-line mutations of security- and contract-critical
// code, each applied to a copy of the repository and its covering tests run
// there. A mutation the tests do not notice (they pass on the mutated code)
// survives: some rule it breaks is untested. On demand, not in CI: each
// mutation costs a test run.
//
//   deno task mutate [--only NAME[,NAME...]] [--list] [--timeout SECONDS]
//                    [--no-baseline] [--check]
//
// The working tree is never written: the repository's files (tracked and
// untracked, not ignored: `git ls-files`) are copied to a temporary
// directory, a mutation is written into the copy, its tests run there with
// `deno test -A --no-check` (a kill must come from a failing test, not from
// the type checker; --check type-checks too), and the file is put back before
// the next one. The copy is removed at the end, on an error and on ^C. A
// run past --timeout (default 300 s) is ended and counts as a kill (a hang
// is noticed), but a test should bound its own waits and fail sooner.
//
// Before the mutations the covering tests run once on the real code (the
// baseline; --no-baseline skips it): a test that already fails would kill
// every mutation. Each mutation's `find` must occur exactly once in its file,
// so a change to the code that moves it away is reported (stale), not
// silently skipped.
//
// Exit status: 0 all killed, 1 some survived, 2 a stale mutation, a failing
// baseline or a test run that broke without a test result (see its output).

/** One mutation: `find` (one line's text, exactly once in `file`) becomes `replace`. */
export interface Mutation {
  /** A short name, for --only and the table. */
  name: string;
  /** The file mutated, relative to the repository's root. */
  file: string;
  /** Text within one line, occurring exactly once in the file. */
  find: string;
  replace: string;
  /** The test files (relative to the root) that must notice. */
  tests: string[];
  /** What the mutation breaks, as a user would see it. */
  breaks: string;
}

const SESSION = ["tests/session/exit_status_test.ts", "tests/session/session_test.ts"];
const XENSTORE = ["xenstore/server_test.ts", "tests/xenstore/permissions_test.ts"];
const SERVE_AUTH = ["serve/_scrollback_test.ts", "tests/serve/auth_test.ts"];
const SERVE_IDENTITY = ["tests/serve/identity_test.ts"];
const RING = ["ring/console_ring_test.ts", "ring/endpoint_test.ts"];
const PTY = [
  "_sys/planted_files_test.ts",
  "tests/console/connect_test.ts",
  "tests/console/connect_faults_test.ts",
];
const CREDENTIALS = ["xencons/credentials_test.ts", "tests/errors_test.ts"];
const LOG_MASK = [
  "xencons/_log_mask_test.ts",
  "xencons/console_log_test.ts",
  "xencons/typed_lines_test.ts",
];

/** The mutations: the four of issue 34 first, then the others. */
export const MUTATIONS: readonly Mutation[] = [
  {
    name: "log-mask-first-candidate",
    file: "xencons/_log_mask.ts",
    find: "this.#secret(candidates.at(-1)!.readings);",
    replace: "this.#secret(candidates[0].readings);",
    tests: LOG_MASK,
    breaks: "a password typed ahead after another line is logged (the other line masked)",
  },
  {
    name: "log-mask-first-candidate-settled",
    file: "xencons/_log_mask.ts",
    find: "this.#settle(candidates, candidates.at(-1));",
    replace: "this.#settle(candidates, candidates[0]);",
    tests: LOG_MASK,
    breaks: "the typed-lines audit marks the wrong typed-ahead line as the password",
  },
  {
    name: "xenstore-no-owner-change",
    file: "xenstore/_server_permissions.ts",
    find: "if (domid !== 0 && perms[0].domid !== domid) {",
    replace: "if (domid !== 0 && perms[0].domid !== domid && false) {",
    tests: XENSTORE,
    breaks: "a guest's nodes under another's node are owned by that one: its quota escaped",
  },
  {
    name: "cli-command-exit-255",
    file: "examples/_cli.ts",
    find: "status >= 1 && status <= 253 ?",
    replace: "status >= 1 && status <= 255 ?",
    tests: ["tests/cli/examples_test.ts", "tests/cli/messages_test.ts"],
    breaks: "a command's 254 or 255 reads as run.ts's own statuses (xenpv failed)",
  },
  {
    name: "windows-status-negative",
    file: "xencons/windows_dialect.ts",
    find: "const pattern = new RegExp(`${tag}X(-?\\\\d+)\\\\r?\\\\n`);",
    replace: "const pattern = new RegExp(`${tag}X(\\\\d+)\\\\r?\\\\n`);",
    tests: SESSION,
    breaks: "`cmd /c exit -5` is never seen to end (a timeout) instead of status -5",
  },
  {
    name: "windows-exit-status-negative",
    file: "xencons/windows_dialect.ts",
    find: "pattern: new RegExp(`${tag}X(-?\\\\d+)( exit)?\\\\r?\\\\n`),",
    replace: "pattern: new RegExp(`${tag}X(\\\\d+)( exit)?\\\\r?\\\\n`),",
    tests: SESSION,
    breaks: "`exit -5` (which ends the shell) is never seen to end",
  },
  {
    name: "serve-origin-any-port",
    file: "serve/_auth.ts",
    find: '(origin === `${this.#secure ? "https" : "http"}://${host}` ||',
    replace: '(origin.replace(/:\\d+$/, "") === ' +
      '`${this.#secure ? "https" : "http"}://${host}`.replace(/:\\d+$/, "") ||',
    // not tests/serve/browser_test.ts: it needs Chromium and is slow
    tests: SERVE_AUTH,
    breaks: "a page served by another port of the same host opens the console's WebSockets",
  },
  // Further security- and contract-critical one-liners.
  {
    name: "serve-token-prefix",
    file: "serve/_auth.ts",
    find: 'crypto.subtle.digest("SHA-256", encoder.encode(secret)),',
    replace: 'crypto.subtle.digest("SHA-256", encoder.encode(secret.slice(0, given.length))),',
    tests: SERVE_AUTH,
    breaks: "any prefix of the token (the empty one too) is admitted",
  },
  {
    name: "serve-any-host",
    file: "serve/_auth.ts",
    find: "this.#allowedHosts.has(host.toLowerCase())",
    replace: 'host !== ""',
    tests: SERVE_AUTH,
    breaks: "DNS rebinding: a page of another name reaches the server",
  },
  {
    name: "serve-user-header-from-anyone",
    file: "serve/_auth.ts",
    find: "if (trustedProxies.has(normalAddress(peer))) {",
    replace: "if (true) {",
    tests: SERVE_IDENTITY,
    breaks: "anyone who reaches the server names themselves in the proxy's header",
  },
  {
    name: "serve-forged-header-ignored",
    file: "serve/_auth.ts",
    find: "if (named !== null) {",
    replace: "if (false) {",
    tests: SERVE_IDENTITY,
    breaks: "a forged user header from an untrusted address passes silently (with the token)",
  },
  {
    name: "serve-viewer-takes-keyboard",
    file: "serve/_served_guest.ts",
    find: 'if (viewer.info.role !== "operator") {',
    replace: "if (false) {",
    tests: SERVE_IDENTITY,
    breaks: "a viewer who is no operator takes the keyboard and types",
  },
  {
    name: "xenstore-give-node-away",
    file: "xenstore/_server_permissions.ts",
    find: 'if (perms[0].domid !== domid) throw new Refusal("EPERM");',
    replace: "",
    tests: XENSTORE,
    breaks: "a guest gives its nodes to dom0 or another guest (escaping or filling a quota)",
  },
  {
    name: "xenstore-quota-one-more",
    file: "xenstore/_server_quotas.ts",
    find: "return limit > 0 && count > limit;",
    replace: "return limit > 0 && count > limit + 1;",
    tests: XENSTORE,
    breaks: "a guest owns one node (one permission entry, ...) past its quota",
  },
  {
    name: "xenstore-others-write",
    file: "xenstore/permissions.ts",
    find: "?.access ?? perms[0].access;",
    replace: '?.access ?? "both";',
    tests: ["xenstore/permissions_test.ts", ...XENSTORE],
    breaks: "a domain not listed in a node's permissions reads and writes it",
  },
  {
    name: "domid-reserved",
    file: "_sys/domid.ts",
    find: "domid < DOMID_FIRST_RESERVED;",
    replace: "domid <= DOMID_FIRST_RESERVED;",
    tests: ["_sys/domid_test.ts", "xenstore/permissions_test.ts"],
    breaks: "0x7FF0 (DOMID_SELF...) taken for a domain's id",
  },
  {
    name: "domid-guest-dom0",
    file: "_sys/domid.ts",
    find: "domid >= (options?.guest ? 1 : 0)",
    replace: "domid >= 0",
    tests: ["_sys/domid_test.ts", "xenstore/permissions_test.ts"],
    breaks: "dom0 taken for a guest",
  },
  {
    name: "ring-rx-overfull",
    file: "ring/console_ring.ts",
    find: "if (avail > rx.size) this.#fail(",
    replace: "if (avail > rx.size * 2) this.#fail(",
    tests: RING,
    breaks: "a guest announcing more bytes than the ring holds has them read (stale data twice)",
  },
  {
    name: "ring-tx-passed",
    file: "ring/console_ring.ts",
    find: "if (used > tx.size) this.#fail(",
    replace: "if (used > tx.size * 2) this.#fail(",
    tests: RING,
    breaks: "a guest whose consumer index passes ours makes us overwrite unread bytes",
  },
  {
    name: "ring-own-index-changed",
    file: "ring/console_ring.ts",
    find: "if (this.#load(rx.cons) !== this.#rxCons) {",
    replace: "if (false) {",
    tests: RING,
    breaks: "a guest that rewrites our consumer index is trusted",
  },
  {
    name: "xenstore-block-while-serving",
    file: "xenstore/client.ts",
    find: "servingHere()",
    replace: "false",
    tests: ["tests/xenstore/xenstore_blocking_test.ts"],
    breaks: "a client blocks the event loop that serves its own requests (a 10 ms stall each)",
  },
  {
    name: "pty-not-root-owned",
    file: "_sys/pty.ts",
    find: "if (before.uid !== owner) {",
    replace: "if (false) {",
    tests: PTY,
    breaks: "a user's pty named in xenstore is opened as a console",
  },
  {
    name: "pty-own-terminal",
    file: "_sys/pty.ts",
    find: "if (isOwnTerminal(libc, before)) {",
    replace: "if (false) {",
    tests: PTY,
    breaks: "our own terminal named in xenstore is opened as a console",
  },
  {
    name: "credentials-group-readable",
    file: "xencons/credentials.ts",
    find: "if ((stat.mode & 0o077) !== 0) {",
    replace: "if ((stat.mode & 0o007) !== 0) {",
    tests: CREDENTIALS,
    breaks: "a password file the group may read is accepted",
  },
  {
    name: "credentials-not-regular",
    file: "xencons/credentials.ts",
    find: "if ((stat.mode & S_IFMT) !== S_IFREG) {",
    replace: "if (false) {",
    tests: CREDENTIALS,
    breaks: "a FIFO or device is read as the password file",
  },
  {
    name: "transcript-split-secret",
    file: "xencons/transcript.ts",
    find: "const keep = this.#startOfSecret(masked);",
    replace: "const keep = 0;",
    tests: ["xencons/transcript_test.ts", "xencons/console_log_test.ts"],
    breaks: "a password arriving in two chunks is logged",
  },
  {
    name: "serve-recording-hard-link",
    file: "_sys/files.ts",
    find: "} else if (stat.nlink !== 1) {",
    replace: "} else if (stat.nlink === 0) {",
    tests: ["tests/serve/recordings_test.ts"],
    breaks: "a hard link named as a recording serves another file's contents",
  },
  {
    name: "serve-recording-shared",
    file: "_sys/files.ts",
    find: "} else if (only && (stat.mode & 0o077) !== 0) {",
    replace: "} else if (only && (stat.mode & 0o007) !== 0) {",
    tests: ["tests/serve/recordings_test.ts"],
    breaks: "a file readable by the group or others, named as a recording, is served",
  },
  {
    name: "serve-recording-other-guest",
    file: "serve/_recordings.ts",
    find: "if (match === null || match[1] !== baseName(domid, name)) return undefined;",
    replace: "if (match === null) return undefined;",
    tests: ["tests/serve/recordings_test.ts"],
    breaks: "any guest's recording is served under another guest's address",
  },
  {
    name: "serve-recording-input-unmasked",
    file: "serve/_served_guest.ts",
    find: "this.#recording?.recorder.input(typed);",
    replace: "void typed;",
    tests: ["tests/serve/recordings_test.ts"],
    breaks: "a password typed through the page and echoed by the guest is recorded",
  },
  {
    name: "serve-recording-resize-unbounded",
    file: "serve/_served_guest.ts",
    find: "!(beforeOutput || this.#recordResizes.take(1))",
    replace: "false",
    tests: ["tests/serve/recordings_test.ts"],
    breaks: "a viewer flooding resize messages writes a resize event for each into the recording",
  },
  {
    name: "file-copy-follows-symlink",
    file: "xencons/_file_scripts.ts",
    find: "&& [ -f /proc/self/fd/3 ]${write}",
    replace: "${write}",
    tests: ["tests/session/files_peer_test.ts"],
    breaks:
      "root's putFile writes through a symlink to a device a guest user planted at its part file",
  },
];

interface Options {
  only: string[] | undefined;
  list: boolean;
  timeout: number;
  baseline: boolean;
  check: boolean;
}

function parseArgs(args: string[]): Options | undefined {
  const options: Options = {
    only: undefined,
    list: false,
    timeout: 300,
    baseline: true,
    check: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--list") options.list = true;
    else if (arg === "--no-baseline") options.baseline = false;
    else if (arg === "--check") options.check = true;
    else if (arg === "--only" && i + 1 < args.length) options.only = args[++i].split(",");
    else if (arg === "--timeout" && /^[1-9][0-9]*$/.test(args[i + 1] ?? "")) {
      options.timeout = Number(args[++i]);
    } else {
      console.error(`mutate: unknown argument ${JSON.stringify(arg)} (see tools/mutate.ts)`);
      return undefined;
    }
  }
  return options;
}

type Outcome = "killed" | "killed (timeout)" | "SURVIVED" | "BROKEN";

interface TestRun {
  code: number | "timeout";
  output: string;
  seconds: number;
}

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const decoder = new TextDecoder();

/** The files of the working tree, relative to `root`: tracked and untracked, not ignored. */
async function repositoryFiles(): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ls-files failed: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout).split("\0").filter((f) => f !== "");
}

async function copyRepository(to: string): Promise<void> {
  for (const file of await repositoryFiles()) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(`${root}/${file}`);
    } catch {
      continue; // deleted in the working tree, still in the index
    }
    if (!info.isFile) continue;
    const target = `${to}/${file}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${root}/${file}`, target);
  }
}

let running: Deno.ChildProcess | undefined;

/** Runs `deno test` on `tests` in `dir`; its output kept, a timeout ends it. */
async function runTests(
  dir: string,
  tests: string[],
  options: Options,
): Promise<TestRun> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", ...(options.check ? [] : ["--no-check"]), ...tests],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  running = child;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  }, options.timeout * 1000);
  try {
    const out = await child.output();
    const output = decoder.decode(out.stdout) + decoder.decode(out.stderr);
    const seconds = (performance.now() - started) / 1000;
    return { code: timedOut ? "timeout" : out.code, output, seconds };
  } finally {
    clearTimeout(timer);
    running = undefined;
  }
}

/** What a test run says of a mutation. */
function outcome(run: TestRun): Outcome {
  if (run.code === "timeout") return "killed (timeout)";
  if (run.code === 0) return "SURVIVED";
  // a failing test: deno's summary line counts it
  const failed = /\| (\d+) failed/.exec(run.output);
  return failed && Number(failed[1]) > 0 ? "killed" : "BROKEN";
}

/** The tests deno's report lists as failed: `name (file)`. */
function failedTests(output: string): string[] {
  const failures = output.slice(output.lastIndexOf(" FAILURES "));
  return [...failures.matchAll(/^(.+) => \.\/(\S+):\d+:\d+$/gm)].map(([, name, file]) =>
    `${name} (${file})`
  );
}

function occurrences(text: string, find: string): number {
  let n = 0;
  for (let at = text.indexOf(find); at >= 0; at = text.indexOf(find, at + 1)) n++;
  return n;
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  if (options === undefined) return 2;
  let mutations = MUTATIONS;
  if (options.only) {
    const unknown = options.only.filter((n) => !MUTATIONS.some((m) => m.name === n));
    if (unknown.length > 0) {
      console.error(`mutate: no mutation named ${unknown.join(", ")} (--list lists them)`);
      return 2;
    }
    mutations = MUTATIONS.filter((m) => options.only!.includes(m.name));
  }
  if (options.list) {
    for (const m of mutations) console.log(`${m.name}\t${m.file}\t${m.breaks}`);
    return 0;
  }

  // Every mutation must apply to the code as it is now.
  let stale = false;
  for (const m of mutations) {
    const n = occurrences(await Deno.readTextFile(`${root}/${m.file}`), m.find);
    if (n !== 1 || m.find.includes("\n")) {
      console.log(`STALE ${m.name}: its text occurs ${n} times in ${m.file}: ${m.find}`);
      stale = true;
    }
  }
  if (stale) return 2;

  const dir = await Deno.makeTempDir({ prefix: "xenpv-mutate-" });
  const removeCopy = () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* gone */ }
  };
  const interrupted = () => {
    try {
      running?.kill("SIGKILL");
    } catch { /* ended */ }
    removeCopy();
    console.log("\nmutate: interrupted; the copy is removed (the working tree was never written)");
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  const results: { m: Mutation; result: Outcome; seconds: number }[] = [];
  try {
    await copyRepository(dir);
    if (options.baseline) {
      const all = [...new Set(mutations.flatMap((m) => m.tests))];
      console.log(`baseline: ${all.length} test files on the real code`);
      const run = await runTests(dir, all, options);
      if (run.code !== 0) {
        console.log(tail(run.output, 80));
        console.log("mutate: the covering tests fail on the real code; fix them first");
        return 2;
      }
      console.log(`baseline: ok (${run.seconds.toFixed(0)} s)`);
    }
    for (const m of mutations) {
      const path = `${dir}/${m.file}`;
      const original = await Deno.readTextFile(path);
      try {
        await Deno.writeTextFile(path, original.replace(m.find, () => m.replace));
        const run = await runTests(dir, m.tests, options);
        const result = outcome(run);
        results.push({ m, result, seconds: run.seconds });
        console.log(`${result.padEnd(16)} ${m.name} (${run.seconds.toFixed(0)} s)`);
        if (result === "killed") {
          for (const test of failedTests(run.output)) console.log(`  by ${test}`);
        }
        if (result === "BROKEN") console.log(tail(run.output));
      } finally {
        await Deno.writeTextFile(path, original);
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
    removeCopy();
  }

  console.log("\n| mutation | file | result | tests run |");
  console.log("| --- | --- | --- | --- |");
  for (const { m, result, seconds } of results) {
    console.log(
      `| ${m.name} | ${m.file} | ${result} | ${m.tests.length} files, ${seconds.toFixed(0)} s |`,
    );
  }
  const survivors = results.filter((r) => r.result === "SURVIVED");
  const broken = results.filter((r) => r.result === "BROKEN");
  console.log(
    `\n${results.length - survivors.length - broken.length} killed | ${survivors.length} survived` +
      (broken.length > 0 ? ` | ${broken.length} broken` : ""),
  );
  for (const { m } of survivors) {
    console.log(`survivor: ${m.name} (${m.file}: ${m.find} -> ${m.replace}): ${m.breaks}`);
  }
  return broken.length > 0 ? 2 : survivors.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
