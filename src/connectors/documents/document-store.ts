/**
 * The document store: a user's auxiliary domain data as JSON documents, above all GeoJSON
 * polygons of seismic cubes. Backends: MongoDB (`MongoDocumentStore`, 2dsphere queries) and a
 * directory of .geojson / .json files (`FileDocumentStore`).
 */
export type Position = [number, number] | [number, number, number];

export type GeoJsonGeometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'MultiPoint'; coordinates: Position[] }
  | { type: 'LineString'; coordinates: Position[] }
  | { type: 'MultiLineString'; coordinates: Position[][] }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

/**
 * One document as provml hands it on. A GeoJSON Feature gives its geometry and properties;
 * any other document gives its `geometry` field and the rest of its fields as properties.
 */
export interface StoredDocument {
  /** The URI the document was found by (findByUris) or its first key (intersects). */
  uri: string;
  /** Store-specific id: MongoDB `_id`, or `<file>#<index>` for files. */
  id: string;
  geometry: GeoJsonGeometry | null;
  properties: Record<string, unknown>;
}

/** A document to write by URI (DocumentStore.upsert): a footprint and what is known of it. */
export interface UpsertDocument {
  uri: string;
  geometry: GeoJsonGeometry;
  /** Plain property names (letters, digits, _ and -): they become field names in the store. */
  properties: Record<string, unknown>;
}

export interface DocumentStore {
  readonly id: string;
  /**
   * The document of each URI, in key order: the document whose key field (top-level, or under
   * `properties` for GeoJSON Features; a string or an array of strings) holds the URI, `null`
   * when none does, or an Error in that slot. Where several documents share a URI, the one with
   * the smallest id wins.
   */
  findByUris(uris: readonly string[]): Promise<Array<StoredDocument | null | Error>>;
  /** Documents whose geometry intersects `geometry` (validated GeoJSON), at most `limit`, by id. */
  intersects(geometry: unknown, limit: number): Promise<StoredDocument[]>;
  /**
   * Writes `geometry` and `properties` into the document keyed by `uri` (the one findByUris
   * returns: its other fields stay, the given properties win over its own), or adds a GeoJSON
   * Feature keyed by `uri`. Resolves false when the document already said exactly this (nothing
   * written). Absent on stores provml may not write.
   */
  upsert?(doc: UpsertDocument): Promise<boolean>;
  close(): Promise<void>;
}

export const DEFAULT_KEY_FIELD = 'uri';
export const DEFAULT_GEOMETRY_FIELD = 'geometry';
export const MAX_INTERSECTS_LIMIT = 1000;
