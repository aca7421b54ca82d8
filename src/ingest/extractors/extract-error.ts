/** Why an extraction failed; stable strings that scripts may match on. */
export type ExtractErrorCode =
  | 'UNREADABLE' // the file or object cannot be opened or read
  | 'FORBIDDEN_LOCATION' // outside every configured store and root: never read, never retried
  | 'UNKNOWN_FORMAT' // neither SEG-Y nor HDF5
  | 'TRUNCATED' // the file ends inside a header or a trace
  | 'BAD_HEADER' // a header field holds an impossible value
  | 'NO_TRACES' // a SEG-Y file with headers and nothing after them
  | 'BAD_HDF5'; // the HDF5 library refused the file

/**
 * A typed extraction failure: what is wrong (`code`, message) and where (`offset` in bytes
 * from the start of the file, `field` naming the header field). Its message is one line, fit
 * for a CLI's stderr.
 */
export class ExtractError extends Error {
  readonly code: ExtractErrorCode;
  readonly offset?: number;
  readonly field?: string;
  readonly source?: string;

  constructor(code: ExtractErrorCode, message: string, where: { offset?: number; field?: string; source?: string } = {}) {
    super(message);
    this.name = 'ExtractError';
    this.code = code;
    this.offset = where.offset;
    this.field = where.field;
    this.source = where.source;
  }

  /** `TRUNCATED at byte 3600 (binary header): ...` — the single line the CLI prints. */
  toLine(): string {
    const at: string[] = [];
    if (this.offset !== undefined) at.push(`byte ${this.offset}`);
    if (this.field !== undefined) at.push(`field ${this.field}`);
    return `${this.code}${at.length ? ` at ${at.join(', ')}` : ''}: ${this.message}`;
  }
}
