import type { GeoJsonPolygon, LineRange } from './segy-geometry';

export type { GeoJsonPolygon, LineRange };

/** JSON values as they leave the extractor (attributes of HDF5 objects). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a SEG-Y file says about itself, from its headers only. */
export interface SegyExtract {
  kind: 'segy';
  source: string;
  fileSize: number;
  /** Bytes this extraction read from the store. */
  bytesRead: number;
  /** True when the line ranges and footprint were inferred from sampled headers (fast mode). */
  inferred: boolean;
  /** Why fast mode fell back to reading every trace header, when it did. */
  inferenceNote?: string;
  traceCount: number;
  sampleCount: number;
  /**
   * Microseconds (or the file's unit for depth data); null when the headers give none segyio
   * would take (both zero or negative, or binary and trace header disagree).
   */
  sampleInterval: number | null;
  inline: LineRange;
  crossline: LineRange;
  /** [minX, minY, maxX, maxY] of CDP X/Y, coordinate scalar applied, in the file's CRS. */
  bbox: [number, number, number, number];
  /** Corner traces (min il, min xl) → (min il, max xl) → (max il, max xl) → (max il, min xl), closed. */
  footprint: GeoJsonPolygon;
  byteOrder: 'big' | 'little';
  /** Sample format code (binary header bytes 3225-3226) and its name. */
  format: number;
  formatName: string;
  /** "major.minor" from binary header bytes 3501/3502 ("0.0" for rev 0 files). */
  revision: string;
  fixedLengthTraces: boolean;
  textEncoding: 'ebcdic' | 'ascii';
  textualHeader: string;
  extendedTextualHeaders: string[];
  /** Trace header bytes the line numbers were read from. */
  inlineByte: number;
  crosslineByte: number;
  sortedBy?: 'inline' | 'crossline';
}

export interface Hdf5Dataset {
  /** Absolute path inside the file, e.g. "/train/x". */
  path: string;
  shape: number[];
  /** numpy-style name: float32, int64, uint8, string, compound, ... */
  dtype: string;
  attributes: Record<string, JsonValue>;
  /** Instances in the set: the first dimension (null for a scalar). */
  instances: number | null;
}

export interface Hdf5Extract {
  kind: 'hdf5';
  source: string;
  fileSize: number;
  bytesRead: number;
  /** Attributes of the root group. */
  attributes: Record<string, JsonValue>;
  datasets: Hdf5Dataset[];
}

export type ExtractResult = SegyExtract | Hdf5Extract;
