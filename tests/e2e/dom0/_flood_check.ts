// Copyright 2026 the xenpv authors. MIT license.
// Checks `xpvguest flood <bytes>` output as it streams by, keeping nothing:
// whatever comes before "XPV-FLOOD-BEGIN\n", then <bytes> bytes of 16-byte
// records "%015x\n" numbered from 0 (the last one cut short), then
// "\nXPV-FLOOD-END".

const BEGIN = "XPV-FLOOD-BEGIN\n";
const END = new TextEncoder().encode("\nXPV-FLOOD-END");
const HEX = new TextEncoder().encode("0123456789abcdef");

/** A streaming checker of one flood of `total` bytes. */
export class FloodCheck {
  readonly total: number;
  /** Bytes of the body checked; -1 until BEGIN has been seen. */
  body = -1;
  /** The first wrong byte, counted from the body's start (END's bytes follow the body); -1: none. */
  wrong = -1;
  /** performance.now() when BEGIN was seen. */
  started = 0;
  #trailer = 0;
  #head = "";
  #decoder = new TextDecoder("latin1");
  /** The record being checked: 15 hex digits of its number, then "\n". */
  #record = new Uint8Array(16).fill(HEX[0]);

  constructor(total: number) {
    this.total = total;
    this.#record[15] = 0x0a;
  }

  /** True once the whole flood, END included, has gone by. */
  get done(): boolean {
    return this.#trailer === END.length;
  }

  /** Checks the next bytes of the console's output. */
  push(chunk: Uint8Array): void {
    let i = 0;
    if (this.body < 0) {
      const text = this.#head + this.#decoder.decode(chunk);
      const at = text.indexOf(BEGIN);
      if (at < 0) {
        this.#head = text.slice(-BEGIN.length);
        return;
      }
      this.started = performance.now();
      this.body = 0;
      i = chunk.length - (text.length - at - BEGIN.length);
    }
    const record = this.#record;
    for (; i < chunk.length && this.body < this.total; i++, this.body++) {
      const slot = this.body & 15;
      if (chunk[i] !== record[slot] && this.wrong < 0) this.wrong = this.body;
      if (slot === 15) this.#nextRecord();
    }
    for (; i < chunk.length && this.#trailer < END.length; i++, this.#trailer++) {
      if (chunk[i] !== END[this.#trailer] && this.wrong < 0) {
        this.wrong = this.total + this.#trailer;
      }
    }
  }

  /** The next record's number, in place: a hex increment with carry. */
  #nextRecord() {
    const record = this.#record;
    for (let i = 14; i >= 0; i--) {
      const digit = HEX.indexOf(record[i]);
      if (digit < 15) {
        record[i] = HEX[digit + 1];
        return;
      }
      record[i] = HEX[0];
    }
  }
}
