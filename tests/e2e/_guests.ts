// Copyright 2026 the xenpv authors. MIT license.
// The e2e guests and their xl configs, for both sides: the image builder
// puts the boot guests' configs in the dom0 initramfs (init.sh creates them
// before deno starts, HVM first: it boots slowest), and the dom0 tests make
// more guests with the same function.

/** Xen's kinds of guest, as libxl records them. */
export type E2eGuestType = "pv" | "pvh" | "hvm";

/** One e2e guest. */
export interface E2eGuest {
  /** The domain's name (also its hostname). */
  name: string;
  /** The kind of guest. */
  type: E2eGuestType;
  /**
   * What runs on its PV console: a busybox shell, the XENCONS-style login
   * program, or Debian's agetty and login (PAM) with a busybox shell behind.
   */
  program: "shell" | "login" | "agetty";
}

/** The guest of each kind with a shell on its PV console, which most tests use. */
export const SHELL_GUESTS: Record<E2eGuestType, E2eGuest> = {
  pv: { name: "e2e-sh", type: "pv", program: "shell" },
  pvh: { name: "e2e-pvh", type: "pvh", program: "shell" },
  hvm: { name: "e2e-hvm", type: "hvm", program: "shell" },
};

/** A silent PV guest running the login program (the idle console of the big flood step). */
export const LOGIN_GUEST: E2eGuest = { name: "e2e-login", type: "pv", program: "login" };

/**
 * A PV guest whose console runs Debian's own `agetty` and `login` (util-linux,
 * login, PAM from Debian's packages, a real crypt hash in /etc/shadow): the
 * Linux dialect's login against programs no one here wrote.
 */
export const AGETTY_GUEST: E2eGuest = { name: "e2e-agetty", type: "pv", program: "agetty" };

/** The account on the agetty guest (its hash is made at image build, see _image.ts). */
export const AGETTY_ACCOUNT = { user: "xenpv", password: "e2e-secret", uid: 1000 };

/** The agetty guest's message of the day (pam_motd prints /etc/motd after a login). */
export const AGETTY_MOTD = "Welcome to the xenpv e2e agetty guest (motd).";

/** Every kind, in the order init.sh creates them at boot: the slowest first. */
export const ALL_KINDS: E2eGuestType[] = ["hvm", "pvh", "pv"];

/** What init.sh creates at boot for the kinds asked for (the PV guests always). */
export function bootGuests(kinds: readonly E2eGuestType[]): E2eGuest[] {
  return [
    ...ALL_KINDS.filter((kind) => kinds.includes(kind)).map((kind) => SHELL_GUESTS[kind]),
    LOGIN_GUEST,
    AGETTY_GUEST,
  ];
}

/**
 * Parses a list of kinds ("pv,pvh,hvm"); PV is always in it (the PV-only
 * steps need it).
 */
export function parseKinds(text: string): E2eGuestType[] {
  const kinds = text.split(",").map((k) => k.trim()).filter(Boolean);
  for (const kind of kinds) {
    if (!(ALL_KINDS as string[]).includes(kind)) {
      throw new TypeError(`guest kinds are pv, pvh and hvm, got ${JSON.stringify(kind)}`);
    }
  }
  const extra: E2eGuestType[] = ["pvh", "hvm"];
  return ["pv", ...extra.filter((kind) => kinds.includes(kind))];
}

/** The guest kernel and initramfs, in dom0. */
const KERNEL = "/guest/vmlinuz";
const RAMDISK = "/guest/initrd";
/** The same initramfs with Debian's login stack appended (a second cpio archive). */
const AGETTY_RAMDISK = "/guest/initrd-agetty";

/**
 * The xl config of a guest. Every kind boots the same Debian kernel and
 * busybox initramfs directly (no disk, no network).
 *
 * - PVH and HVM: RDTSCP hidden (`cpuid`): under QEMU TCG, SVM has no NRIPS
 *   and Xen cannot emulate the instruction the guest kernel uses at boot.
 *   Both are pinned to one physical CPU (`cpus`): unpinned they died of
 *   triple faults at random under QEMU's multi-threaded TCG (docs/e2e.md).
 * - HVM: the qemu-xen device model with no display, an emulated UART on a pty
 *   (`serial = "pty"`, a shell runs on ttyS0: `xpvserial=1`), and the kernel's
 *   messages kept off the UART, which is slow to emulate.
 */
export function guestConfig(guest: E2eGuest): string {
  const extra = [
    "console=hvc0",
    "rdinit=/init",
    `xpv=${guest.program}`,
    `xpvhost=${guest.name}`,
    ...(guest.type === "hvm" ? ["xpvserial=1"] : []),
    "loglevel=3",
  ].join(" ");
  const lines = [
    `name = "${guest.name}"`,
    `type = "${guest.type}"`,
    `kernel = "${KERNEL}"`,
    `ramdisk = "${guest.program === "agetty" ? AGETTY_RAMDISK : RAMDISK}"`,
    `extra = "${extra}"`,
    `memory = ${guest.type === "hvm" ? 256 : 128}`,
    `vcpus = 1`,
    `on_reboot = "restart"`,
    `on_poweroff = "destroy"`,
  ];
  if (guest.type !== "pv") {
    lines.push(`cpuid = "host,rdtscp=0"`);
    // One physical CPU (QEMU's second vCPU thread), never migrating: PVH
    // guests free to move between the two died of triple faults at random;
    // pinned, 3 runs of 3 passed (docs/e2e.md).
    lines.push(`cpus = "1"`);
  }
  if (guest.type === "hvm") {
    lines.push(
      `device_model_version = "qemu-xen"`,
      `serial = "pty"`,
      `vga = "none"`,
      `nographic = 1`,
      `vnc = 0`,
      `sdl = 0`,
    );
  }
  return lines.join("\n") + "\n";
}
