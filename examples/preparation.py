#!/usr/bin/env python3
"""Learning data preparation phase: from the curated SEG-Y cube to training and test sets.

A pipeline of parameterised data transformations, each captured with its parameters and the
data references it used and generated: select a range of inline slices, filter noise below a
threshold, cut tiles of a given size with facies labels, write HDF5 training and test sets.
The training set is what examples/pytorch_train.py reads, so a trained model traces back
through these steps to the raw file (the paper's Q2, Q5 and Q6).

    /usr/bin/python3 examples/preparation.py --server http://127.0.0.1:4000 \
        --inline-start 100 --inline-end 115 --tile-size 16 --noise-threshold 0.1
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                                "python"))
import provml  # noqa: E402

SPEC = {
    "name": "learning-data-preparation",
    "kind": "DATA",
    "description": "Prepare training and test sets of labelled tiles from a curated SEG-Y cube.",
    "study": {"id": "seismic-stratigraphy", "name": "Seismic stratigraphy"},
    "transformations": [
        {"name": "generate_tiles", "kind": "DATA_TRANSFORMATION",
         "used": [{"name": "seismic_file", "role": "DATA_REFERENCE"},
                  {"name": "tile_size", "role": "PARAMETER"},
                  {"name": "noise_threshold", "role": "PARAMETER"},
                  {"name": "inline_range", "role": "PARAMETER"},
                  {"name": "crossline_range", "role": "PARAMETER"},
                  {"name": "test_fraction", "role": "PARAMETER"}],
         "generated": [{"name": "train_set", "role": "LEARNING_DATASET_REFERENCE"},
                       {"name": "test_set", "role": "LEARNING_DATASET_REFERENCE"},
                       {"name": "number_of_tiles", "role": "DATASET_CHARACTERISTIC"}]},
        {"name": "slice_selection", "kind": "DATA_TRANSFORMATION", "parent": "generate_tiles",
         "used": [{"name": "seismic_file", "role": "DATA_REFERENCE"},
                  {"name": "inline_range", "role": "PARAMETER"}],
         "generated": [{"name": "slices", "role": "DATA_REFERENCE"},
                       {"name": "n_slices", "role": "DATASET_CHARACTERISTIC"}]},
        {"name": "noise_filter", "kind": "DATA_TRANSFORMATION", "parent": "generate_tiles",
         "used": [{"name": "slices", "role": "DATA_REFERENCE"},
                  {"name": "noise_threshold", "role": "PARAMETER"}],
         "generated": [{"name": "filtered", "role": "DATA_REFERENCE"},
                       {"name": "zeroed_fraction", "role": "DATASET_CHARACTERISTIC"}]},
        {"name": "tiling", "kind": "DATA_TRANSFORMATION", "parent": "generate_tiles",
         "used": [{"name": "filtered", "role": "DATA_REFERENCE"},
                  {"name": "tile_size", "role": "PARAMETER"},
                  {"name": "test_fraction", "role": "PARAMETER"}],
         "generated": [{"name": "train_set", "role": "LEARNING_DATASET_REFERENCE"},
                       {"name": "test_set", "role": "LEARNING_DATASET_REFERENCE"},
                       {"name": "n_tiles", "role": "DATASET_CHARACTERISTIC"}]},
    ],
}

N_CLASSES = 4


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default=os.environ.get("PROVML_SERVER"))
    p.add_argument("--spool", default=None)
    p.add_argument("--workdir", default="provml-demo-data")
    p.add_argument("--segy", default=None, help="default: WORKDIR/netherlands.sgy (curation.py)")
    p.add_argument("--inline-start", type=int, default=None, help="default: the first inline")
    p.add_argument("--inline-end", type=int, default=None, help="default: the last inline")
    p.add_argument("--tile-size", type=int, default=16)
    p.add_argument("--noise-threshold", type=float, default=0.1)
    p.add_argument("--test-fraction", type=float, default=0.2)
    args = p.parse_args(argv)

    import h5py
    import numpy as np
    import segyio

    segy = os.path.abspath(args.segy or os.path.join(args.workdir, "netherlands.sgy"))
    if not os.path.exists(segy):
        p.error("no SEG-Y file at %s: run examples/curation.py first or pass --segy" % segy)
    work = os.path.abspath(args.workdir)
    mode = None if args.server or args.spool else provml.OFFLINE
    prov = provml.init(spec=SPEC, server=args.server, spool=args.spool, mode=mode)
    segy_ref = provml.ref(segy, "fs")

    with segyio.open(segy, "r", iline=189, xline=193) as f:
        start = args.inline_start if args.inline_start is not None else int(f.ilines[0])
        end = args.inline_end if args.inline_end is not None else int(f.ilines[-1])
        if not any(start <= i <= end for i in f.ilines):
            p.error("--inline-start/--inline-end: no inline of %s in %d-%d (it has %d-%d)"
                    % (segy, start, end, f.ilines[0], f.ilines[-1]))
        xl_range = [int(f.xlines[0]), int(f.xlines[-1])]
        outer = prov.task("generate_tiles", used={
            "seismic_file": segy_ref, "tile_size": args.tile_size,
            "noise_threshold": args.noise_threshold, "inline_range": [start, end],
            "crossline_range": xl_range, "test_fraction": args.test_fraction})
        with prov.task("slice_selection", used={"seismic_file": segy_ref,
                                                "inline_range": [start, end]}) as t:
            cube = np.stack([f.iline[i] for i in f.ilines if start <= i <= end])
            slices_path = os.path.join(work, "slices_%d_%d.npy" % (start, end))
            np.save(slices_path, cube)
            slices_ref = provml.ref(slices_path, "fs")
            t.out(slices=slices_ref, n_slices=int(cube.shape[0]))
    prov.was_derived_from(slices_path, segy, "fs", "fs")

    with prov.task("noise_filter", used={"slices": slices_ref,
                                         "noise_threshold": args.noise_threshold}) as t:
        filtered = np.where(np.abs(cube) < args.noise_threshold, 0.0, cube).astype(np.float32)
        filtered_path = os.path.join(work, "filtered_%g.npy" % args.noise_threshold)
        np.save(filtered_path, filtered)
        filtered_ref = provml.ref(filtered_path, "fs")
        t.out(filtered=filtered_ref, zeroed_fraction=float((filtered == 0).mean()))
    prov.was_derived_from(filtered_path, slices_path, "fs", "fs")

    size = args.tile_size
    with prov.task("tiling", used={"filtered": filtered_ref, "tile_size": size,
                                   "test_fraction": args.test_fraction}) as t:
        tiles, labels = [], []
        n_il, n_xl, n_s = filtered.shape
        for il in range(n_il):
            section = filtered[il].T  # depth x crossline
            for z in range(0, n_s - size + 1, size // 2):
                for x in range(0, n_xl - size + 1, size // 2):
                    tiles.append(section[z:z + size, x:x + size])
                    labels.append(min(N_CLASSES - 1, (z + size // 2) * N_CLASSES // n_s))
        tiles, labels = np.asarray(tiles, np.float32), np.asarray(labels, np.int64)
        order = np.random.default_rng(0).permutation(len(tiles))
        cut = int(len(tiles) * (1 - args.test_fraction))
        paths = {}
        for name, part in (("train", order[:cut]), ("test", order[cut:])):
            paths[name] = os.path.join(work, "%s.h5" % name)
            with h5py.File(paths[name], "w") as out:
                out["tiles"], out["labels"] = tiles[part], labels[part]
                out.attrs["source"] = segy
        t.out(train_set=provml.ref(paths["train"], "fs"), test_set=provml.ref(paths["test"], "fs"),
              n_tiles=int(len(tiles)))
    for name in ("train", "test"):
        prov.was_derived_from(paths[name], filtered_path, "fs", "fs")
    outer.end(generated={"train_set": provml.ref(paths["train"], "fs"),
                         "test_set": provml.ref(paths["test"], "fs"),
                         "number_of_tiles": int(len(tiles))})
    report = prov.close(timeout=30)
    print("run %s: inlines %d-%d, tile %d, noise %.3g -> %d tiles (%s, %s)"
          % (prov.run, start, end, size, args.noise_threshold, len(tiles), paths["train"],
             paths["test"]))
    print("provenance: %s" % report)
    return 0 if report.unsent == 0 or mode == provml.OFFLINE else 1


if __name__ == "__main__":
    sys.exit(main())
