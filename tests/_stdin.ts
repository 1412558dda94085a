// Copyright 2026 the xenpv authors. MIT license.
// For tests that make a terminal this process's stdin for a while: dup and
// dup2 through a small libc table of their own (the library's one table,
// _sys/libc.ts, holds only what xenpv itself calls).

/** Fd 0 saved on construction, replaced by {@linkcode put}, restored on dispose. */
export class StdinSwap implements Disposable {
  #libc = Deno.dlopen("libc.so.6", {
    dup: { parameters: ["i32"], result: "i32" },
    dup2: { parameters: ["i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  #saved: number;

  constructor() {
    this.#saved = this.#libc.symbols.dup(0);
    if (this.#saved < 0) {
      this.#libc.close();
      throw new Error("dup(0) failed");
    }
  }

  /** Makes `fd` our stdin (dup2 onto 0). */
  put(fd: number): void {
    if (this.#libc.symbols.dup2(fd, 0) !== 0) throw new Error(`dup2(${fd}, 0) failed`);
  }

  /** Gives fd 0 back what it was. */
  restore(): void {
    if (this.#libc.symbols.dup2(this.#saved, 0) !== 0) throw new Error("dup2(saved, 0) failed");
  }

  [Symbol.dispose](): void {
    try {
      this.restore();
    } finally {
      this.#libc.symbols.close(this.#saved);
      this.#libc.close();
    }
  }
}
