"""The prospective spec: loaded once, from a dict, a JSON file or a YAML file.

PyYAML is used when importable; otherwise a small reader of the YAML subset that specs use
(block mappings and lists, flow `{...}` and `[...]`, plain and quoted scalars, comments).
"""
import json
import os
import re

SPEC_KEYS = ("name", "kind", "description", "study", "attributes", "transformations")
STUDY_KEYS = ("id", "name", "description")
TRANSFORMATION_KEYS = ("name", "kind", "stageType", "parent", "description", "used",
                       "generated")
ATTRIBUTE_KEYS = ("name", "role")


class SpecError(ValueError):
    """A spec that cannot be the input of registerWorkflow; the message names the field."""


def load_spec(spec):
    """A dict in the exact shape of WorkflowSpecInput, from a dict or a .json/.yaml file path."""
    if isinstance(spec, (str, os.PathLike)):
        path = os.fspath(spec)
        with open(path, "r", encoding="utf-8") as handle:
            text = handle.read()
        if path.endswith(".json"):
            data = json.loads(text)
        else:
            data = parse_yaml(text)
    elif isinstance(spec, dict):
        data = spec
    else:
        raise SpecError("spec: expected a dict or a file path, got %s" % type(spec).__name__)
    return normalise(data)


def _pick(value, keys, where):
    if not isinstance(value, dict):
        raise SpecError("%s: expected a mapping" % where)
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise SpecError("%s.%s: unknown field (allowed: %s)" % (where, unknown[0], ", ".join(keys)))
    return {k: value[k] for k in keys if value.get(k) is not None}


def _attributes(items, where):
    if not isinstance(items, list):
        raise SpecError("%s: expected a list" % where)
    out = []
    for i, item in enumerate(items):
        attr = _pick(item, ATTRIBUTE_KEYS, "%s[%d]" % (where, i))
        if not isinstance(attr.get("name"), str) or not attr["name"]:
            raise SpecError("%s[%d].name: required string" % (where, i))
        out.append(attr)
    return out


def normalise(data):
    spec = _pick(data, SPEC_KEYS, "spec")
    if not isinstance(spec.get("name"), str) or not spec["name"]:
        raise SpecError("spec.name: required string")
    if "study" in spec:
        spec["study"] = _pick(spec["study"], STUDY_KEYS, "spec.study")
    if "attributes" in spec:
        spec["attributes"] = _attributes(spec["attributes"], "spec.attributes")
    transformations = spec.get("transformations")
    if not isinstance(transformations, list) or not transformations:
        raise SpecError("spec.transformations: required non-empty list")
    out = []
    for i, item in enumerate(transformations):
        where = "spec.transformations[%d]" % i
        t = _pick(item, TRANSFORMATION_KEYS, where)
        if not isinstance(t.get("name"), str) or not t["name"]:
            raise SpecError("%s.name: required string" % where)
        for key in ("used", "generated"):
            if key in t:
                t[key] = _attributes(t[key], "%s.%s" % (where, key))
        out.append(t)
    spec["transformations"] = out
    return spec


# -- the YAML subset -----------------------------------------------------------------------
def parse_yaml(text):
    try:
        import yaml  # PyYAML, when the system has it
        return yaml.safe_load(text)
    except ImportError:
        pass
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = _strip_comment(raw).rstrip()
        if stripped.strip() and stripped.strip() != "---":
            lines.append((len(stripped) - len(stripped.lstrip(" ")), stripped.strip(), number))
    value, rest = _block(lines, 0)
    if rest < len(lines):
        raise SpecError("YAML line %d: unexpected indentation" % lines[rest][2])
    return value


def _strip_comment(line):
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _block(lines, i):
    indent = lines[i][0]
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("-"):
            body = lines[i][1][1:].strip()
            if not body:
                value, i = _block(lines, i + 1)
            elif re.match(r"^[^{\[\"'][^:]*:(\s|$)", body):
                # "- key: value" opens a mapping whose other keys sit under the first one
                child = [(indent + 2, body, lines[i][2])]
                j = i + 1
                while j < len(lines) and lines[j][0] > indent:
                    child.append(lines[j])
                    j += 1
                value, _ = _block(child, 0)
                i = j
            else:
                value, i = _scalar_or_flow(body, lines[i][2]), i + 1
            items.append(value)
        return items, i
    mapping = {}
    while i < len(lines) and lines[i][0] == indent:
        match = re.match(r"^([^:]+?)\s*:(?:\s+(.*))?$", lines[i][1])
        if not match:
            raise SpecError("YAML line %d: expected 'key: value'" % lines[i][2])
        key, body = _unquote(match.group(1)), (match.group(2) or "").strip()
        if body:
            mapping[key], i = _scalar_or_flow(body, lines[i][2]), i + 1
        elif i + 1 < len(lines) and lines[i + 1][0] > indent:
            mapping[key], i = _block(lines, i + 1)
        elif i + 1 < len(lines) and lines[i + 1][0] == indent and lines[i + 1][1].startswith("-"):
            mapping[key], i = _block(lines, i + 1)
        else:
            mapping[key], i = None, i + 1
    return mapping, i


def _unquote(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _scalar_or_flow(text, number):
    if text[0] in "{[":
        value, end = _flow(text, 0, number)
        if text[end:].strip():
            raise SpecError("YAML line %d: text after a closing bracket" % number)
        return value
    return _scalar(text)


def _scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "~", ""):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _flow(text, i, number):
    opener = text[i]
    closer = "}" if opener == "{" else "]"
    result = {} if opener == "{" else []
    i += 1
    while True:
        while i < len(text) and text[i] in " ,":
            i += 1
        if i >= len(text):
            raise SpecError("YAML line %d: missing %r" % (number, closer))
        if text[i] == closer:
            return result, i + 1
        if text[i] in "{[":
            value, i = _flow(text, i, number)
            key = None
        else:
            j = i
            quote = None
            while j < len(text) and (quote or text[j] not in ",}]" and not (
                    opener == "{" and text[j] == ":" and key_is_open(text, j))):
                if text[j] in "'\"":
                    quote = None if quote == text[j] else (quote or text[j])
                j += 1
            token, i = text[i:j], j
            if opener == "{" and i < len(text) and text[i] == ":":
                key = _unquote(token)
                i += 1
                while i < len(text) and text[i] == " ":
                    i += 1
                if text[i] in "{[":
                    value, i = _flow(text, i, number)
                else:
                    j = i
                    while j < len(text) and text[j] not in ",}":
                        j += 1
                    value, i = _scalar(text[i:j]), j
                result[key] = value
                continue
            value = _scalar(token)
        if isinstance(result, list):
            result.append(value)
        else:
            raise SpecError("YAML line %d: expected 'key: value' inside {}" % number)


def key_is_open(text, j):
    # "a: b" separates a key; "http://x" inside a value does not.
    return j + 1 >= len(text) or text[j + 1] in " ,}"
