/**
 * Which logins were recorded lately. An API key authenticates every request: a "User
 * Authenticated" record per request would drown the audit trail in copies of one fact, so a
 * successful login is recorded at most once per principal and tenant per window (an hour) in each
 * process. The map is bounded: past `capacity` entries the oldest is forgotten, which costs at
 * most one extra record. Failures are always recorded.
 */
export class RecentLogins {
  private readonly recorded = new Map<string, number>();

  constructor(
    private readonly windowMs = 3_600_000,
    private readonly capacity = 10_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Whether this login is to be recorded: true once per principal and tenant per window. */
  shouldRecord(principalId: string, tenantId: string): boolean {
    const key = `${principalId}\u0000${tenantId}`;
    const now = this.now();
    const last = this.recorded.get(key);
    if (last !== undefined && now - last < this.windowMs) return false;
    // Re-inserted, so that the Map's order is the order of recording: the first key is the oldest.
    this.recorded.delete(key);
    this.recorded.set(key, now);
    if (this.recorded.size > this.capacity) {
      const oldest = this.recorded.keys().next();
      if (!oldest.done) this.recorded.delete(oldest.value);
    }
    return true;
  }
}
