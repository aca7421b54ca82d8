import { GRS80, INTERNATIONAL_1924, WGS84, shiftToWgs84, type Translation } from './datum-shift';
import { inverseTransverseMercator, type Ellipsoid } from './transverse-mercator';

/**
 * The coordinate reference systems a seismic footprint can be converted from, by EPSG code:
 * the UTM zones of WGS 84 (326zz north, 327zz south), ETRS89 (258zz, zones 28-38; taken as
 * WGS 84, which it matches within a metre in Europe) and ED50 (230zz, zones 28-38, shifted
 * with EPSG:1133 "ED50 to WGS 84 (1)": a few metres), and WGS 84 longitude/latitude (4326).
 */
export interface CoordinateSystem {
  /** "EPSG:32631". */
  code: string;
  name: string;
  /** [lon, lat] on WGS 84 (EPSG:4326 axis order as GeoJSON writes it). */
  toWgs84(x: number, y: number): [number, number];
}

/** EPSG:1133, the mean shift for western Europe. */
const ED50_TO_WGS84: Translation = [-87, -98, -121];

function utm(
  code: string,
  name: string,
  ellipsoid: Ellipsoid,
  zone: number,
  south: boolean,
  shift: Translation | null,
): CoordinateSystem {
  const tm = { ellipsoid, lon0: zone * 6 - 183, k0: 0.9996, falseEasting: 500_000, falseNorthing: south ? 10_000_000 : 0 };
  return {
    code,
    name,
    toWgs84(x, y) {
      const [lon, lat] = inverseTransverseMercator(tm, x, y);
      return shift ? shiftToWgs84(ellipsoid, shift, lon, lat) : [lon, lat];
    },
  };
}

/** The coordinate system of "EPSG:<code>"; throws naming what is supported otherwise. */
export function parseEpsg(text: string): CoordinateSystem {
  const m = /^EPSG:(\d{4,5})$/.exec(text);
  if (!m) throw new Error(`"${text}" is not an EPSG code ("EPSG:<number>")`);
  const code = Number(m[1]);
  const zone = code % 100;
  if (code === 4326) return { code: text, name: 'WGS 84', toWgs84: (x, y) => [x, y] };
  if ((code >= 32601 && code <= 32660) || (code >= 32701 && code <= 32760)) {
    const south = code >= 32700;
    return utm(text, `WGS 84 / UTM zone ${zone}${south ? 'S' : 'N'}`, WGS84, zone, south, null);
  }
  if (code >= 25828 && code <= 25838) return utm(text, `ETRS89 / UTM zone ${zone}N`, GRS80, zone, false, null);
  if (code >= 23028 && code <= 23038)
    return utm(text, `ED50 / UTM zone ${zone}N`, INTERNATIONAL_1924, zone, false, ED50_TO_WGS84);
  throw new Error(
    `EPSG:${code} is not supported: footprints convert from UTM on WGS 84 (EPSG:326zz/327zz), ETRS89 (258zz) or ED50 (230zz), or EPSG:4326`,
  );
}

/**
 * The CRS a SEG-Y textual header names, if it names exactly one EPSG code ("EPSG:23031",
 * "EPSG 32631", "EPSG::32631"); null when it names none or several.
 */
export function epsgInText(text: string): string | null {
  const codes = new Set<string>();
  for (const m of text.matchAll(/EPSG\s*:{0,2}\s*(\d{4,5})\b/gi)) codes.add(m[1]);
  return codes.size === 1 ? `EPSG:${[...codes][0]}` : null;
}
