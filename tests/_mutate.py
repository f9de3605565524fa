"""Seeded mutations of real files, for the fuzz test (``tests/test_fuzz.py``).

Each mutator takes the original bytes and a ``random.Random`` and returns new bytes. Byte-level
mutations (flips, cuts, insertions, repeats) suit every format; structural ones parse JSON or YAML,
change one value deep inside (type swaps, huge and non-finite numbers, missing keys, deep nesting,
invalid dates, NUL bytes, YAML aliases) and write it back, so the loaders see files that are
well-formed but wrong: the hardest kind.
"""

from __future__ import annotations

import json
import random

HUGE = [
    10**30,
    -(10**30),
    2**64,
    2**63,
    -1,
    1e999,
    float("nan"),
    1e-300,
    "1e999999999",
    "9" * 5000,
    0,
    "NaN",
    "-inf",
    True,
    None,
    "",
    "2024-02-30",
    "\x00",
    "\ufffe",
    [],
    {},
]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if b:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def insert_bytes(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data) + 1)
    junk = rng.choice(
        [
            b"\x00" * rng.randint(1, 64),
            b"\xff" * 9,
            bytes(rng.randrange(256) for _ in range(16)),
            b"\xfe\xff\xff\xff\xff",
            b"\xff" + b"\xff" * 8,
            "é\u2028".encode(),
            b"\xc3\x28",
        ]
    )
    return data[:i] + junk + data[i:]


def repeat_slice(data: bytes, rng: random.Random) -> bytes:
    if len(data) < 2:
        return data + data
    i = rng.randrange(len(data) - 1)
    j = min(len(data), i + rng.randint(1, 200))
    return data[:j] + data[i:j] * rng.randint(2, 4) + data[j:]


BYTE_MUTATORS = [flip_bits, truncate, insert_bytes, repeat_slice]


# ---------------------------------------------------------------------------- structured
def _paths(obj, prefix=()):
    """Every (path, value) inside nested dicts/lists (bounded)."""
    out = [(prefix, obj)]
    if isinstance(obj, dict):
        for k, v in list(obj.items())[:60]:
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:30]):
            out.extend(_paths(v, prefix + (i,)))
    return out


def _set(obj, path, value):
    if not path:
        return value
    parent = obj
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = value
    return obj


def _delete(obj, path):
    if not path:
        return obj
    parent = obj
    for k in path[:-1]:
        parent = parent[k]
    del parent[path[-1]]
    return obj


def mutate_tree(obj, rng: random.Random):
    """One structural change somewhere in a parsed JSON/YAML document."""
    paths = _paths(obj)
    path, value = rng.choice(paths)
    kind = rng.choice(["swap", "huge", "delete", "nest", "string", "dup", "empty"])
    if kind == "swap":
        repl = rng.choice([str(value), [value], {"x": value}, None, True, 3.5]) if value is not None else 7
        return _set(obj, path, repl)
    if kind == "huge":
        return _set(obj, path, rng.choice(HUGE))
    if kind == "delete" and path:
        return _delete(obj, path)
    if kind == "nest":
        deep = value
        for _ in range(rng.choice([20, 200, 800])):
            deep = [deep]
        return _set(obj, path, deep)
    if kind == "string":
        return _set(obj, path, rng.choice(["zz" * 32, "0" * 63, "g" * 64, "x" * 200_000, "\x00abc", "é" * 10]))
    if kind == "dup" and isinstance(value, list) and value:
        return _set(obj, path, value + value[:1])
    return _set(obj, path, rng.choice([[], {}, ""]))


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.1:  # deeper than any parser's recursion: written as text
        depth = rng.choice([5_000, 100_000])
        return b'{"vin": ' + b"[" * depth + b"]" * depth + b', "x": ' + data + b"}"
    try:
        obj = json.loads(data)
    except ValueError:
        return flip_bits(data, rng)
    obj = mutate_tree(obj, rng)
    try:
        return json.dumps(obj, allow_nan=True, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    except (RecursionError, ValueError):
        return flip_bits(data, rng)


def mutate_yaml(data: bytes, rng: random.Random) -> bytes:
    import yaml

    choice = rng.random()
    if choice < 0.15:  # a "billion laughs" alias bomb at the top
        bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
            for i in range(8)
        )
        return bomb.encode() + data
    if choice < 0.25:  # deep nesting
        return b"x: " + b"[" * 5000 + b"]" * 5000 + b"\n" + data
    try:
        obj = yaml.safe_load(data)
    except yaml.YAMLError:
        return flip_bits(data, rng)
    if not isinstance(obj, (dict, list)):
        return flip_bits(data, rng)
    obj = mutate_tree(obj, rng)
    try:
        return yaml.safe_dump(obj, allow_unicode=True, sort_keys=False).encode("utf-8", "surrogatepass")
    except (yaml.YAMLError, RecursionError, ValueError):
        return flip_bits(data, rng)


def mutate_csv(data: bytes, rng: random.Random) -> bytes:
    """A CSV with one field made huge (over the csv module's 128 KiB limit), quoted oddly, or a line cut."""
    lines = data.split(b"\n")
    k = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
    choice = rng.random()
    if choice < 0.3:
        lines[k] = lines[k] + b',"' + b"A" * rng.choice([140_000, 1_000]) + b'"'
    elif choice < 0.5:
        lines[k] = b'"' + lines[k]  # an unterminated quote
    elif choice < 0.7:
        lines[k] = lines[k].replace(b",", b",=cmd|' /C calc'!A0,", 1)
    else:
        lines[k] = lines[k] + b"\r" + bytes(rng.randrange(256) for _ in range(8))
    return b"\n".join(lines)


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    """One mutation of ``data``, structural for ``json``/``yaml`` half of the time."""
    if kind == "json" and rng.random() < 0.6:
        return mutate_json(data, rng)
    if kind == "yaml" and rng.random() < 0.6:
        return mutate_yaml(data, rng)
    if kind == "csv" and rng.random() < 0.6:
        return mutate_csv(data, rng)
    return rng.choice(BYTE_MUTATORS)(data, rng)
