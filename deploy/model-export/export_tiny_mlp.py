"""Exports `tiny-mlp`, a small deterministic TorchScript model for tests.

features FP32 [batch, 4] -> (logits FP32 [batch, 3], label INT64 [batch]).
Any feature <= -1000 makes forward raise, so tests can check that one bad
record fails without taking its batch-mates or the job down.

It is scripted rather than traced because tracing would drop the poison
branch. The weights are written out below instead of drawn from a seeded RNG,
so the model and its reference outputs do not depend on the torch version.

Writes model.pt and reference.json (cases computed by the reloaded module).
"""

import argparse
import json
import os
import sys
import time
from typing import Tuple

import torch
from torch import nn

POISON_THRESHOLD = -1000.0

W1 = [
    [0.50, -0.25, 0.75, 0.10],
    [-0.40, 0.60, 0.20, -0.30],
    [0.30, 0.30, -0.50, 0.80],
    [-0.70, -0.20, 0.40, 0.50],
    [0.25, 0.90, -0.10, -0.60],
    [0.60, -0.50, -0.30, 0.20],
    [-0.15, 0.35, 0.65, -0.45],
    [0.80, 0.10, 0.05, -0.25],
]
B1 = [0.10, -0.05, 0.00, 0.20, -0.10, 0.05, 0.15, -0.20]
W2 = [
    [0.70, -0.30, 0.20, 0.50, -0.60, 0.40, 0.10, -0.20],
    [-0.50, 0.60, -0.40, 0.30, 0.80, -0.10, 0.20, 0.30],
    [0.20, 0.10, 0.70, -0.60, 0.10, 0.50, -0.30, 0.40],
]
B2 = [0.05, -0.10, 0.00]


class TinyMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)
        with torch.no_grad():
            for layer, w, b in ((self.fc1, W1, B1), (self.fc2, W2, B2)):
                layer.weight.copy_(torch.tensor(w))
                layer.bias.copy_(torch.tensor(b))
        for param in self.parameters():
            param.requires_grad_(False)

    def forward(self, features: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if bool((features <= -1000.0).any()):  # literal: keep in sync with POISON_THRESHOLD
            raise RuntimeError("poison input: feature value <= -1000")
        logits = self.fc2(torch.relu(self.fc1(features)))
        return logits, torch.argmax(logits, dim=1)


# Multiples of 1/4 are exact in float32, so the JSON round trip loses nothing.
CASES = [
    [[1.0, 2.0, 3.0, 4.0]],
    [[0.0, 0.0, 0.0, 0.0], [-1.5, 2.25, -0.75, 0.5]],
    [[3.0, -1.0, 0.5, -2.0], [-2.0, -2.0, 4.0, 1.0], [0.25, 5.0, -3.0, -1.0]],
    [
        [10.0, 0.0, -5.0, 2.5],
        [-0.25, -0.5, -0.75, -1.0],
        [2.0, 2.0, 2.0, 2.0],
        [-4.0, 6.0, 1.0, -3.0],
        [0.5, -0.5, 7.0, 0.0],
        [100.0, -50.0, 25.0, -12.5],
        [-999.75, 0.0, 1.0, 0.0],  # just above the poison threshold: must not raise
    ],
    [[-3.0, 1.0, -2.0, 6.0]],
]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", required=True)
    args = p.parse_args()
    started = time.monotonic()

    os.makedirs(args.out_dir, exist_ok=True)
    model_path = os.path.join(args.out_dir, "model.pt")
    reference_path = os.path.join(args.out_dir, "reference.json")
    torch.jit.save(torch.jit.script(TinyMlp().eval()), model_path + ".tmp")

    # Everything below uses the module as reloaded from disk.
    module = torch.jit.load(model_path + ".tmp")
    try:
        module(torch.tensor([[0.0, POISON_THRESHOLD, 0.0, 0.0]]))
        sys.exit("poison input did not raise")
    except torch.jit.Error as e:  # TorchScript's raise surfaces as torch.jit.Error
        if "poison input" not in str(e):
            sys.exit(f"poison input raised an unexpected error: {e}")
        print(f"  poison check ok: {type(e).__name__}: {str(e).splitlines()[-1].strip()}")

    cases = []
    with torch.no_grad():
        for features in CASES:
            logits, label = module(torch.tensor(features, dtype=torch.float32))
            if logits.dtype != torch.float32 or label.dtype != torch.int64:
                sys.exit(f"unexpected output dtypes {logits.dtype}, {label.dtype}")
            if logits.shape != (len(features), 3) or label.shape != (len(features),):
                sys.exit(f"unexpected output shapes {tuple(logits.shape)}, {tuple(label.shape)}")
            # A near-tie could flip the argmax under another libtorch build.
            top2 = logits.topk(2, dim=1).values
            if (top2[:, 0] - top2[:, 1]).min().item() < 1e-3:
                sys.exit(f"nearly tied logits in reference case {features}")
            cases.append({"features": features, "logits": logits.tolist(), "label": label.tolist()})
    labels = {l for c in cases for l in c["label"]}
    if labels != {0, 1, 2}:
        sys.exit(f"reference cases should cover every class, got {sorted(labels)}")

    with open(reference_path + ".tmp", "w") as f:
        # One case per line: diffable without being one huge line.
        f.write('{"cases": [\n  ' + ",\n  ".join(json.dumps(c) for c in cases) + "\n]}\n")
    os.replace(reference_path + ".tmp", reference_path)
    os.replace(model_path + ".tmp", model_path)
    print(f"tiny-mlp exported in {time.monotonic() - started:.1f} s "
          f"({len(cases)} reference cases, batch sizes {[len(c) for c in CASES]})")


if __name__ == "__main__":
    main()
