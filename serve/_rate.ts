// Copyright 2026 the xenpv authors. MIT license.
// Input rate limiting: a token bucket per client.

/** At most `rate` bytes a second, in bursts of at most `burst`. */
export class RateLimit {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  #now: () => number;

  constructor(rate: number, burst = rate, now: () => number = () => performance.now()) {
    if (!(rate > 0) || !(burst > 0)) {
      throw new RangeError(`input rate and burst must be > 0, got ${rate} and ${burst}`);
    }
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  /** Takes `n` bytes' worth if there is room now (all or nothing). */
  take(n: number): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate / 1000);
    this.#last = now;
    if (n > this.#tokens) return false;
    this.#tokens -= n;
    return true;
  }
}
