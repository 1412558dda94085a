// Copyright 2026 the xenpv authors. MIT license.
// attach.ts --log: what is logged of a console, with the passwords typed at it
// masked.

import { Transcript } from "./transcript.ts";

/** A guest line asking for a password (Windows' and Linux's "Password: ", ssh-style prompts). */
const PASSWORD_PROMPT = /pass(word|phrase)[^\n]*:\s*$/i;

/** Bytes as latin1 text and back: 1:1, so what is logged stays the guest's raw bytes. */
const latin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const fromLatin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/**
 * What goes to --log: the guest's raw output, with every password masked
 * wherever the guest prints it later (an echoing guest, a command line
 * repeating it), even split across reads (Transcript holds the possible start
 * of one back). A password is a line typed while a password prompt shows, or
 * the line typed just before one appears if the guest has not echoed it (a
 * script typing ahead of the prompt).
 */
export class LogMask {
  #out = "";
  #masker = new Transcript({ limit: 0, sink: (e) => this.#out += e.text });
  /** The guest's current line, to see a password prompt. */
  #line = "";
  /** The line being typed, and whether it started at a password prompt. */
  #typing = "";
  #atPrompt = false;
  /** The last line typed, until the guest echoes a line or asks for a password. */
  #typedAhead: string | undefined;

  /** Guest output; returns what may be logged now. Call it before acting on the output. */
  output(chunk: Uint8Array): Uint8Array {
    for (let at = 0; at < chunk.length; at += 4096) {
      const text = latin1(chunk.subarray(at, at + 4096));
      const lines = text.split(/[\r\n]/);
      let line = this.#line + lines[0];
      for (let i = 1; i < lines.length; i++) {
        if (line.trim() !== "") this.#typedAhead = undefined; // a line came back: an echo
        line = lines[i];
      }
      this.#line = line.slice(-256);
      if (this.#typedAhead !== undefined && PASSWORD_PROMPT.test(this.#line)) {
        this.#masker.addSecret(this.#typedAhead);
        this.#typedAhead = undefined;
      }
      this.#masker.record("out", text);
    }
    return this.#take();
  }

  /** Keyboard input, as it is sent to the guest. */
  input(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (this.#typing === "" && !this.#atPrompt) this.#atPrompt = PASSWORD_PROMPT.test(this.#line);
      if (b === 0x0d || b === 0x0a) {
        if (this.#atPrompt) this.#masker.addSecret(this.#typing);
        else if (this.#typing !== "") this.#typedAhead = this.#typing;
        this.#typing = "";
        this.#atPrompt = false;
      } else if (b === 0x7f || b === 0x08) this.#typing = this.#typing.slice(0, -1);
      else if (b === 0x03 || b === 0x15) this.#typing = ""; // ^C, ^U
      else this.#typing += String.fromCharCode(b);
    }
  }

  /** The console is done: what is still held back (as [redacted] if it could start a password). */
  end(): Uint8Array {
    this.#masker.flush();
    return this.#take();
  }

  #take(): Uint8Array {
    const out = fromLatin1(this.#out);
    this.#out = "";
    return out;
  }
}
