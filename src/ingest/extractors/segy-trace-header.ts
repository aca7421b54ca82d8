import type { ByteOrder } from './segy-binary-header';

/** Where the fields we need sit in a 240-byte trace header (SEG-Y 1-based byte numbers). */
export interface TraceHeaderLayout {
  /** Inline number, 4-byte integer; 189 by default (rev 1 "INLINE_3D"). */
  inlineByte: number;
  /** Crossline number, 4-byte integer; 193 by default (rev 1 "CROSSLINE_3D"). */
  crosslineByte: number;
}

export const DEFAULT_LAYOUT: TraceHeaderLayout = {
  inlineByte: 189,
  crosslineByte: 193,
};
export const TRACE_HEADER = 240;

/** The few fields extraction reads from a trace header, coordinates already scaled. */
export interface TraceKeys {
  inline: number;
  crossline: number;
  x: number;
  y: number;
  /** One step of the integer coordinate encoding after scaling (1, 0.01, 10, ...). */
  unit: number;
  /** Samples in this trace (byte 115): needed to walk variable-length files. */
  samples: number;
  /** Sample interval in this trace (bytes 117-118, signed as segyio reads it), µs. */
  interval: number;
}

/** Applies the coordinate scalar of byte 71: positive multiplies, negative divides, 0 is 1. */
export function scaleCoordinate(raw: number, scalar: number): number {
  if (scalar > 0) return raw * scalar;
  if (scalar < 0) return raw / -scalar;
  return raw;
}

export function readTraceKeys(h: Uint8Array, order: ByteOrder, layout: TraceHeaderLayout): TraceKeys {
  const v = new DataView(h.buffer, h.byteOffset, TRACE_HEADER);
  const le = order === 'little';
  const i32 = (byte: number) => v.getInt32(byte - 1, le);
  const scalar = v.getInt16(70, le);
  return {
    inline: i32(layout.inlineByte),
    crossline: i32(layout.crosslineByte),
    x: scaleCoordinate(i32(181), scalar),
    y: scaleCoordinate(i32(185), scalar),
    unit: scaleCoordinate(1, scalar),
    samples: v.getUint16(114, le),
    interval: v.getInt16(116, le),
  };
}

/** Rejects byte positions that would read past the 240-byte header. */
export function checkLayout(layout: TraceHeaderLayout): string | null {
  for (const [name, b] of Object.entries(layout)) {
    if (!Number.isInteger(b) || b < 1 || b > TRACE_HEADER - 3)
      return `${name} ${b} is outside the trace header (1..${TRACE_HEADER - 3})`;
  }
  return null;
}
