/** A token bucket: `rate` requests per second, bursts of up to `rate` at once. */
export class TokenBucket {
  private tokens: number;
  private last = -Infinity;

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  /** Takes one token at time `nowMs` (a monotonic clock); false when none is left. */
  take(nowMs: number): boolean {
    if (this.last !== -Infinity) {
      this.tokens = Math.min(this.rate, this.tokens + ((nowMs - this.last) * this.rate) / 1000);
    }
    this.last = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
