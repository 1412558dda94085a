// Copyright 2026 the xenpv authors. MIT license.
// Fetches Debian's Xen, kernel and busybox packages into the checkout's
// .cache/e2e (apt-get download + dpkg -x: nothing is installed) and builds
// what QEMU boots: the plain-ELF hypervisor, the dom0 kernel, and a dom0
// initramfs holding the Xen tools with their libraries, the HVM device model
// (qemu-xen) with its firmware, the Xen and 9p drivers, the guests' kernel
// and initramfs, and the xl configs of the guests dom0 creates at boot.

import { check } from "../_peers.ts";
import { cpio, type CpioEntry } from "./_cpio.ts";
import { bootGuests, type E2eGuestType, guestConfig } from "./_guests.ts";

/** Debian packages the run needs; the kernel is resolved from linux-image-amd64. */
const PACKAGES = [
  "xen-hypervisor-4.17-amd64",
  "xen-utils-4.17",
  "xenstore-utils",
  "libxenmisc4.17",
  "libxenstore4",
  "libxencall1",
  "libxenevtchn1",
  "libxenforeignmemory1",
  "libxengnttab1",
  "libxentoollog1",
  "libxendevicemodel1",
  "libxenhypfs1",
  "libyajl2",
  "busybox-static",
];

/**
 * HVM guests need the qemu-xen device model; its libraries come from its
 * package's dependency closure (downloaded like the rest, never taken from
 * the host, where they are there only by chance). Left out: the C library
 * (dom0 runs the host's, as deno needs it) and what only packages data the
 * device model does not load here (iPXE ROMs: the guests have no NIC).
 */
const DEVICE_MODEL_PACKAGE = "qemu-system-xen";
const NOT_FROM_CLOSURE = new Set(["libc6", "gcc-12-base", "iso-codes", "ipxe-qemu"]);

const XEN_BIN = "/usr/lib/xen-4.17/bin";
const TOOLS = [
  `${XEN_BIN}/xl`,
  `${XEN_BIN}/xenstored`,
  `${XEN_BIN}/xenconsoled`,
  `${XEN_BIN}/xenconsole`,
  `${XEN_BIN}/xen-init-dom0`,
  `${XEN_BIN}/libxl-save-helper`,
  "/usr/bin/xenstore",
];
const XENSTORE_LINKS = ["read", "write", "ls", "rm", "list", "exists", "chmod", "watch"];
/** libxl's default device model path (no `device_model_override` needed). */
const DEVICE_MODEL = "/usr/libexec/xen-qemu-system-i386";
/**
 * What an HVM guest's boot reads besides the device model: Xen's hvmloader,
 * SeaBIOS, QEMU's option ROMs for direct kernel boot, and the keymap the
 * device model exits without (libxl passes `-vnc none` with a keymap).
 */
const HVM_FILES = [
  "/usr/lib/xen-4.17/boot/hvmloader",
  "/usr/share/seabios/bios-256k.bin",
  "/usr/share/qemu/linuxboot_dma.bin",
  "/usr/share/qemu/linuxboot.bin",
  "/usr/share/qemu/kvmvapic.bin",
  "/usr/share/qemu/pvh.bin",
  "/usr/share/qemu/keymaps/en-us",
];

/** Driver modules dom0 loads (9p over virtio for the shared folders, then Xen's); dependencies first. */
const MODULES = [
  "virtio_pci",
  "9pnet_virtio",
  "9p",
  "xen-evtchn",
  "xen-gntdev",
  "xen-gntalloc",
  "xen-privcmd",
  "xenfs",
];

/** What QEMU boots. */
export interface E2eImage {
  /** The hypervisor as a plain ELF (QEMU's multiboot loader does not take the .gz). */
  xen: string;
  /** The dom0 (and guest) kernel. */
  kernel: string;
  /** The dom0 initramfs. */
  initrd: string;
}

const sh = (cmd: string[], options: { cwd?: string; env?: Record<string, string> } = {}) =>
  check(cmd[0], cmd.slice(1), options);

async function exists(path: string) {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The concrete kernel package behind linux-image-amd64 (e.g. linux-image-6.1.0-56-amd64). */
async function kernelPackage(): Promise<string> {
  const deps = await sh(["apt-cache", "depends", "linux-image-amd64"]);
  const name = deps.match(/Depends: (linux-image-\S+-amd64)/)?.[1];
  if (!name) throw new Error(`apt-cache depends linux-image-amd64 named no kernel:\n${deps}`);
  return name;
}

/** The device model's package and every package it depends on, recursively (real packages only). */
async function deviceModelPackages(): Promise<string[]> {
  const text = await sh([
    "apt-cache",
    "depends",
    "--recurse",
    "--no-recommends",
    "--no-suggests",
    "--no-conflicts",
    "--no-breaks",
    "--no-replaces",
    "--no-enhances",
    DEVICE_MODEL_PACKAGE,
  ]);
  // top-level lines name packages; "  Depends: ..." lines and <virtual> ones do not
  const names = text.split("\n").filter((line) => /^[a-z0-9][a-z0-9+.-]*$/.test(line));
  if (!names.includes(DEVICE_MODEL_PACKAGE)) {
    throw new Error(`apt-cache depends named no ${DEVICE_MODEL_PACKAGE}:\n${text.slice(0, 2000)}`);
  }
  return [...new Set(names)].filter((name) => !NOT_FROM_CLOSURE.has(name)).sort();
}

/**
 * Downloads and unpacks the packages into `<cache>/root` unless a previous
 * run left the same set there. Returns the folder.
 */
export async function fetchPackages(cache: string, log: (s: string) => void): Promise<string> {
  const root = `${cache}/root`;
  const stamp = `${root}/.xenpv-packages`;
  let kernel: string;
  let deviceModel: string[];
  try {
    [kernel, deviceModel] = await Promise.all([kernelPackage(), deviceModelPackages()]);
  } catch {
    await sh(["apt-get", "update", "-qq"]);
    [kernel, deviceModel] = await Promise.all([kernelPackage(), deviceModelPackages()]);
  }
  const all = [...new Set([...PACKAGES, kernel, ...deviceModel])];
  const wanted = all.join("\n");
  if (await exists(stamp) && (await Deno.readTextFile(stamp)) === wanted) return root;
  const debs = `${cache}/debs`;
  await Deno.remove(root, { recursive: true }).catch(() => {});
  await Deno.remove(debs, { recursive: true }).catch(() => {});
  await Deno.mkdir(debs, { recursive: true });
  const started = performance.now();
  try {
    await sh(["apt-get", "download", ...all], { cwd: debs });
  } catch {
    await sh(["apt-get", "update", "-qq"]);
    await sh(["apt-get", "download", ...all], { cwd: debs });
  }
  await Deno.mkdir(root, { recursive: true });
  for await (const entry of Deno.readDir(debs)) {
    if (entry.name.endsWith(".deb")) await sh(["dpkg", "-x", `${debs}/${entry.name}`, root]);
  }
  await Deno.remove(debs, { recursive: true });
  await Deno.writeTextFile(stamp, wanted);
  log(
    `fetched ${all.length} packages in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return root;
}

/** The shared libraries `binary` loads, resolved from the unpacked packages first, then the host. */
async function libraries(binary: string, root: string): Promise<Map<string, string>> {
  const libPath = [`${root}/usr/lib/x86_64-linux-gnu`, `${root}/lib/x86_64-linux-gnu`].join(":");
  const text = await sh(["ldd", binary], { env: { LD_LIBRARY_PATH: libPath } });
  const found = new Map<string, string>();
  for (const line of text.split("\n")) {
    const missing = line.match(/^\s*(\S+) => not found/);
    if (missing) {
      throw new Error(`${binary} needs ${missing[1]}, found neither in ${root} nor on the host`);
    }
    const lib = line.match(/^\s*(\S+) => (\/\S+)/);
    if (lib) found.set(`/lib/x86_64-linux-gnu/${lib[1]}`, lib[2]);
    const interp = line.match(/^\s*(\/lib64\/\S+)/);
    if (interp) found.set(interp[1], interp[1]);
  }
  return found;
}

const file = async (path: string, from: string, mode = 0o755): Promise<CpioEntry> => ({
  type: "file",
  path,
  data: await Deno.readFile(from),
  mode,
});

/** Builds the guest's initramfs: busybox, the xpvguest programs (compiled static here), /init. */
async function guestInitrd(root: string, cache: string, here: string): Promise<Uint8Array> {
  const binary = `${cache}/xpvguest`;
  await sh(["gcc", "-static", "-O2", "-Wall", "-o", binary, `${here}/guest/xpvguest.c`]);
  return cpio([
    { type: "char", path: "dev/console", major: 5, minor: 1 },
    await file("bin/busybox", `${root}/bin/busybox`),
    await file("bin/xpvguest", binary),
    await file("init", `${here}/guest/init.sh`),
  ]);
}

/**
 * Builds the boot files into `<cache>/boot` from the unpacked packages and
 * this checkout. `filter` is passed to `deno test --filter` inside dom0;
 * `kinds` says which guests dom0 creates (the device model only for HVM).
 */
export async function buildImage(
  root: string,
  cache: string,
  options: { deno: string; filter?: string; kinds: E2eGuestType[] },
): Promise<E2eImage> {
  const here = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
  const boot = `${cache}/boot`;
  await Deno.mkdir(boot, { recursive: true });

  const xen = `${boot}/xen`;
  const gz = await Deno.open(`${root}/boot/xen-4.17-amd64.gz`);
  await Deno.writeFile(xen, gz.readable.pipeThrough(new DecompressionStream("gzip")));

  const versions: string[] = [];
  for await (const entry of Deno.readDir(`${root}/lib/modules`)) versions.push(entry.name);
  if (versions.length !== 1) throw new Error(`expected one kernel in ${root}, found ${versions}`);
  const version = versions[0];
  const kernel = `${root}/boot/vmlinuz-${version}`;

  // libxenstore's reference client (bench/xs_bench.c), static, against the real xenstored.
  const xsBench = `${cache}/xs_bench`;
  await sh([
    "gcc",
    "-static",
    "-O2",
    "-o",
    xsBench,
    `${here}/../../bench/xs_bench.c`,
    "-lxenstore",
    "-lxentoolcore",
    "-lpthread",
  ]);
  const entries: CpioEntry[] = [
    { type: "char", path: "dev/console", major: 5, minor: 1 },
    await file("bin/busybox", `${root}/bin/busybox`),
    await file("bin/xs_bench", xsBench),
    await file("init", `${here}/dom0/init.sh`),
    await file("guest/vmlinuz", kernel, 0o644),
    { type: "file", path: "guest/initrd", data: await guestInitrd(root, cache, here), mode: 0o644 },
  ];

  const libs = new Map<string, string>();
  const hvm = options.kinds.includes("hvm");
  for (const tool of hvm ? [...TOOLS, DEVICE_MODEL] : TOOLS) {
    entries.push(await file(tool, `${root}${tool}`));
    for (const [path, from] of await libraries(`${root}${tool}`, root)) libs.set(path, from);
  }
  if (hvm) {
    for (const path of HVM_FILES) entries.push(await file(path, `${root}${path}`, 0o644));
  }
  for (const name of XENSTORE_LINKS) {
    entries.push({ type: "symlink", path: `usr/bin/xenstore-${name}`, target: "xenstore" });
  }
  for (const [path, from] of await libraries(options.deno, root)) libs.set(path, from);
  for (const [path, from] of libs) entries.push(await file(path, from));

  const modules: string[] = [];
  const byName = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ko")) byName.set(entry.name.slice(0, -3), path);
    }
  };
  await walk(`${root}/lib/modules/${version}/kernel`);
  const add = async (name: string) => {
    const from = byName.get(name) ?? byName.get(name.replaceAll("_", "-"));
    if (!from) throw new Error(`module ${name}.ko is not in ${root}/lib/modules/${version}`);
    const path = `/lib/modules/${name}.ko`;
    if (modules.includes(path)) return;
    const data = await Deno.readFile(from);
    // modinfo's "depends=a,b" string, NUL-terminated, in the .modinfo section
    const text = new TextDecoder("latin1").decode(data);
    const depends = text.match(/\0depends=([^\0]*)\0/)?.[1] ?? "";
    for (const dep of depends.split(",").filter(Boolean)) await add(dep);
    if (modules.includes(path)) return;
    entries.push({ type: "file", path, data, mode: 0o644 });
    modules.push(path);
  };
  for (const name of MODULES) await add(name);
  const encoder = new TextEncoder();
  entries.push({ type: "file", path: "etc/xpv-modules", data: encoder.encode(modules.join("\n")) });
  entries.push({ type: "file", path: "etc/xen/xl.conf", data: encoder.encode("# defaults\n") });
  entries.push({
    type: "file",
    path: "etc/xpv-kinds",
    data: encoder.encode(options.kinds.join(",")),
  });
  bootGuests(options.kinds).forEach((guest, i) => {
    entries.push({
      type: "file",
      path: `etc/xpv-guests/${i}-${guest.name}.cfg`,
      data: encoder.encode(guestConfig(guest)),
    });
  });
  if (options.filter) {
    entries.push({ type: "file", path: "etc/xpv-filter", data: encoder.encode(options.filter) });
  }
  const initrd = `${boot}/dom0.cpio`;
  await Deno.writeFile(initrd, cpio(entries));
  return { xen, kernel, initrd };
}
