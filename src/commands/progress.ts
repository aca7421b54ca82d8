/**
 * One self-overwriting status line on a terminal (`\r`), at most ten updates a second; nothing at
 * all when the stream is not a TTY (a pipe, a CI log) or the user said --quiet.
 */
export class Progress {
  private readonly enabled: boolean;
  private last = 0;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    quiet = false,
  ) {
    this.enabled = !quiet && stream.isTTY === true;
  }

  get active(): boolean {
    return this.enabled;
  }

  update(line: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    this.stream.write(`\r\x1b[2K${line}`);
  }

  /** Leaves the last line on screen and moves to the next one. */
  done(line?: string): void {
    if (!this.enabled) return;
    if (line !== undefined) this.update(line, true);
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}

/** `12.3 MB`. */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
