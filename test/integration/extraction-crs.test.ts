/**
 * Footprint conversion (projected → WGS84 lon/lat) against PROJ, an independent implementation:
 * fixed points computed with cs2cs (PROJ 9.1.1) and, where cs2cs is installed (Debian
 * proj-bin), a live comparison over a grid of each zone.
 */
import { execFileSync } from 'node:child_process';
import { epsgInText, parseEpsg } from '../../src/ingest/extraction/projected-crs';

// [EPSG code, easting, northing, lon, lat] from `cs2cs -f %.9f EPSG:<code> +to +proj=longlat +datum=WGS84`.
const KNOWN: Array<[string, number, number, number, number]> = [
  ['EPSG:32631', 605835.52, 6073556.38, 4.646309336, 54.798003139],
  ['EPSG:32631', 500000, 0, 3, 0],
  ['EPSG:32631', 300000, 5500000, 0.230942253, 49.619417192],
  ['EPSG:32756', 334786, 6252080, 151.214022861, -33.858663917], // Sydney
  ['EPSG:32733', 700000, 8000000, 16.889810667, -18.079454749],
  ['EPSG:32601', 166021.44, 0, 179.999999972, 0], // west of zone 1: across the antimeridian
  ['EPSG:32660', 833978.56, 9000000, -164.418707595, 80.577787634],
  ['EPSG:32618', 583960, 4507523, -74.005969527, 40.714349212], // New York
  ['EPSG:25832', 500000, 5500000, 9, 49.652542924],
  // ED50 with EPSG:1133 (cs2cs +ellps=intl +towgs84=-87,-98,-121): the demo cube's corners.
  ['EPSG:23031', 605835.52, 6073556.38, 4.644771771, 54.7961147],
  ['EPSG:23031', 629500.11, 6089930.51, 5.019974363, 54.937625635],
  ['EPSG:23031', 450000, 5800000, 2.264629883, 52.346110833],
];

const cs2cs = (() => {
  try {
    execFileSync('cs2cs', [], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== 'ENOENT';
  }
})();

describe('UTM / ED50 to WGS84', () => {
  it.each(KNOWN)('%s (%d, %d) is (%d, %d) as PROJ computes it, within a millimetre', (code, x, y, lon, lat) => {
    const [gotLon, gotLat] = parseEpsg(code).toWgs84(x, y);
    expect(Math.abs(gotLon - lon)).toBeLessThan(1e-8);
    expect(Math.abs(gotLat - lat)).toBeLessThan(1e-8);
  });

  it('leaves EPSG:4326 as it is and refuses what it cannot convert, naming what it can', () => {
    expect(parseEpsg('EPSG:4326').toWgs84(4.7, 54.9)).toEqual([4.7, 54.9]);
    expect(() => parseEpsg('EPSG:2154')).toThrow(/EPSG:2154 is not supported: .*326zz\/327zz/);
    expect(() => parseEpsg('EPSG:32661')).toThrow(/not supported/); // UPS north, not a UTM zone
    expect(() => parseEpsg('UTM31')).toThrow(/not an EPSG code/);
  });

  it('finds the one EPSG code a textual header names', () => {
    expect(epsgInText('C03 CRS: ED50 / UTM ZONE 31N (EPSG:23031), COORDINATES IN CM')).toBe('EPSG:23031');
    expect(epsgInText('C05 GRID EPSG 32631')).toBe('EPSG:32631');
    expect(epsgInText('C05 EPSG::32631 ... C06 EPSG:32631')).toBe('EPSG:32631');
    expect(epsgInText('C05 WGS84 UTM 31N')).toBeNull();
    expect(epsgInText('C05 EPSG:23031 REPROJECTED TO EPSG:32631')).toBeNull(); // two codes: ambiguous
  });

  (cs2cs ? it : it.skip)('agrees with cs2cs over a grid of each kind of zone (live; needs Debian proj-bin)', () => {
    const cases: Array<[string, string[]]> = [
      ['EPSG:32631', ['EPSG:32631']],
      ['EPSG:32719', ['EPSG:32719']],
      ['EPSG:23031', ['+proj=utm', '+zone=31', '+ellps=intl', '+towgs84=-87,-98,-121']],
    ];
    for (const [code, from] of cases) {
      const south = code === 'EPSG:32719';
      const points: Array<[number, number]> = [];
      for (let x = 170_000; x <= 830_000; x += 110_000) {
        for (let y = 100_000; y <= 9_300_000; y += 1_200_000) points.push([x, south ? 10_000_000 - y : y]);
      }
      const out = execFileSync('cs2cs', ['-f', '%.10f', ...from, '+to', '+proj=longlat', '+datum=WGS84'], {
        input: points.map(([x, y]) => `${x} ${y}`).join('\n'),
      })
        .toString()
        .trim()
        .split('\n');
      const system = parseEpsg(code);
      points.forEach(([x, y], i) => {
        const [lon, lat] = out[i].split(/\s+/).map(Number);
        const [gotLon, gotLat] = system.toWgs84(x, y);
        // 1e-8 degrees is about a millimetre; the series is exact to well below that in a zone.
        expect([code, x, y, Math.abs(gotLon - lon) < 1e-8, Math.abs(gotLat - lat) < 1e-8]).toEqual([code, x, y, true, true]);
      });
    }
  });

  it("puts the ED50 shift within a few metres of PROJ's own choice for the North Sea", () => {
    // PROJ's default EPSG:23031 -> 4326 operation for the demo corner: 4.644802764, 54.796118690.
    const [lon, lat] = parseEpsg('EPSG:23031').toWgs84(605835.52, 6073556.38);
    const metres = Math.hypot((lon - 4.644802764) * 111_320 * Math.cos((lat * Math.PI) / 180), (lat - 54.79611869) * 110_540);
    expect(metres).toBeLessThan(5);
  });
});
