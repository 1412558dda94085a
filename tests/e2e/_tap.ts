// Copyright 2026 the xenpv authors. MIT license.
// The dom0 suite's TAP log, counted for run.ts's summary line.

/**
 * The top-level results of a TAP log (steps are indented): `ok N` passed,
 * `not ok N` failed, `ok N ... # SKIP` skipped (TAP's directive, as deno's
 * reporter writes an ignored test).
 */
export function tapCounts(tap: string): { passed: number; failed: number; skipped: number } {
  let passed = 0, failed = 0, skipped = 0;
  for (const line of tap.split("\n")) {
    const result = /^(not )?ok \d+\b(.*)$/.exec(line.replace(/\r$/, ""));
    if (result === null) continue;
    if (result[1]) failed++;
    else if (/#\s*skip\b/i.test(result[2])) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}
