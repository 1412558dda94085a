// Copyright 2026 the xenpv authors. MIT license.
// One console's output to any number of readers: each a byte stream, the
// slowest setting the pace (memory stays bounded), a BYOB reader getting the
// bytes copied straight into its own buffer.

/** How much a subscriber's stream queues before it stops asking for more. */
const QUEUED_BYTES = 64 * 1024;

/**
 * The readers of one output. The producer waits for {@linkcode FanOut.demand},
 * hands each read to {@linkcode FanOut.deliver}, and ends them all with
 * {@linkcode FanOut.end}.
 */
export class FanOut {
  #subscribers = new Set<ReadableByteStreamController>();
  #demand: (() => void) | undefined;
  #ended = false;
  #error: unknown;

  /**
   * Another reader of the output (from now on): a byte stream. After
   * {@linkcode FanOut.end} it is closed at once (errored, if the end was).
   */
  subscribe(): ReadableStream<Uint8Array> {
    let me: ReadableByteStreamController;
    return new ReadableStream({
      type: "bytes",
      start: (controller) => {
        me = controller;
        if (this.#ended) {
          if (this.#error !== undefined) controller.error(this.#error);
          else controller.close();
        } else this.#subscribers.add(controller);
      },
      pull: () => {
        this.#demand?.();
      },
      cancel: () => {
        this.#subscribers.delete(me);
        this.#demand?.();
      },
    }, { highWaterMark: QUEUED_BYTES });
  }

  /** Whether every reader has room and there is at least one. */
  get wanted(): boolean {
    for (const c of this.#subscribers) if ((c.desiredSize ?? 0) <= 0) return false;
    return this.#subscribers.size > 0;
  }

  /** Resolves once the output is {@linkcode FanOut.wanted}, or ended. */
  async demand(): Promise<void> {
    while (!this.wanted && !this.#ended) {
      await new Promise<void>((resolve) => this.#demand = resolve);
      this.#demand = undefined;
    }
  }

  /**
   * Hands `data` (a view of the producer's buffer, reused by its next read)
   * to every reader: copied into a pending BYOB read's buffer, which costs
   * no allocation, else (and for what does not fit) as a new chunk.
   */
  deliver(data: Uint8Array): void {
    for (const c of this.#subscribers) {
      let rest = data;
      for (let request = c.byobRequest; request !== null && rest.length > 0;) {
        const view = request.view!;
        const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        const n = Math.min(target.length, rest.length);
        target.set(rest.subarray(0, n));
        request.respond(n);
        rest = rest.subarray(n);
        request = c.byobRequest;
      }
      if (rest.length > 0) c.enqueue(rest.slice());
    }
  }

  /**
   * Ends every reader: errored with `error`, or closed without one. Later
   * calls do nothing; later subscribers end the same way at once.
   */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#demand?.();
    for (const c of this.#subscribers) {
      try {
        if (error !== undefined) c.error(error);
        else c.close();
      } catch { /* already errored */ }
    }
    this.#subscribers.clear();
  }
}
