/**
 * Why a Zarr store (or one of its arrays or chunks) could not be read. The metric-file report turns
 * it into `status: 'unreadable'` with this message, so the message names the array and, for a
 * codec provml does not decode, the codec.
 */
export class ZarrError extends Error {
  override name = 'ZarrError';
}
