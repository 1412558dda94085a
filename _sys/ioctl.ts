// Copyright 2026 the xenpv authors. MIT license.
// Linux ioctl request numbers (asm-generic/ioctl.h layout, as on x86-64 and
// arm64): dir << 30 | size << 16 | type << 8 | nr.

/** _IOC_NONE */
export const IOC_NONE = 0;

/** Builds a request number like the kernel's _IOC(). */
export function ioc(dir: number, type: string, nr: number, size: number): bigint {
  return (BigInt(dir) << 30n) | (BigInt(size) << 16n) | (BigInt(type.charCodeAt(0)) << 8n) |
    BigInt(nr);
}
