"""Exports the example graph sotu-qa's two tensor models from real MiniLM embeddings.

sotu-lookup: embedding FP32 [batch, 384] -> (indices INT64 [batch, k], scores FP32 [batch, k],
             best_score FP32 [batch]): cosine similarity (the embeddings are L2-normalised) against the
             embeddings of the reference texts, top k. Line i of references.txt is index i.
sotu-topics: embedding FP32 [batch, 384] -> (topic INT64 [batch], topic_score FP32 [batch]): the closest of
             the topic descriptions (topics.txt, line i = topic i).

The embeddings were computed by the project's own Java runtime with all-minilm-l6-v2 (deploy/bin/embed-texts),
so the weights are the served model's own embeddings. The modules are scripted (torch.jit.script) and written
with their text files; every reference is checked to find itself first.
"""

import argparse
import os
import shutil
import sys
import time
from typing import Tuple

import torch
from torch import nn


class Lookup(nn.Module):
    def __init__(self, references: torch.Tensor, k: int):
        super().__init__()
        self.register_buffer("references", references)
        self.k = k

    def forward(self, embedding: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        scores = torch.matmul(embedding, self.references.t())
        top = torch.topk(scores, self.k, dim=1)
        return top.indices, top.values, top.values[:, 0]


class Topics(nn.Module):
    def __init__(self, topics: torch.Tensor):
        super().__init__()
        self.register_buffer("topics", topics)

    def forward(self, embedding: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        scores = torch.matmul(embedding, self.topics.t())
        best = torch.max(scores, dim=1)
        return best.indices, best.values


def read_rows(path: str, dim: int) -> torch.Tensor:
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if len(data) % (4 * dim) != 0:
        sys.exit(f"{path}: {len(data)} bytes is not a whole number of {dim}-float rows")
    return torch.frombuffer(data, dtype=torch.float32).reshape(-1, dim).clone()


def save(module: nn.Module, out_dir: str, text_src: str, text_name: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.pt")
    torch.jit.save(torch.jit.script(module.eval()), path + ".tmp")
    shutil.copyfile(text_src, os.path.join(out_dir, text_name))
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--references", required=True, help="reference texts, one per line")
    p.add_argument("--references-f32", required=True)
    p.add_argument("--topics", required=True, help="topic descriptions, one per line")
    p.add_argument("--topics-f32", required=True)
    p.add_argument("--lookup-dir", required=True)
    p.add_argument("--topics-dir", required=True)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--k", type=int, default=5)
    args = p.parse_args()
    started = time.monotonic()

    refs = read_rows(args.references_f32, args.dim)
    topics = read_rows(args.topics_f32, args.dim)
    ref_lines = [l for l in open(args.references, encoding="utf-8").read().splitlines() if l.strip()]
    topic_lines = [l for l in open(args.topics, encoding="utf-8").read().splitlines() if l.strip()]
    if refs.shape[0] != len(ref_lines) or topics.shape[0] != len(topic_lines):
        sys.exit(f"embeddings ({refs.shape[0]}, {topics.shape[0]}) and texts ({len(ref_lines)}, "
                 f"{len(topic_lines)}) disagree")
    norms = refs.norm(dim=1)
    if (norms - 1).abs().max().item() > 1e-3:
        sys.exit("reference embeddings are not L2-normalised")

    lookup_path = save(Lookup(refs, args.k), args.lookup_dir, args.references, "references.txt")
    topics_path = save(Topics(topics), args.topics_dir, args.topics, "topics.txt")

    # Everything below uses the modules as reloaded from disk.
    lookup = torch.jit.load(lookup_path + ".tmp")
    with torch.no_grad():
        indices, scores, best = lookup(refs)
    if not torch.equal(indices[:, 0], torch.arange(refs.shape[0])):
        sys.exit("a reference text does not find itself first")
    if indices.dtype != torch.int64 or scores.shape != (refs.shape[0], args.k) or best.shape != (refs.shape[0],):
        sys.exit(f"unexpected lookup outputs {indices.dtype} {tuple(scores.shape)} {tuple(best.shape)}")
    topic_module = torch.jit.load(topics_path + ".tmp")
    with torch.no_grad():
        t, s = topic_module(topics)
    if not torch.equal(t, torch.arange(topics.shape[0])):
        sys.exit("a topic description is not closest to itself")

    os.replace(lookup_path + ".tmp", lookup_path)
    os.replace(topics_path + ".tmp", topics_path)
    print(f"sotu-qa models exported in {time.monotonic() - started:.1f} s: {refs.shape[0]} references, "
          f"{topics.shape[0]} topics, top {args.k}")


if __name__ == "__main__":
    main()
