import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import type { ParkedListing } from '../../connectors/provenance/pg-parked-events';
import { BadUserInputError } from '../../errors';
import { overLimits } from '../../ingest/parked-events';
import { ParkedDeletion, ParkedEvents, type ParkedEvent } from '../../schema/parked-events.type';

const toEvent = (r: ParkedListing): ParkedEvent => ({
  eventId: r.eventId,
  event: r.event,
  waitsFor: r.waits,
  parkedAt: r.parkedAt,
  status: r.status,
  issue: r.issue,
});

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
      events: rows.map(toEvent),
    };
  }

  // Admin, every study, like the listing. A dry run unless `dryRun: false`: deleting is final.
  @Mutation(() => ParkedDeletion, {
    description:
      'Deletes parked events (admin): those of a run that will never begin, those older than some age, or by id; ' +
      'every filter given must match. A dry run (nothing deleted) unless dryRun is false (docs/ingest.md, "Parked events").',
  })
  async deleteParkedEvents(
    @Ctx() ctx: RequestContext,
    @Arg('run', () => String, { nullable: true, description: 'Events that wait for this run or name it.' }) run?: string | null,
    @Arg('olderThanSeconds', () => Int, { nullable: true, description: 'Events parked at least this many seconds ago.' })
    olderThanSeconds?: number | null,
    @Arg('eventIds', () => [String], { nullable: true, description: 'Events by id.' }) eventIds?: string[] | null,
    @Arg('dryRun', () => Boolean, {
      defaultValue: true,
      description: 'False deletes; true (the default) only says what would go.',
    })
    dryRun = true,
    @Arg('first', () => Int, { defaultValue: 100, description: 'List at most this many of the matched events.' }) first = 100,
  ): Promise<ParkedDeletion> {
    if (run != null && !run.trim()) throw new BadUserInputError('run is empty', 'run');
    if (olderThanSeconds != null && olderThanSeconds < 0)
      throw new BadUserInputError('olderThanSeconds is negative', 'olderThanSeconds');
    if (eventIds != null && (!eventIds.length || eventIds.some((id) => !id)))
      throw new BadUserInputError('eventIds is empty or names an empty id', 'eventIds');
    if (run == null && olderThanSeconds == null && eventIds == null)
      throw new BadUserInputError('name the events to delete: run, olderThanSeconds or eventIds', 'run');
    const filter = {
      ...(run != null ? { run } : {}),
      ...(olderThanSeconds != null ? { olderThanSeconds } : {}),
      ...(eventIds != null ? { eventIds } : {}),
    };
    const limit = Math.max(0, Math.min(first, ctx.config.maxPageSize));
    const r = await ctx.store.deleteParkedEvents(filter, !dryRun, limit);
    if (!dryRun && r.deleted) ctx.log.info('parked events deleted', { ...filter, deleted: r.deleted });
    return { dryRun, matched: r.matched, deleted: r.deleted, events: r.events.map(toEvent) };
  }
}
