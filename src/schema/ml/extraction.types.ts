import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ExtractionJobRow } from '../../connectors/provenance/pg-extraction-jobs';
import { Connection } from '../connection';
import { Int64Scalar, JSONScalar } from '../scalars';

export enum ExtractionStatusEnum {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  DONE = 'DONE',
  FAILED = 'FAILED',
}
registerEnumType(ExtractionStatusEnum, {
  name: 'ExtractionStatus',
  description: 'Where an extraction job stands: PENDING (queued or waiting to retry), RUNNING, DONE, FAILED.',
});

@ObjectType({ simpleResolvers: true, description: 'Why an extraction failed, and where in the file.' })
export class ExtractionFailure {
  @Field({
    description:
      'UNREADABLE, FORBIDDEN_LOCATION (outside every configured store and root; not retried), UNKNOWN_FORMAT, TRUNCATED, BAD_HEADER, NO_TRACES, BAD_HDF5, BAD_OPTIONS or INTERNAL.',
  })
  code!: string;

  @Field()
  message!: string;

  @Field(() => Int64Scalar, { nullable: true, description: 'Byte offset from the start of the file where the problem lies.' })
  offset!: number | null;

  @Field(() => String, { nullable: true, description: 'The header field or option at fault.' })
  field!: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'One PROV-ML DatasetCharacteristicValue an extraction generated (inline_range, trace_count, footprint_wgs84, shapes, ...).',
})
export class ExtractedCharacteristic {
  @Field()
  name!: string;

  @Field(() => JSONScalar, { nullable: true })
  value!: unknown;
}

@ObjectType({
  description:
    'Metadata extraction of one data reference, asked for at ingest with "extract" in the reference (docs/extract.md). Its result is also a run of the built-in provml-extraction workflow.',
})
export class ExtractionJob {
  @Field(() => ID)
  id!: string;

  @Field(() => ExtractionStatusEnum)
  status!: ExtractionStatusEnum;

  @Field(() => JSONScalar, { description: 'The options as the reference wrote them ({} for `extract: true`).' })
  options!: unknown;

  @Field(() => Int, { description: 'Attempts so far (a file that could not be read is tried again).' })
  attempts!: number;

  @Field(() => Int64Scalar, { nullable: true, description: 'Bytes read from the store: headers only, never the samples.' })
  bytesRead!: number | null;

  @Field(() => [ExtractedCharacteristic], {
    nullable: true,
    description: 'The extracted PROV-ML DatasetCharacteristicValues, once DONE.',
  })
  characteristics!: ExtractedCharacteristic[] | null;

  @Field(() => ExtractionFailure, { nullable: true, description: 'Why the last attempt failed.' })
  error!: ExtractionFailure | null;

  @Field(() => String, {
    nullable: true,
    description: 'What a DONE job could not do (no CRS for the footprint, no writable document store).',
  })
  note!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Id of the provml-extraction run (prov:Activity) that generated the characteristics.',
  })
  runId!: string | null;

  @Field()
  requestedAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  row!: ExtractionJobRow;
}

export const ExtractionJobConnection = Connection('ExtractionJobConnection', ExtractionJob);

export function extractionJobView(r: ExtractionJobRow): ExtractionJob {
  return Object.assign(new ExtractionJob(), {
    id: r.id,
    status: r.status as ExtractionStatusEnum,
    options: r.options,
    attempts: r.attempts,
    bytesRead: r.bytesRead,
    characteristics: r.characteristics,
    error: r.error,
    note: r.note,
    runId: r.resultRunId,
    requestedAt: r.requestedAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    row: r,
  });
}
