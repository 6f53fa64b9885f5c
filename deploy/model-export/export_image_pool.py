"""Exports `image-pool`, a small tensor model with a large FP32 input, for the bridge benchmark and tests.

pixels FP32 [batch, 3, 224, 224] -> features FP32 [batch, 147]: a fixed 32x32 average pooling of each channel
(7x7 cells), flattened. No learned weights, so nothing is random and the output is easy to check: each feature is
the mean of one 32x32 cell of one channel.

Writes model.pt (traced; average pooling has no data-dependent branch).
"""

import argparse
import os
import time

import torch
from torch import nn


class ImagePool(nn.Module):
    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.avg_pool2d(pixels, kernel_size=32).flatten(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", required=True)
    args = p.parse_args()
    started = time.monotonic()
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, "model.pt")
    example = torch.zeros(2, 3, 224, 224)
    torch.jit.save(torch.jit.trace(ImagePool().eval(), example), path + ".tmp")

    module = torch.jit.load(path + ".tmp")
    x = torch.arange(3 * 224 * 224, dtype=torch.float32).reshape(1, 3, 224, 224)
    out = module(x)
    if out.shape != (1, 147):
        raise SystemExit(f"unexpected output shape {tuple(out.shape)}")
    expected = x[0, 0, :32, :32].mean().item()
    if abs(out[0, 0].item() - expected) > 1e-3:
        raise SystemExit(f"first cell is {out[0, 0].item()}, expected {expected}")
    os.replace(path + ".tmp", path)
    print(f"image-pool exported in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
