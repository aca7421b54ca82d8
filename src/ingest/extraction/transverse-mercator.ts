/**
 * Inverse transverse Mercator (projected metres → geodetic latitude/longitude) by Krüger's
 * series in the third flattening n, to order n⁴: under a millimetre within a UTM zone
 * (Karney, "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy 2011, §4;
 * the same series as GeographicLib's and PROJ's default `tmerc` algorithm).
 */
export interface Ellipsoid {
  /** Semi-major axis (m). */
  a: number;
  /** Flattening. */
  f: number;
}

export interface TransverseMercator {
  ellipsoid: Ellipsoid;
  /** Central meridian (degrees). */
  lon0: number;
  /** Scale factor on the central meridian. */
  k0: number;
  falseEasting: number;
  falseNorthing: number;
}

const RAD = Math.PI / 180;

/** Precomputed constants of one ellipsoid (the series depend on n only). */
function constants(e: Ellipsoid) {
  const n = e.f / (2 - e.f);
  const n2 = n * n;
  const n3 = n2 * n;
  const n4 = n3 * n;
  // Rectifying radius: meridian arc length per radian of rectifying latitude.
  const A = (e.a / (1 + n)) * (1 + n2 / 4 + n4 / 64);
  const beta = [
    n / 2 - (2 / 3) * n2 + (37 / 96) * n3 - n4 / 360,
    n2 / 48 + n3 / 15 - (437 / 1440) * n4,
    (17 / 480) * n3 - (37 / 840) * n4,
    (4397 / 161280) * n4,
  ];
  // Conformal latitude χ → geodetic latitude φ.
  const delta = [
    2 * n - (2 / 3) * n2 - 2 * n3 + (116 / 45) * n4,
    (7 / 3) * n2 - (8 / 5) * n3 - (227 / 45) * n4,
    (56 / 15) * n3 - (136 / 35) * n4,
    (4279 / 630) * n4,
  ];
  return { A, beta, delta };
}

/** [longitude, latitude] in degrees of a projected point [easting, northing] in metres. */
export function inverseTransverseMercator(p: TransverseMercator, easting: number, northing: number): [number, number] {
  const { A, beta, delta } = constants(p.ellipsoid);
  const xi = (northing - p.falseNorthing) / (p.k0 * A);
  const eta = (easting - p.falseEasting) / (p.k0 * A);
  let xiP = xi;
  let etaP = eta;
  for (let j = 1; j <= 4; j++) {
    xiP -= beta[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    etaP -= beta[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
  }
  const chi = Math.asin(Math.sin(xiP) / Math.cosh(etaP));
  let phi = chi;
  for (let j = 1; j <= 4; j++) phi += delta[j - 1] * Math.sin(2 * j * chi);
  const lambda = Math.atan2(Math.sinh(etaP), Math.cos(xiP));
  return [normalizeLongitude(p.lon0 + lambda / RAD), phi / RAD];
}

/** Longitude in [-180, 180): zones 1 and 60 reach past the antimeridian. */
export function normalizeLongitude(lon: number): number {
  const l = ((((lon + 180) % 360) + 360) % 360) - 180;
  return Object.is(l, -0) ? 0 : l;
}
