// Copyright 2026 the xenpv authors. MIT license.
// Fetches Debian's Xen, kernel and busybox packages into the checkout's
// .cache/e2e (apt-get download + dpkg -x: nothing is installed) and builds
// what QEMU boots: the plain-ELF hypervisor, the dom0 kernel, and a dom0
// initramfs holding the Xen tools with their libraries, the HVM device model
// (qemu-xen) with its firmware, the Xen and 9p drivers, the guests' kernel
// and initramfs, and the xl configs of the guests dom0 creates at boot.

import { check } from "../_peers.ts";
import { cpio, type CpioEntry } from "./_cpio.ts";
import {
  AGETTY_ACCOUNT,
  AGETTY_MOTD,
  bootGuests,
  type E2eGuestType,
  guestConfig,
} from "./_guests.ts";

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
  let kernel: string;
  let deviceModel: string[];
  try {
    [kernel, deviceModel] = await Promise.all([kernelPackage(), deviceModelPackages()]);
  } catch {
    await sh(["apt-get", "update", "-qq"]);
    [kernel, deviceModel] = await Promise.all([kernelPackage(), deviceModelPackages()]);
  }
  return await unpackPackages(
    `${cache}/root`,
    [...new Set([...PACKAGES, kernel, ...deviceModel])],
    log,
  );
}

/**
 * Downloads `packages` and unpacks them into `root` (apt-get download, dpkg
 * -x: nothing is installed) unless a previous run left the same set there.
 */
async function unpackPackages(
  root: string,
  packages: string[],
  log: (s: string) => void,
): Promise<string> {
  const stamp = `${root}/.xenpv-packages`;
  const wanted = packages.join("\n");
  if (await exists(stamp) && (await Deno.readTextFile(stamp)) === wanted) return root;
  const debs = `${root}.debs`;
  await Deno.remove(root, { recursive: true }).catch(() => {});
  await Deno.remove(debs, { recursive: true }).catch(() => {});
  await Deno.mkdir(debs, { recursive: true });
  const started = performance.now();
  try {
    await sh(["apt-get", "download", ...packages], { cwd: debs });
  } catch {
    await sh(["apt-get", "update", "-qq"]);
    await sh(["apt-get", "download", ...packages], { cwd: debs });
  }
  await Deno.mkdir(root, { recursive: true });
  for await (const entry of Deno.readDir(debs)) {
    if (entry.name.endsWith(".deb")) await sh(["dpkg", "-x", `${debs}/${entry.name}`, root]);
  }
  await Deno.remove(debs, { recursive: true });
  await Deno.writeTextFile(stamp, wanted);
  log(
    `fetched ${packages.length} packages into ${root} in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
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

/** Two byte arrays, one after the other. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const file = async (path: string, from: string, mode = 0o755): Promise<CpioEntry> => ({
  type: "file",
  path,
  data: await Deno.readFile(from),
  mode,
});

/** Builds the guest's initramfs: busybox, the xpvguest and xsprobe programs (compiled static here) with the probe's script, /init. */
async function guestInitrd(root: string, cache: string, here: string): Promise<Uint8Array> {
  const binary = `${cache}/xpvguest`;
  await sh(["gcc", "-static", "-O2", "-Wall", "-o", binary, `${here}/guest/xpvguest.c`]);
  // the xenstore guest-rules probe and its script (tests/xenstore/guest_rules.xsprobe)
  const probe = `${cache}/xsprobe`;
  await sh(["gcc", "-static", "-O2", "-Wall", "-o", probe, `${here}/guest/xsprobe.c`]);
  return cpio([
    { type: "char", path: "dev/console", major: 5, minor: 1 },
    await file("bin/busybox", `${root}/bin/busybox`),
    await file("bin/xpvguest", binary),
    await file("bin/xsprobe", probe),
    await file("etc/xpv-xsprobe", `${here}/../xenstore/guest_rules.xsprobe`, 0o644),
    await file("init", `${here}/guest/init.sh`),
  ]);
}

/**
 * Debian's login stack for the agetty guest: agetty (util-linux), login, PAM
 * and the libraries they load, the C library included (the guest's own
 * initramfs is static busybox only).
 */
const LOGIN_PACKAGES = [
  "util-linux",
  "login",
  "libpam0g",
  "libpam-modules",
  "libpam-runtime",
  "libc6",
  "libaudit1",
  "libcap-ng0",
  "libcrypt1",
  "libselinux1",
  "libpcre2-8-0",
];
const LIB = "lib/x86_64-linux-gnu";

/**
 * /etc/pam.d/common-*: what Debian's pam-auth-update writes from
 * libpam-runtime's one profile ("unix": pam_unix with its default options).
 * Left out: pam_cap and pam_systemd, from packages this guest does not have.
 */
const COMMON_PAM: Record<string, string> = {
  "common-auth": "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n" +
    "auth\trequisite\t\t\tpam_deny.so\nauth\trequired\t\t\tpam_permit.so\n",
  "common-account": "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so\n" +
    "account\trequisite\t\t\tpam_deny.so\naccount\trequired\t\t\tpam_permit.so\n",
  "common-password": "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\n" +
    "password\trequisite\t\t\tpam_deny.so\npassword\trequired\t\t\tpam_permit.so\n",
  "common-session": "session\t[default=1]\t\t\tpam_permit.so\n" +
    "session\trequisite\t\t\tpam_deny.so\nsession\trequired\t\t\tpam_permit.so\n" +
    "session\trequired\tpam_unix.so\n",
  "common-session-noninteractive": "session\t[default=1]\t\t\tpam_permit.so\n" +
    "session\trequisite\t\t\tpam_deny.so\nsession\trequired\t\t\tpam_permit.so\n" +
    "session\trequired\tpam_unix.so\n",
};

/**
 * A yescrypt hash of `password` (Debian's default method) by the host's
 * libcrypt, with a fixed salt: the image is the same on every build.
 */
function yescrypt(password: string): string {
  const lib = Deno.dlopen("libcrypt.so.1", {
    crypt_gensalt: { parameters: ["buffer", "u64", "buffer", "i32"], result: "pointer" },
    crypt: { parameters: ["buffer", "buffer"], result: "pointer" },
  });
  try {
    const cstr = (text: string) => new TextEncoder().encode(text + "\0");
    const random = new TextEncoder().encode("xenpv-e2e-agetty"); // 16 fixed "random" bytes
    const salt = lib.symbols.crypt_gensalt(cstr("$y$"), 0n, random, random.length);
    if (salt === null) throw new Error("crypt_gensalt failed");
    const setting = Deno.UnsafePointerView.getCString(salt);
    const hash = lib.symbols.crypt(cstr(password), cstr(setting));
    const text = hash === null ? "" : Deno.UnsafePointerView.getCString(hash);
    if (!text.startsWith("$y$")) throw new Error(`crypt failed: ${text}`);
    return text;
  } finally {
    lib.close();
  }
}

/** The files (and symlinks) under `dir`, relative to `root`. */
async function tree(root: string, dir: string): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = [];
  for await (const entry of Deno.readDir(`${root}/${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) entries.push(...await tree(root, path));
    else if (entry.isSymlink) {
      entries.push({ type: "symlink", path, target: await Deno.readLink(`${root}/${path}`) });
    } else {entries.push(
        await file(path, `${root}/${path}`, (await Deno.stat(`${root}/${path}`)).mode! & 0o7777),
      );}
  }
  return entries;
}

/**
 * The agetty guest's second initramfs archive (the kernel unpacks it over
 * the first): Debian's agetty, login and PAM with the libraries they load
 * (each found by ldd among the unpacked packages, never on the host), their
 * configuration as the packages ship it, the common-* PAM files, an account
 * with a yescrypt hash in /etc/shadow, a motd and an issue.
 */
async function agettyLayer(cache: string, log: (s: string) => void): Promise<Uint8Array> {
  const root = await unpackPackages(`${cache}/login-root`, LOGIN_PACKAGES, log);
  const entries: CpioEntry[] = [];
  const seen = new Set<string>();
  const add = (entry: CpioEntry) => {
    if (seen.has(entry.path)) return;
    seen.add(entry.path);
    entries.push(entry);
  };
  // Configuration as the packages ship it (login.defs, pam.d/login and other, security/*.conf).
  for (const entry of await tree(root, "etc")) add(entry);
  const encoder = new TextEncoder();
  const text = (path: string, content: string, mode = 0o644) =>
    add({ type: "file", path, data: encoder.encode(content), mode });
  for (const [name, content] of Object.entries(COMMON_PAM)) text(`etc/pam.d/${name}`, content);
  const { user, password, uid } = AGETTY_ACCOUNT;
  text(
    "etc/passwd",
    `root:x:0:0:root:/root:/bin/sh\n${user}:x:${uid}:${uid}:xenpv e2e:/home/${user}:/bin/sh\n`,
  );
  text("etc/group", `root:x:0:\ntty:x:5:\n${user}:x:${uid}:\n`);
  // root has no password (locked); the user's hash is Debian's default method
  text(
    "etc/shadow",
    `root:*:20000:0:99999:7:::\n${user}:${yescrypt(password)}:20000:0:99999:7:::\n`,
    0o640,
  );
  text("etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\n");
  text("etc/motd", `\n${AGETTY_MOTD}\n`);
  text("etc/issue", "Debian GNU/Linux 12 \\n \\l\n\n");
  text("etc/environment", "");
  text("etc/default/locale", "");
  add({ type: "dir", path: `home/${user}`, mode: 0o755 });
  add({ type: "dir", path: "var/log", mode: 0o755 });
  // The programs, the PAM modules the configuration names, and what they load.
  const pamText = entries.filter((e) => e.type === "file" && e.path.startsWith("etc/pam.d/"))
    .map((e) => new TextDecoder().decode((e as { data: Uint8Array }).data)).join("\n");
  const modules = [...new Set(pamText.match(/pam_\w+\.so/g) ?? [])]
    .filter((name) => name !== "pam_systemd.so" && name !== "pam_cap.so")
    .map((name) => `${LIB}/security/${name}`);
  const binaries = ["sbin/agetty", "bin/login", ...modules];
  const libs = new Map<string, string>();
  for (const binary of binaries) {
    if (!(await exists(`${root}/${binary}`))) {
      // login's pam.d names optional modules (pam_selinux is there): all should be
      throw new Error(`${binary} is not in Debian's packages ${LOGIN_PACKAGES.join(" ")}`);
    }
    add(await file(binary, `${root}/${binary}`));
    const found = await sh(["ldd", `${root}/${binary}`], {
      env: { LD_LIBRARY_PATH: `${root}/${LIB}:${root}/usr/${LIB}` },
    });
    for (const line of found.split("\n")) {
      const lib = line.match(/^\s*(\S+) => (\/\S+)/);
      if (lib) {
        if (!lib[2].startsWith(root)) {
          throw new Error(`${binary} needs ${lib[1]}: not in the login packages (found ${lib[2]})`);
        }
        libs.set(lib[2].slice(root.length + 1), lib[2]);
      }
      if (/not found/.test(line)) throw new Error(`${binary}: ${line.trim()}`);
    }
  }
  for (const [path, from] of libs) add(await file(path, await Deno.realPath(from)));
  add(
    await file(
      `${LIB}/ld-linux-x86-64.so.2`,
      await Deno.realPath(`${root}/${LIB}/ld-linux-x86-64.so.2`),
    ),
  );
  add({
    type: "symlink",
    path: "lib64/ld-linux-x86-64.so.2",
    target: `/${LIB}/ld-linux-x86-64.so.2`,
  });
  return cpio(entries);
}

/**
 * Builds the boot files into `<cache>/boot` from the unpacked packages and
 * this checkout. `filter` is passed to `deno test --filter` inside dom0;
 * `kinds` says which guests dom0 creates (the device model only for HVM).
 */
export async function buildImage(
  root: string,
  cache: string,
  options: { deno: string; filter?: string; kinds: E2eGuestType[]; log?: (s: string) => void },
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
  ];
  // the agetty guest's ramdisk: the same archive, then Debian's login stack over it
  const guestRamdisk = await guestInitrd(root, cache, here);
  const loginLayer = await agettyLayer(cache, options.log ?? (() => {}));
  entries.push(
    { type: "file", path: "guest/initrd", data: guestRamdisk, mode: 0o644 },
    {
      type: "file",
      path: "guest/initrd-agetty",
      data: concat(guestRamdisk, loginLayer),
      mode: 0o644,
    },
  );

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
