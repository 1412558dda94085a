// Copyright 2026 the xenpv authors. MIT license.
// The dom0 suite, in one deno process (a deno start costs about 30 s under
// TCG) and in this order: deno test orders the files it is given by its own
// rules, but runs the tests of one module in the order they were registered,
// that is, in import order here. Last: the suite that kills xenstored.

import "./console_test.ts";
import "./agetty_test.ts";
import "./xenstore_test.ts";
import "./xenstore_guest_test.ts";
import "../dom0_last/xenstored_dies_test.ts";
