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
  /** What runs on its PV console: a busybox shell, or the XENCONS-style login program. */
  program: "shell" | "login";
}

/** The guest of each kind with a shell on its PV console, which most tests use. */
export const SHELL_GUESTS: Record<E2eGuestType, E2eGuest> = {
  pv: { name: "e2e-sh", type: "pv", program: "shell" },
  pvh: { name: "e2e-pvh", type: "pvh", program: "shell" },
  hvm: { name: "e2e-hvm", type: "hvm", program: "shell" },
};

/** A silent PV guest running the login program (the idle console of the big flood step). */
export const LOGIN_GUEST: E2eGuest = { name: "e2e-login", type: "pv", program: "login" };

/** What init.sh creates at boot, in this order: the slowest first. */
export const BOOT_GUESTS: E2eGuest[] = [
  SHELL_GUESTS.hvm,
  SHELL_GUESTS.pvh,
  SHELL_GUESTS.pv,
  LOGIN_GUEST,
];

/** The guest kernel and initramfs, in dom0. */
const KERNEL = "/guest/vmlinuz";
const RAMDISK = "/guest/initrd";

/**
 * The xl config of a guest. Every kind boots the same Debian kernel and
 * busybox initramfs directly (no disk, no network).
 *
 * - PVH and HVM: RDTSCP hidden (`cpuid`): under QEMU TCG, SVM has no NRIPS
 *   and Xen cannot emulate the instruction the guest kernel uses at boot.
 *   SMAP and SMEP hidden too: with them, PVH and HVM guests died of triple
 *   faults at random under load (2 of 2 runs, a different guest each time),
 *   as dom0 itself crashes at its first page fault unless Xen runs with
 *   `smap=0 smep=0` under TCG (run.ts).
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
    `ramdisk = "${RAMDISK}"`,
    `extra = "${extra}"`,
    `memory = ${guest.type === "hvm" ? 256 : 128}`,
    `vcpus = 1`,
    `on_reboot = "restart"`,
    `on_poweroff = "destroy"`,
  ];
  if (guest.type !== "pv") lines.push(`cpuid = "host,rdtscp=0,smap=0,smep=0"`);
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
