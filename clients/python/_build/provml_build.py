"""A PEP 517 build backend for the provml capture client, standard library only.

Why not setuptools: `pip install` builds in an isolated environment and fetches the backend
from an index first, so `pip install ./clients/python` with setuptools fails on a machine
without network ("Could not find a version that satisfies the requirement setuptools"), and
Python 3.12+ venvs carry no setuptools at all. The client is one pure-Python package, so its
wheel is a zip of provml/*.py and three metadata files; this module writes exactly that, and
pip needs nothing but itself (`requires = []` in pyproject.toml).

Hooks: build_wheel, build_sdist, build_editable (PEP 660: `pip install -e`), and the
get_requires_* and prepare_metadata_* hooks.
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "provml"
TAG = "py3-none-any"


def _project():
    """The [project] table of pyproject.toml (tomllib on 3.11+, a small reader before)."""
    path = os.path.join(ROOT, "pyproject.toml")
    try:
        import tomllib
    except ImportError:  # Python < 3.11: the table holds only simple `key = "string"` lines
        tomllib = None
    if tomllib is not None:
        with open(path, "rb") as f:
            return tomllib.load(f)["project"]
    project, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]").strip()
                continue
            m = re.match(r'^([A-Za-z][\w-]*)\s*=\s*"([^"]*)"\s*$', line)
            if section == "project" and m:
                project[m.group(1)] = m.group(2)
    return project


def _dist_name(project):
    return re.sub(r"[-_.]+", "_", project["name"]).lower()


def _metadata(project):
    lines = [
        "Metadata-Version: 2.1",
        "Name: %s" % project["name"],
        "Version: %s" % project["version"],
    ]
    if project.get("description"):
        lines.append("Summary: %s" % project["description"])
    if project.get("requires-python"):
        lines.append("Requires-Python: %s" % project["requires-python"])
    lic = project.get("license")
    if isinstance(lic, dict) and lic.get("text"):
        lines.append("License: %s" % lic["text"])
    readme = os.path.join(ROOT, "README.md")
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def _wheel_file():
    return "Wheel-Version: 1.0\nGenerator: provml_build\nRoot-Is-Purelib: true\nTag: %s\n" % TAG


def _entry_points(project):
    scripts = project.get("scripts") or {}
    if not isinstance(scripts, dict) or not scripts:
        return None
    return "[console_scripts]\n" + "".join("%s = %s\n" % kv for kv in sorted(scripts.items()))


def _package_files():
    base = os.path.join(ROOT, PACKAGE)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".typed")):
                full = os.path.join(dirpath, name)
                yield full, os.path.relpath(full, ROOT).replace(os.sep, "/")


def _dist_info_files(project):
    files = {"METADATA": _metadata(project), "WHEEL": _wheel_file(), "top_level.txt": PACKAGE + "\n"}
    entry_points = _entry_points(project)
    if entry_points:
        files["entry_points.txt"] = entry_points
    return files


def _write_wheel(wheel_directory, contents):
    """contents: (archive name, bytes) pairs; adds RECORD and returns the wheel's file name."""
    project = _project()
    name = "%s-%s" % (_dist_name(project), project["version"])
    dist_info = name + ".dist-info"
    entries = list(contents)
    for fname, text in _dist_info_files(project).items():
        entries.append(("%s/%s" % (dist_info, fname), text.encode("utf-8")))
    record = []
    for arcname, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (arcname, digest, len(data)))
    record.append("%s/RECORD,," % dist_info)
    entries.append(("%s/RECORD" % dist_info, ("\n".join(record) + "\n").encode("utf-8")))
    filename = "%s-%s.whl" % (name, TAG)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as whl:
        for arcname, data in entries:
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(info, data)
    return filename


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    dist_info = "%s-%s.dist-info" % (_dist_name(project), project["version"])
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    for fname, text in _dist_info_files(project).items():
        with open(os.path.join(metadata_directory, dist_info, fname), "w", encoding="utf-8") as f:
            f.write(text)
    return dist_info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    contents = []
    for full, arcname in _package_files():
        with open(full, "rb") as f:
            contents.append((arcname, f.read()))
    return _write_wheel(wheel_directory, contents)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth line puts this source directory on sys.path: edits take effect without reinstalling.
    pth = ("%s\n" % ROOT).encode("utf-8")
    return _write_wheel(wheel_directory, [("__editable__.%s.pth" % _dist_name(_project()), pth)])


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = "%s-%s" % (_dist_name(project), project["version"])
    filename = base + ".tar.gz"
    members = [(os.path.join(ROOT, n), n) for n in ("pyproject.toml", "README.md", "_build/provml_build.py")]
    members += list(_package_files())
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for full, arcname in members:
            if os.path.exists(full):
                tar.add(full, arcname="%s/%s" % (base, arcname), recursive=False)
        pkg_info = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (project["name"], project["version"])).encode()
        info = tarfile.TarInfo("%s/PKG-INFO" % base)
        info.size, info.mtime, info.mode = len(pkg_info), int(time.time()), 0o644
        tar.addfile(info, io.BytesIO(pkg_info))
    return filename
