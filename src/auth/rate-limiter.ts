import type { RateClass } from './access-policy';

export interface RateLimits {
  /** Requests a minute per token, by class; 0: unlimited. */
  ingestPerMinute: number;
  expensivePerMinute: number;
}

/**
 * Token buckets per token and class, in this process's memory: each replica counts on its own,
 * so N replicas behind a load balancer allow up to N times the rate (docs/access-control.md).
 * A bucket holds a minute's worth of requests and refills continuously.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = () => Date.now(),
  ) {}

  private perMinute(c: RateClass): number {
    return c === 'ingest' ? this.limits.ingestPerMinute : this.limits.expensivePerMinute;
  }

  /** Takes one request from the bucket; returns 0 when allowed, else the seconds until one is free. */
  take(key: string, c: RateClass): number {
    const rate = this.perMinute(c);
    if (rate <= 0) return 0;
    const id = `${c}\u0000${key}`;
    const t = this.now();
    const b = this.buckets.get(id) ?? { tokens: rate, at: t };
    b.tokens = Math.min(rate, b.tokens + ((t - b.at) / 60_000) * rate);
    b.at = t;
    this.buckets.set(id, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) / rate) * 60));
  }

  label(c: RateClass): string {
    return `${c} requests per minute (${this.perMinute(c)})`;
  }
}
