#!/usr/bin/env python3
"""Seeds the fuzz corpora.

1. Extracts every scripted response body and every operation's user list from the
   conformance vectors (tests/conformance/vectors/*.json) into fuzz/seeds/<target>/vec_*
   (committed, so stable `cargo test` replays them from a fresh clone).
2. Copies fuzz/seeds/<target>/ and fuzz/regressions/<target>/ into fuzz/corpus/<target>/,
   the working corpus libFuzzer grows (not committed).
"""
import hashlib
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
VECTORS = ROOT / "tests" / "conformance" / "vectors"
TARGETS = ["decode_outcome", "decode_page", "decode_error", "normalize_input", "webhook"]
LIST_OPS = {"list_page", "blocked_users", "is_blocked", "list", "iterate"}


def write_seed(target, data, tag):
    folder = FUZZ / "seeds" / target
    folder.mkdir(parents=True, exist_ok=True)
    name = "vec_%s_%s" % (tag, hashlib.sha1(data).hexdigest()[:12])
    (folder / name).write_bytes(data)


def script_bodies(vector):
    for step in vector.get("setup", []):
        if step.get("path") != "/_sandbox/script":
            continue
        for resp in step.get("body", {}).get("responses", []):
            if isinstance(resp.get("body"), str):
                yield resp["body"].encode()
            elif resp.get("json") is not None:
                yield json.dumps(resp["json"]).encode()


def main():
    for old in (FUZZ / "seeds").glob("*/vec_*"):
        old.unlink()
    count = 0
    for path in sorted(VECTORS.glob("*.json")):
        vector = json.loads(path.read_text())
        op = vector.get("operation", {})
        tag = path.stem.split("_")[0]
        for body in script_bodies(vector):
            target = "decode_page" if op.get("op") in LIST_OPS else "decode_outcome"
            write_seed(target, body, tag)
            write_seed("decode_error", body, tag)
            count += 2
        users = op.get("users") or ([op["user"]] if isinstance(op.get("user"), str) else [])
        users = [u for u in users if isinstance(u, str)]
        if users:
            write_seed("normalize_input", "\n".join(users).encode(), tag)
            count += 1
    print("seeded %d inputs from %s" % (count, VECTORS.relative_to(ROOT)))
    for target in TARGETS:
        corpus = FUZZ / "corpus" / target
        corpus.mkdir(parents=True, exist_ok=True)
        for source in ("seeds", "regressions"):
            for f in sorted((FUZZ / source / target).glob("*")):
                shutil.copy(f, corpus / ("%s_%s" % (source, f.name)))
        print("%s: %d files in fuzz/corpus/%s" % (target, len(list(corpus.iterdir())), target))


if __name__ == "__main__":
    main()
