import type { RejectedRecord } from './spool-file';

/** Counters of what happened to the events (read them; the sender writes them). */
export class PipelineStats {
  queued = 0;
  accepted = 0;
  duplicates = 0;
  rejected = 0;
  /** Events the server parked until their run or task lands (another process begins it): acknowledged, not resent. */
  parked = 0;
  /** Events given up on (4xx, malformed answers): kept on disk for a replay. */
  failed = 0;
  spooled = 0;
  spilled = 0;
  /** Events lost, each counted and logged: onFull 'drop', or a full disk that took neither the spool, its memory buffer, nor a rescue file. */
  dropped = 0;
  retries = 0;
  batches = 0;
  /** Events of an earlier run's spool sent again at start-up. */
  resent = 0;
  /** The first rejected-event issues, for the report. */
  issues: RejectedRecord[] = [];
  lastError: string | null = null;
}

/** What close() leaves behind: `unsent` events, and the file they were written to. */
export class CloseReport {
  constructor(
    readonly unsent: number,
    readonly path: string | null,
    readonly stats: PipelineStats,
    /** A rescue file of spool lines its full disk refused, when close() had to write one. */
    readonly rescued: string | null = null,
  ) {}
}
