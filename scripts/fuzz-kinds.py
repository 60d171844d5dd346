#!/usr/bin/env python3
"""Writes type-confusion seeds for a fuzz target whose input is JSON or YAML.

    scripts/fuzz-kinds.py OUT_DIR SEED...     e.g. for the runtime's config.json:
    scripts/fuzz-kinds.py /tmp/kinds capstone/fuzz/seeds/runtime_config/*.json

For every path in the seeds (array indices folded together), one copy of the seed with a
value of each JSON kind at that path: null, a bool, numbers at the edges of the integer types,
a float, strings, arrays and maps. A serde-derived parser has one code path per (field type,
kind of value) pair, and a byte-level fuzzer is slow to try every kind in every field; these
seeds try them all at once. Pass OUT_DIR to the fuzzer as an extra corpus directory
(`<target> corpus/<target> OUT_DIR`), then minimise: what adds coverage stays in the corpus.
YAML seeds (.yml, .yaml) come out as block-style YAML, the rest as JSON; a variant longer than
the fuzzers' -max_len (4096 bytes) is left out.
"""
import hashlib, json, os, sys

KINDS = [None, True, 0, -1, 1.5, 256, 65536, 4294967296, -2147483649, 9223372036854775808,
         18446744073709551616, -9223372036854775809, "", "x", "1", "true", [], [None], {}, {"": 0}]
MAX_LEN = 4096


def paths(value, path=()):
    """Every path into value, the root first."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield from paths(inner, path + (key,))


def replaced(doc, path, new):
    """A copy of doc with the value at path replaced by new."""
    if not path:
        return new
    copy = json.loads(json.dumps(doc))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return copy


def main(out, seeds):
    os.makedirs(out, exist_ok=True)
    done, written = set(), set()
    for seed in seeds:
        is_yaml = seed.endswith((".yml", ".yaml"))
        try:
            if is_yaml:
                import yaml  # python3-yaml, which docker-compose depends on
                doc = json.loads(json.dumps(yaml.safe_load(open(seed)), default=str))
            else:
                doc = json.load(open(seed))
        except Exception as e:
            print(f"{seed}: skipped, not parsed: {e}", file=sys.stderr)
            continue
        for path in paths(doc):
            folded = tuple("[]" if isinstance(k, int) else k for k in path)
            for kind in KINDS:
                if (folded, json.dumps(kind)) in done:
                    continue
                done.add((folded, json.dumps(kind)))
                variant = replaced(doc, path, kind)
                if is_yaml:
                    data = yaml.safe_dump(variant, default_flow_style=False, sort_keys=False).encode()
                else:
                    data = json.dumps(variant, separators=(",", ":")).encode()
                if len(data) <= MAX_LEN:
                    name = hashlib.sha1(data).hexdigest()
                    with open(os.path.join(out, name), "wb") as f:
                        f.write(data)
                    written.add(name)
    print(f"{len(written)} files from {len({d[0] for d in done})} paths")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
