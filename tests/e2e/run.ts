// Copyright 2026 the xenpv authors. MIT license.
// `deno task e2e`: boots Xen 4.17 with a Debian PV dom0 under QEMU (TCG, no
// KVM needed), where dom0 creates the guests of the kinds asked for (PV
// always; PVH; HVM with the qemu-xen device model), runs the dom0 suite
// (tests/e2e/dom0/suite.ts: the console and xenstore tests, last the one that
// kills xenstored) in one deno process with this deno binary against the real
// hypervisor, drivers, xenstored, xenconsoled and device model, and fails when a test fails or
// the run does not finish in time (saying which test was running and how
// long each took). Each result is printed as it comes, with its duration.
// The QEMU serial log is printed on failure; every run leaves it in
// .cache/e2e/out/serial.log.
//
//   deno task e2e [--kinds pv,pvh,hvm] [--filter <test name>] [--timeout <seconds>]
//                 [--stall <seconds>]
//
// --kinds: the guest kinds besides PV (always there) that the console tests
// run on. Default pv,pvh,hvm (what CI runs): every kind, the PVH and HVM
// guests pinned to one physical CPU (unpinned they died of triple faults at
// random under QEMU's multi-threaded TCG: docs/e2e.md); `--kinds pv,pvh` is
// quicker while working on something else.
//
// Needs root (apt-get download, 9p with security_model=none), qemu-system-x86
// and gcc on the host; the Xen and kernel packages are fetched into
// .cache/e2e (ignored by git) on the first run.

import { parseArgs } from "node:util";
import { buildImage, fetchPackages } from "./_image.ts";
import { parseKinds } from "./_guests.ts";
import { tapCounts } from "./_tap.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    filter: { type: "string" },
    kinds: { type: "string", default: "pv,pvh,hvm" },
    // Measured here: 322 s with PV guests, 544 s with every kind. The cap
    // leaves room for a machine twice as slow; past it the run fails naming
    // the test that was running.
    timeout: { type: "string", default: "1080" },
    "boot-timeout": { type: "string", default: "180" },
    // The longest quiet spell seen: an HVM guest's boot under load (251 s).
    stall: { type: "string", default: "300" },
    // Before the suite starts the serial console speaks every 10-100 s.
    "boot-stall": { type: "string", default: "180" },
  },
});
const repo = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const cache = `${repo}/.cache/e2e`;
const out = `${cache}/out`;
const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);
const log = (s: string) => console.log(`e2e [${elapsed()} s] ${s}`);

/** What one boot of the emulated machine gave. */
interface Boot {
  serial: string[];
  exit: number | undefined;
  status: Deno.CommandStatus;
  qemuErrors: string;
  done: { line: string; at: number; seconds: number }[];
  /** The machine went quiet before the dom0 suite started, and was stopped. */
  hungAtBoot: boolean;
}

/** Boots Xen under QEMU with the image and follows the dom0 suite until QEMU exits. */
async function bootOnce(image: { xen: string; kernel: string; initrd: string }): Promise<Boot> {
  const deno = Deno.execPath();
  const qemu = new Deno.Command("qemu-system-x86_64", {
    args: [
      "-machine",
      "pc",
      "-accel",
      "tcg,thread=multi",
      "-cpu",
      "max",
      "-m",
      "3072",
      "-smp",
      "2",
      "-display",
      "none",
      "-serial",
      "stdio",
      "-monitor",
      "none",
      "-no-reboot",
      "-device",
      "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "-virtfs",
      `local,path=${repo},mount_tag=repo,security_model=none,multidevs=remap`,
      "-virtfs",
      `local,path=${deno.replace(/\/[^/]*$/, "")},mount_tag=deno,security_model=none,readonly=on`,
      "-kernel",
      image.xen,
      "-append",
      // xsave=0: with Xen switching FPU state through XSAVE under TCG, user
      // processes in dom0 see corrupted vector registers once other domains
      // run (deno: SIGSEGV in V8/tokio threads, corrupted strings; a pure-JS
      // stress crashed 4 runs in 6 with two idle guests, 0 in 12 without
      // guests, 0 in 6 with xsave=0). Xen then uses FXSAVE and hides AVX.
      "console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M noreboot smap=0 smep=0 " +
      "loglvl=warning guest_loglvl=warning xsave=0",
      "-initrd",
      `${image.kernel} console=hvc0 earlyprintk=xen rdinit=/init loglevel=4,${image.initrd}`,
    ],
    stdin: "piped", // Xen's debug keys, when the run stalls (askXen)
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  log("QEMU started");

  const serial: string[] = [];
  let exit: number | undefined;
  let booted = false;
  /** The dom0 suite's results as they come (TAP "ok N - name"), with when each came. */
  const done: { line: string; at: number; seconds: number }[] = [];
  let suiteStarted: number | undefined;
  const now = () => (performance.now() - started) / 1000;
  const timeout = Number(values.timeout) * 1000;
  const bootTimeout = Number(values["boot-timeout"]) * 1000;
  const bootTimer = setTimeout(() => {
    if (!booted) {
      log(`dom0 did not come up within ${values["boot-timeout"]} s`);
      qemu.kill("SIGKILL");
    }
  }, bootTimeout);
  // When the run stalls (no line on the serial console for --stall seconds) or hits
  // its cap, Xen is asked for its state: the serial console's input switched
  // to Xen (Ctrl-A three times), then the debug keys q (domains and vCPUs), r
  // (run queues), d (every CPU's registers and stack) and 0 (dom0's vCPUs),
  // and back. What Xen prints lands in serial.log beside the guests' logs.
  const STALL_MS = Number(values.stall) * 1000;
  const BOOT_STALL_MS = Number(values["boot-stall"]) * 1000;
  const stdin = qemu.stdin.getWriter();
  let askedXen = 0;
  let lastLine = performance.now();
  const askXen = async (why: string) => {
    if (askedXen++ >= 3) return;
    log(`${why}: asking Xen for its state (debug keys q r d 0; see serial.log)`);
    try {
      await stdin.write(new TextEncoder().encode("\x01\x01\x01"));
      for (const key of "qrd0") {
        await new Promise((r) => setTimeout(r, 1500));
        await stdin.write(new TextEncoder().encode(key));
      }
      await new Promise((r) => setTimeout(r, 1500));
      await stdin.write(new TextEncoder().encode("\x01\x01\x01"));
    } catch { /* QEMU gone */ }
  };
  let hungAtBoot = false;
  const stallCheck = setInterval(async () => {
    const quiet = performance.now() - lastLine;
    if (booted && suiteStarted === undefined && quiet > BOOT_STALL_MS && !hungAtBoot) {
      // Before the suite: guests are being created and deno is starting,
      // which print every 10-100 s. Silence this long is the emulated
      // machine hung (seen once in five runs: docs/e2e.md).
      hungAtBoot = true;
      await askXen(`the emulated machine went quiet for ${(quiet / 1000).toFixed(0)} s at boot`);
      await new Promise((r) => setTimeout(r, 3000));
      qemu.kill("SIGKILL");
    } else if (booted && quiet > STALL_MS) {
      lastLine = performance.now(); // once per stall
      askXen(`no serial output for ${(quiet / 1000).toFixed(0)} s`);
    }
  }, 10_000);
  const timer = setTimeout(async () => {
    const last = done.at(-1);
    const since = last?.at ?? suiteStarted;
    log(
      `too slow: the run reached its ${values.timeout} s cap ` +
        (since === undefined
          ? `before the dom0 suite started`
          : `in test ${done.length + 1} of the dom0 suite${
            last ? ` (the one after "${last.line}")` : ""
          }, running for ${(now() - since).toFixed(0)} s`) +
        `. A slow or loaded machine needs a larger cap (deno task e2e --timeout <seconds>); ` +
        `the durations so far are above`,
    );
    await askXen("at the cap");
    await new Promise((r) => setTimeout(r, 3000));
    qemu.kill("SIGKILL");
  }, timeout);

  const stderr = new Response(qemu.stderr).text();
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of qemu.stdout) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const raw of lines) {
      const line = raw.replace(/\r$/, "");
      serial.push(line);
      lastLine = performance.now();
      if (line.includes("xpv-e2e: xen up")) booted = true;
      if (line.startsWith("xpv-e2e:")) log(line.slice(9));
      if (line.startsWith("TAP version")) suiteStarted = now();
      if (/^(not )?ok \d+ - /.test(line)) {
        const at = now();
        const seconds = at - (done.at(-1)?.at ?? suiteStarted ?? at);
        done.push({ line, at, seconds });
        log(`${line} (${seconds.toFixed(1)} s)`);
      }
      const match = line.match(/^XPV-E2E-EXIT=(\d+)/);
      if (match) exit = Number(match[1]);
    }
  }
  if (pending) serial.push(pending);
  clearTimeout(bootTimer);
  clearTimeout(timer);
  clearInterval(stallCheck);
  await stdin.close().catch(() => {});
  const status = await qemu.status;
  await Deno.writeTextFile(`${out}/serial.log`, serial.join("\n") + "\n");
  const qemuErrors = (await stderr).trim();
  return { serial, exit, status, qemuErrors, done, hungAtBoot };
}

async function main(): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error("e2e: run as root (apt-get download, 9p shares with security_model=none)");
    return 2;
  }
  await Deno.mkdir(out, { recursive: true });
  for await (const entry of Deno.readDir(out)) await Deno.remove(`${out}/${entry.name}`);

  const root = await fetchPackages(cache, log);
  const deno = Deno.execPath();
  const kinds = parseKinds(values.kinds);
  log(`guest kinds: ${kinds.join(", ")}`);
  const image = await buildImage(root, cache, { deno, filter: values.filter, kinds, log });
  log(
    `image built (dom0 initramfs ${(Deno.statSync(image.initrd).size / 2 ** 20).toFixed(1)} MiB)`,
  );

  let boot = await bootOnce(image);
  let retried = "";
  if (boot.hungAtBoot) {
    // Not xenpv's: no test had started. Said here, kept in serial-hung.log,
    // counted in the summary line; one more boot, never more.
    await Deno.writeTextFile(`${out}/serial-hung.log`, boot.serial.join("\n") + "\n");
    log(
      "the emulated machine hung at boot, before any test (Xen's account, if it gave one, is " +
        `in ${out}/serial-hung.log): booting it once more`,
    );
    retried = "; 1 hung boot retried";
    boot = await bootOnce(image);
  }
  const { serial, exit, status, qemuErrors, done } = boot;

  let dom0Log = "";
  try {
    dom0Log = await Deno.readTextFile(`${out}/dom0.log`);
  } catch {
    // dom0 never got to the tests
  }
  await Deno.writeTextFile(
    `${out}/durations.json`,
    JSON.stringify(
      done.map(({ line, seconds }) => ({ test: line, seconds: +seconds.toFixed(1) })),
      null,
      2,
    ) + "\n",
  );
  // The dom0 suite reports in TAP (errors inline, so a crash or a hang still
  // shows which test it was); one summary line in deno's format for CI. A
  // test skipped (ignored) is `ok N - name # SKIP`: counted as skipped, not
  // as passed.
  const { passed, failed, skipped } = tapCounts(dom0Log);
  const ok = exit === 0 && failed === 0 && passed > 0;
  if (!ok) {
    // A guest's crash is Xen's or the emulator's to explain: say so first.
    const crashes = serial.filter((line) => /Triple fault|crashed|Domain .* crashed/.test(line));
    if (crashes.length > 0) {
      const triple = crashes.some((line) => line.includes("Triple fault"));
      log(
        `a guest crashed during the run (Xen said: ${crashes.join(" | ")})` +
          (triple
            ? ": a triple fault inside the guest's kernel, which under QEMU's TCG is the " +
              "emulator's (docs/e2e.md), not xenpv's"
            : "") +
          `; its console log and xl dmesg are in ${out}`,
      );
    }
    if (dom0Log) console.log("\n=== dom0 suite (TAP)\n" + dom0Log.trimEnd());
    console.log("\n=== QEMU serial log\n" + serial.join("\n"));
    if (qemuErrors) console.log("\n=== QEMU stderr\n" + qemuErrors);
    log(
      exit === undefined
        ? `failed: dom0 did not report an exit status (QEMU exit ${status.code}${
          status.signal ? `, ${status.signal}` : ""
        })`
        : passed + failed === 0
        ? `failed: no test ran (dom0 exit status ${exit})`
        : `failed: dom0 exit status ${exit}`,
    );
  }
  // a run that died before its last test counts one failure more
  const lost = !ok && failed === 0 ? 1 : 0;
  console.log(
    `e2e: ${ok ? "ok" : "FAILED"} | ${passed} passed | ${
      failed + lost
    } failed | ${skipped} skipped ` +
      `(${elapsed()}s${retried})`,
  );
  return ok ? 0 : 1;
}

Deno.exit(await main());
