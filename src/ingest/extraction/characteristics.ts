import type { CharacteristicValue } from '../../connectors/provenance/pg-extraction-jobs';
import type { GeoJsonGeometry } from '../../connectors/documents/document-store';
import type { ExtractResult, Hdf5Extract, SegyExtract } from '../extractors/extract-result';
import { epsgInText, parseEpsg } from './projected-crs';

/** What one extraction gives: characteristic values and, for a located cube, its WGS 84 footprint. */
export interface Characterised {
  characteristics: CharacteristicValue[];
  /** The footprint on WGS 84 lon/lat, when the source CRS is known and supported. */
  footprint: GeoJsonGeometry | null;
  /** Properties stored with the footprint in the document store. */
  footprintProperties: Record<string, unknown>;
  /** Why no WGS 84 footprint was made, when there is none for a SEG-Y file. */
  footprintNote: string | null;
}

/** Names of every characteristic provml may write (declared in the provml-extraction spec). */
export const CHARACTERISTIC_NAMES = [
  'format',
  'file_size',
  'bytes_read',
  'trace_count',
  'sample_count',
  'sample_interval_us',
  'inline_range',
  'crossline_range',
  'inline_count',
  'crossline_count',
  'ranges_inferred',
  'bbox',
  'footprint',
  'footprint_wgs84',
  'crs',
  'byte_order',
  'segy_revision',
  'sample_format',
  'textual_header',
  'datasets',
  'shapes',
  'instances',
  'attributes',
] as const;

// ~1 cm on the ground: stable output, so a repeated extraction writes the same document.
const round7 = (v: number) => Math.round(v * 1e7) / 1e7;

function segy(r: SegyExtract, crsOption: string | null): Characterised {
  const crs = crsOption ?? epsgInText([r.textualHeader, ...r.extendedTextualHeaders].join('\n'));
  let footprint: GeoJsonGeometry | null = null;
  let footprintNote: string | null = null;
  if (!crs) footprintNote = 'no CRS: give extract.crs ("EPSG:<code>") or name it in the textual header';
  else {
    try {
      const system = parseEpsg(crs);
      const ring = r.footprint.coordinates[0].map(([x, y]) => system.toWgs84(x, y).map(round7) as [number, number]);
      footprint = { type: 'Polygon', coordinates: [ring] };
    } catch (err) {
      footprintNote = (err as Error).message;
    }
  }
  const inline = [r.inline.min, r.inline.max];
  const crossline = [r.crossline.min, r.crossline.max];
  const characteristics: CharacteristicValue[] = [
    { name: 'format', value: 'SEG-Y' },
    { name: 'file_size', value: r.fileSize },
    { name: 'bytes_read', value: r.bytesRead },
    { name: 'trace_count', value: r.traceCount },
    { name: 'sample_count', value: r.sampleCount },
    { name: 'sample_interval_us', value: r.sampleInterval },
    { name: 'inline_range', value: inline },
    { name: 'crossline_range', value: crossline },
    { name: 'inline_count', value: r.inline.count },
    { name: 'crossline_count', value: r.crossline.count },
    { name: 'ranges_inferred', value: r.inferred },
    { name: 'bbox', value: r.bbox },
    { name: 'footprint', value: { ...r.footprint, crs } },
    ...(footprint ? [{ name: 'footprint_wgs84', value: footprint }] : []),
    { name: 'crs', value: crs },
    { name: 'byte_order', value: r.byteOrder },
    { name: 'segy_revision', value: r.revision },
    { name: 'sample_format', value: r.formatName },
    { name: 'textual_header', value: r.textualHeader },
  ];
  const footprintProperties = {
    extractedBy: 'provml',
    sourceCrs: crs,
    inlineRange: inline,
    crosslineRange: crossline,
    traceCount: r.traceCount,
    rangesInferred: r.inferred,
  };
  return { characteristics, footprint, footprintProperties, footprintNote };
}

function hdf5(r: Hdf5Extract): Characterised {
  const characteristics: CharacteristicValue[] = [
    { name: 'format', value: 'HDF5' },
    { name: 'file_size', value: r.fileSize },
    { name: 'bytes_read', value: r.bytesRead },
    {
      name: 'datasets',
      value: r.datasets.map((d) => ({
        path: d.path,
        shape: d.shape,
        dtype: d.dtype,
        instances: d.instances,
        attributes: d.attributes,
      })),
    },
    { name: 'shapes', value: Object.fromEntries(r.datasets.map((d) => [d.path, d.shape])) },
    { name: 'instances', value: Object.fromEntries(r.datasets.map((d) => [d.path, d.instances])) },
    { name: 'attributes', value: r.attributes },
  ];
  return { characteristics, footprint: null, footprintProperties: {}, footprintNote: null };
}

/** The PROV-ML DatasetCharacteristicValues of an extraction result. */
export function characterise(result: ExtractResult, crs: string | null): Characterised {
  return result.kind === 'segy' ? segy(result, crs) : hdf5(result);
}
