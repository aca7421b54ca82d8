import path from 'node:path';

/** Content types a file system cannot store, guessed from the extension of the lifecycle's files. */
const BY_EXTENSION: Record<string, string> = {
  '.sgy': 'application/x-segy',
  '.segy': 'application/x-segy',
  '.h5': 'application/x-hdf5',
  '.hdf5': 'application/x-hdf5',
  '.json': 'application/json',
  '.geojson': 'application/geo+json',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.pdf': 'application/pdf',
  '.ttl': 'text/turtle',
  '.npy': 'application/octet-stream',
  '.pt': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

export function contentTypeFor(file: string): string | null {
  return BY_EXTENSION[path.extname(file).toLowerCase()] ?? null;
}
