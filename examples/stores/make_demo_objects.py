"""Writes the small HDF5 files of the demo object store (examples/stores/objects).

Run with Debian's /usr/bin/python3 (python3-h5py). Deterministic: the same bytes on every run
(no timestamps in the HDF5 metadata), so the committed files only change when this script does.
The shapes follow the demo lifecycle (40x40 tiles; train/test/valid 2100/450/450 tiles in the
provenance events), but only a few tiles are stored: they are stand-ins, a few kilobytes each.
"""
import os
import h5py
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "objects")


def write_set(name, tiles, seed):
    rng = np.random.default_rng(seed)
    path = os.path.join(HERE, "input", f"{name}.hdf5")
    with h5py.File(path, "w", track_order=True, libver="earliest") as f:
        f.attrs["source"] = "/data/netherlands.sgy"
        f.attrs["tile_size"] = 40
        f.attrs["inline_range"] = [100, 750]
        f.attrs["crossline_range"] = [300, 1250]
        f.create_dataset("tiles", data=rng.standard_normal((tiles, 40, 40)).astype("f2"), track_times=False)
        f.create_dataset("labels", data=rng.integers(0, 10, (tiles, 40, 40), dtype="u1"), track_times=False)


def write_model():
    rng = np.random.default_rng(188)
    path = os.path.join(HERE, "models", "model188.hdf5")
    with h5py.File(path, "w", track_order=True, libver="earliest") as f:
        f.attrs["architecture"] = "U-Net (demo stand-in)"
        f.attrs["epoch"] = 188
        f.attrs["learning_rate"] = 0.01
        g = f.create_group("weights")
        g.create_dataset("encoder.conv1", data=rng.standard_normal((8, 1, 3, 3)).astype("f4"), track_times=False)
        g.create_dataset("decoder.conv1", data=rng.standard_normal((10, 8, 1, 1)).astype("f4"), track_times=False)


if __name__ == "__main__":
    for i, (name, tiles) in enumerate([("train", 4), ("test", 2), ("valid", 2)]):
        write_set(name, tiles, i)
    write_model()
