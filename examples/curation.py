#!/usr/bin/env python3
"""Data curation phase: read a raw SEG-Y seismic file, extract what later questions need
(geographic extent, inline/crossline ranges, number of slices), link the file to domain
knowledge (basin and field in the knowledge store, the cube's polygon in the document store)
and capture all of it as provenance.

    /usr/bin/python3 examples/curation.py --server http://127.0.0.1:4000 [--segy FILE.sgy]

Without --segy it writes a small synthetic cube (netherlands.sgy) with segyio first, so the
lifecycle runs anywhere. Without --server it captures offline to a spool.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                                "python"))
import provml  # noqa: E402

SPEC = {
    "name": "seismic-data-curation",
    "kind": "DATA",
    "description": "Curate raw SEG-Y files: extract metadata, link basin, field and polygon.",
    "study": {"id": "seismic-stratigraphy", "name": "Seismic stratigraphy"},
    "transformations": [
        {"name": "extract_seismic_metadata", "kind": "DATA_TRANSFORMATION",
         "used": [{"name": "seismic_file", "role": "DATA_REFERENCE"}],
         "generated": [{"name": "number_of_inlines", "role": "DATASET_CHARACTERISTIC"},
                       {"name": "number_of_crosslines", "role": "DATASET_CHARACTERISTIC"},
                       {"name": "number_of_samples", "role": "DATASET_CHARACTERISTIC"},
                       {"name": "inline_range", "role": "DATASET_CHARACTERISTIC"},
                       {"name": "crossline_range", "role": "DATASET_CHARACTERISTIC"},
                       {"name": "file_size_bytes", "role": "DATASET_CHARACTERISTIC"},
                       {"name": "coordinates", "role": "DATASET_CHARACTERISTIC"}]},
        {"name": "domain_annotation", "kind": "DATA_TRANSFORMATION",
         "used": [{"name": "seismic_file", "role": "DATA_REFERENCE"},
                  {"name": "annotator", "role": "PARAMETER"}],
         "generated": [{"name": "basin", "role": "DATA_REFERENCE"},
                       {"name": "field", "role": "DATA_REFERENCE"},
                       {"name": "polygon", "role": "DATA_REFERENCE"}]},
    ],
}

KNOWLEDGE = "http://example.org/seismic/"


def write_synthetic_segy(path, inlines=48, crosslines=64, samples=128):
    import numpy as np
    import segyio
    rng = np.random.default_rng(3)
    depth = np.arange(samples, dtype=np.float32)
    # layered reflectivity: facies change with depth, as stratigraphy does
    trace = np.sin(depth * 0.35) * (1 + (depth // 16)) / 4
    data = np.empty((inlines, crosslines, samples), dtype=np.float32)
    data[:] = trace
    data += rng.normal(0, 0.25, data.shape).astype(np.float32)
    segyio.tools.from_array3D(path, data, iline=189, xline=193, format=5, dt=4000)
    with segyio.open(path, "r+", iline=189, xline=193) as f:  # coordinates, as field data has
        for i, header in enumerate(f.header):
            il, xl = divmod(i, crosslines)
            header.update({segyio.TraceField.CDP_X: 600000 + 25 * il,
                           segyio.TraceField.CDP_Y: 6080000 + 25 * xl,
                           segyio.TraceField.SourceGroupScalar: 1})
    return path


def extract_metadata(path):
    import segyio
    with segyio.open(path, "r", iline=189, xline=193) as f:
        xs = [h[segyio.TraceField.CDP_X] for h in f.header]
        ys = [h[segyio.TraceField.CDP_Y] for h in f.header]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        return {"number_of_inlines": len(f.ilines), "number_of_crosslines": len(f.xlines),
                "number_of_samples": len(f.samples),
                "inline_range": [int(f.ilines[0]), int(f.ilines[-1])],
                "crossline_range": [int(f.xlines[0]), int(f.xlines[-1])],
                "file_size_bytes": os.path.getsize(path),
                "coordinates": {"type": "Polygon", "crs": "EPSG:23031", "coordinates": [[
                    [x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default=os.environ.get("PROVML_SERVER"))
    p.add_argument("--spool", default=None)
    p.add_argument("--workdir", default="provml-demo-data")
    p.add_argument("--segy", default=None, help="raw SEG-Y file (default: a synthetic one)")
    p.add_argument("--basin", default="North Sea")
    p.add_argument("--field", default="F3 Netherlands")
    args = p.parse_args(argv)

    os.makedirs(args.workdir, exist_ok=True)
    segy = os.path.abspath(args.segy or write_synthetic_segy(
        os.path.join(args.workdir, "netherlands.sgy")))
    mode = None if args.server or args.spool else provml.OFFLINE
    prov = provml.init(spec=SPEC, server=args.server, spool=args.spool, mode=mode)
    segy_ref = provml.ref(segy, "fs")

    with prov.task("extract_seismic_metadata", used={"seismic_file": segy_ref}) as t:
        meta = extract_metadata(segy)
        t.out(meta)
    slug = lambda s: s.lower().replace(" ", "-")  # noqa: E731
    with prov.task("domain_annotation", used={"seismic_file": segy_ref,
                                              "annotator": os.environ.get("USER", "geo")}) as t:
        basin = provml.ref(KNOWLEDGE + "basin/" + slug(args.basin), "knowledge")
        field = provml.ref(KNOWLEDGE + "field/" + slug(args.field), "knowledge")
        polygon = provml.ref("polygons/" + os.path.basename(segy) + ".geojson", "documents")
        t.out(basin=basin, field=field, polygon=polygon)
    report = prov.close(timeout=30)
    print("run %s: curated %s (%d inlines x %d crosslines x %d samples)"
          % (prov.run, segy, meta["number_of_inlines"], meta["number_of_crosslines"],
             meta["number_of_samples"]))
    print("provenance: %s" % report)
    return 0 if report.unsent == 0 or mode == provml.OFFLINE else 1


if __name__ == "__main__":
    sys.exit(main())
