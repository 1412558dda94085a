// Copyright 2026 the xenpv authors. MIT license.
// Run by _sys/planted_files_test.ts in a session of its own whose controlling
// terminal is the pty Deno.args[0], with stdin, stdout and stderr elsewhere
// (so only the controlling-tty check can know the pty is ours). Prints
// "refused: <message>" or "opened", and "no controlling tty" if the session
// was not set up as asked (a test of nothing).
//
//   deno run --allow-ffi tests/_ctty_child.ts /dev/pts/N

import { acquireLibc, cString, geteuid, O_NOCTTY, O_RDWR, releaseLibc } from "../_sys/libc.ts";
import { openPty } from "../_sys/pty.ts";
import { SystemError } from "../errors.ts";

const path = Deno.args[0];
const libc = acquireLibc();
const ctty = libc.open(cString("/dev/tty"), O_RDWR | O_NOCTTY, 0);
if (ctty < 0) {
  console.log("no controlling tty");
} else {
  libc.close(ctty);
  try {
    const tty = openPty(path, { owner: geteuid() });
    await tty.close();
    console.log("opened");
  } catch (err) {
    console.log(err instanceof SystemError ? `refused: ${err.message}` : `failed: ${err}`);
  }
}
releaseLibc();
