import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { decodeCursor } from '../../connectors/provenance/pg-mappers';
import type { RequestContext } from '../../context';
import { BadUserInputError } from '../../errors';
import { DataReference } from '../../schema/ml/data-reference.type';
import { WorkflowExecution } from '../../schema/ml/execution.types';
import {
  ExtractionJob,
  ExtractionJobConnection,
  ExtractionStatusEnum,
  extractionJobView,
} from '../../schema/ml/extraction.types';
import { dataRefView } from '../../schema/views';
import { loadRun, pageArgs } from '../provenance/views';
import { extractionJobLoader } from './extraction.loaders';

@Resolver(() => DataReference)
export class DataReferenceExtractionResolver {
  @FieldResolver(() => ExtractionJob, {
    nullable: true,
    description: 'The latest metadata extraction asked for this reference ("extract" at ingest); null when none was.',
  })
  async extraction(@Root() d: DataReference, @Ctx() ctx: RequestContext) {
    const row = await extractionJobLoader(ctx).load(d.row.id);
    return row ? extractionJobView(row) : null;
  }
}

@Resolver(() => ExtractionJob)
export class ExtractionJobResolver {
  @Query(() => ExtractionJobConnection, {
    description: 'Extraction jobs in the order they were asked for, optionally of one status.',
  })
  async extractionJobs(
    @Ctx() ctx: RequestContext,
    @Arg('status', () => ExtractionStatusEnum, { nullable: true }) status: ExtractionStatusEnum | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    if (after && !/^\d{1,19}$/.test(decodeCursor(after) ?? ''))
      throw new BadUserInputError('after is not a cursor of this list', 'after');
    const page = await ctx.store.extractionJobs({ status }, pageArgs(ctx, first, after));
    return { nodes: page.items.map(extractionJobView), pageInfo: page };
  }

  @FieldResolver(() => DataReference, { description: 'The reference whose file was read.' })
  async dataReference(@Root() j: ExtractionJob, @Ctx() ctx: RequestContext) {
    const row = await ctx.loaders.dataRef.load(j.row.dataRefId);
    return row ? dataRefView(row) : null;
  }

  @FieldResolver(() => WorkflowExecution, {
    nullable: true,
    description: 'The provml-extraction run: its task used the file and generated the characteristics.',
  })
  async run(@Root() j: ExtractionJob, @Ctx() ctx: RequestContext) {
    return j.runId ? loadRun(ctx, j.runId) : null;
  }
}

/** The resolver classes to list in buildProvenanceSchema (src/schema/build-schema.ts). */
export const EXTRACTION_RESOLVERS = [DataReferenceExtractionResolver, ExtractionJobResolver] as const;
