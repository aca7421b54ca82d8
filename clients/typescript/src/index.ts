/**
 * @provml/client: the capture client for Node jobs (createClient) and the pieces the provml CLI
 * reuses (the HTTP transport, batch sender, spool reader and capture pipeline for replay). The
 * wire format of events lives in ingest-event.ts, the one place both sides take it from.
 */
export { createClient, CaptureClient, type ClientOptions, type StartRunOptions } from './provml-client';
export type { Run, Task, BeginOptions, EndOptions, MetricOptions } from './capture-run';
export {
  ref,
  toJson,
  isIngestEvent,
  STATUSES,
  type IngestEvent,
  type DataRef,
  type JsonObject,
  type JsonValue,
  type Status,
} from './ingest-event';
export {
  HttpTransport,
  graphqlUrl,
  INGEST_MUTATION,
  REGISTER_MUTATION,
  type BatchOutcome,
  type IngestIssue,
  type TransportOptions,
} from './ingest-transport';
export { postIngest, IngestHttpError } from './post-ingest';
export { CapturePipeline, type LogLevel, type Mode } from './capture-pipeline';
export { readSpool, SpoolLockedError, SpoolLockUnwritableError, type SpoolContents } from './spool-file';
export { CloseReport, PipelineStats } from './pipeline-stats';
export { describeFetchError, displayUrl, fetchErrorReason } from './network-error';
