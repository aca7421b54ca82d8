import type { Ellipsoid } from './transverse-mercator';

const RAD = Math.PI / 180;

export const WGS84: Ellipsoid = { a: 6378137, f: 1 / 298.257223563 };
export const GRS80: Ellipsoid = { a: 6378137, f: 1 / 298.257222101 };
export const INTERNATIONAL_1924: Ellipsoid = { a: 6378388, f: 1 / 297 };

/** Geocentric translation (m) from a datum to WGS84 (a 3-parameter Helmert shift). */
export type Translation = [number, number, number];

function toCartesian(e: Ellipsoid, lon: number, lat: number): [number, number, number] {
  const e2 = e.f * (2 - e.f);
  const phi = lat * RAD;
  const lam = lon * RAD;
  const N = e.a / Math.sqrt(1 - e2 * Math.sin(phi) ** 2);
  return [N * Math.cos(phi) * Math.cos(lam), N * Math.cos(phi) * Math.sin(lam), N * (1 - e2) * Math.sin(phi)];
}

function toGeodetic(e: Ellipsoid, x: number, y: number, z: number): [number, number] {
  const e2 = e.f * (2 - e.f);
  const p = Math.hypot(x, y);
  // Fixed-point iteration on latitude: converges to far below a millimetre in a few steps
  // for points near the surface.
  let phi = Math.atan2(z, p * (1 - e2));
  for (let i = 0; i < 10; i++) {
    const N = e.a / Math.sqrt(1 - e2 * Math.sin(phi) ** 2);
    const h = p / Math.cos(phi) - N;
    const next = Math.atan2(z, p * (1 - (e2 * N) / (N + h)));
    if (Math.abs(next - phi) < 1e-14) {
      phi = next;
      break;
    }
    phi = next;
  }
  return [Math.atan2(y, x) / RAD, phi / RAD];
}

/**
 * [lon, lat] on WGS84 of a point given on another datum's ellipsoid (height 0), through
 * geocentric coordinates and a translation.
 */
export function shiftToWgs84(from: Ellipsoid, shift: Translation, lon: number, lat: number): [number, number] {
  const [x, y, z] = toCartesian(from, lon, lat);
  return toGeodetic(WGS84, x + shift[0], y + shift[1], z + shift[2]);
}
