// Copyright 2026 the xenpv authors. MIT license.
// Flood: a guest writes N MB to its console as fast as the ring takes it, a
// slow reader reads it through connect(), every byte checked in order; peak
// memory and speed printed as one JSON line. The program is the test's
// (tests/console/_flood.ts, which says what the flags do), so the test needs
// nothing from bench/.
//
//   deno run -A bench/flood.ts [--mode ring|pty] [--mb 100] [--reader byob|default]
//                              [--guest process|inline]

import "../tests/console/_flood.ts";
