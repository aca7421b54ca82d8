import { Writable } from 'node:stream';

/** A writable stream that keeps what is written, for CLI functions that take `out` and `err`. */
export class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
