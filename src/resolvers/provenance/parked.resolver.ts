import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { overLimits } from '../../ingest/parked-events';
import { ParkedEvents } from '../../schema/parked-events.type';

@Resolver()
export class ParkedEventsResolver {
  // Admin, every study (src/auth/access-policy.ts): parked events have no study until their run lands.
  @Query(() => ParkedEvents, {
    description: 'Events parked until the run or task they name lands (admin; docs/ingest.md, "Parked events").',
  })
  async parkedEvents(
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 100, description: 'At most this many events, oldest first.' }) first: number,
  ): Promise<ParkedEvents> {
    const limit = Math.max(0, Math.min(first, ctx.config.maxPageSize));
    const [summary, rows] = await Promise.all([ctx.store.parkedSummary(), limit ? ctx.store.parkedEvents(limit) : []]);
    const limits = { maxEvents: ctx.config.parked.maxEvents, maxAgeSeconds: ctx.config.parked.maxAgeSeconds };
    return {
      ...summary,
      ...limits,
      overLimit: overLimits(summary, limits),
      events: rows.map((r) => ({
        eventId: r.eventId,
        event: r.event,
        waitsFor: r.waits,
        parkedAt: r.parkedAt,
        status: r.status,
        issue: r.issue,
      })),
    };
  }
}
