// Copyright 2026 the xenpv authors. MIT license.
// The fix to name for a failed open or ioctl on a Xen device.

/** A hint function for a device: `missing` for ENOENT/ENODEV/ENXIO, "run as root" for EACCES/EPERM. */
export function deviceHint(
  missing: string,
  extra: Record<string, string> = {},
): (code: string) => string | undefined {
  return (code) => {
    switch (code) {
      case "ENOENT":
      case "ENODEV":
      case "ENXIO":
        return missing;
      case "EACCES":
      case "EPERM":
        return "permission denied: run as root in dom0";
      default:
        return extra[code];
    }
  };
}
