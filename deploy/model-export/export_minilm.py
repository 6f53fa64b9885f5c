"""Exports all-MiniLM-L6-v2 from the langchain4j ONNX file to a TorchScript model.

The PyTorch engine of DJL cannot run ONNX, so the weights are moved into a
plain-PyTorch BERT encoder and traced. The traced module takes
(input_ids, attention_mask, token_type_ids), all int64 [batch, seq], and returns
the last hidden state, FP32 [batch, seq, 384]. Pooling and normalisation are
left to the caller.

Run with Debian's /usr/bin/python3 (python3-torch, python3-onnx); see
export-models.sh.
"""

import argparse
import math
import os
import shutil
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

import onnx_numpy

HIDDEN = 384
HEADS = 12
LAYERS = 6
INTERMEDIATE = 1536
MAX_POSITIONS = 512
VOCAB = 30522
LN_EPS = 1e-12
TOLERANCE = 1e-4

# Order in which each layer's MatMuls appear in the exported graph.
LINEARS_PER_LAYER = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


class Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, HIDDEN)
        self.position_embeddings = nn.Embedding(MAX_POSITIONS, HIDDEN)
        self.token_type_embeddings = nn.Embedding(2, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.register_buffer(
            "position_ids", torch.arange(MAX_POSITIONS).unsqueeze(0), persistent=False
        )

    def forward(self, input_ids, token_type_ids):
        # Slicing with the traced size keeps the sequence length dynamic; a
        # torch.arange(seq_len) here would be frozen to the example's length.
        position_ids = self.position_ids[:, : input_ids.size(1)]
        x = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(position_ids)
        )
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.head_size = HIDDEN // HEADS
        self.scale = math.sqrt(self.head_size)

    def _heads(self, x):
        # -1 instead of the sizes read from x so no shape gets baked in.
        return x.view(x.size(0), -1, HEADS, self.head_size).transpose(1, 2)

    def forward(self, x, mask_bias):
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / self.scale + mask_bias
        context = torch.matmul(torch.softmax(scores, dim=-1), v)
        return context.transpose(1, 2).reshape(x.size(0), -1, HIDDEN)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = nn.Module()
        self.attention.self = SelfAttention()
        self.attention.output = nn.Module()
        self.attention.output.dense = nn.Linear(HIDDEN, HIDDEN)
        self.attention.output.LayerNorm = nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(HIDDEN, INTERMEDIATE)
        self.output = nn.Module()
        self.output.dense = nn.Linear(INTERMEDIATE, HIDDEN)
        self.output.LayerNorm = nn.LayerNorm(HIDDEN, eps=LN_EPS)

    def forward(self, x, mask_bias):
        a = self.attention
        x = a.output.LayerNorm(x + a.output.dense(a.self(x, mask_bias)))
        h = nn.functional.gelu(self.intermediate.dense(x))  # exact (erf) GELU, as in the graph
        return self.output.LayerNorm(x + self.output.dense(h))


class BertEncoder(nn.Module):
    """BERT with HuggingFace parameter names, so the ONNX names map one to one."""

    def __init__(self):
        super().__init__()
        self.embeddings = Embeddings()
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(Layer() for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask, token_type_ids):
        # Same additive mask as the ONNX graph: 0 for real tokens, float32 min
        # for padding, broadcast over heads and query positions.
        mask = attention_mask[:, None, None, :].to(torch.float32)
        mask_bias = (1.0 - mask) * torch.finfo(torch.float32).min
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.encoder.layer:
            x = layer(x, mask_bias)
        return x


def _consumers(graph):
    users = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    return users


def onnx_state_dict(model):
    """Maps the ONNX initializers to BertEncoder parameter names.

    The MatMul weights are anonymous ("onnx::MatMul_NNN"); each one is
    identified by the named bias its MatMul output is added to, so a graph with
    a different layout fails here instead of producing a silently wrong model.
    """
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    users = _consumers(g)
    state = {
        name: torch.from_numpy(numpy_helper.to_array(t).copy())
        for name, t in inits.items()
        if not name.startswith("onnx::") and name != "embeddings.position_ids"
    }

    # The module regenerates position ids with arange; make sure that is what the graph holds.
    position_ids = numpy_helper.to_array(inits["embeddings.position_ids"])
    if not np.array_equal(position_ids, np.arange(MAX_POSITIONS)[None, :]):
        sys.exit("embeddings.position_ids in the graph is not arange(512)")

    matmuls = [n for n in g.node if n.op_type == "MatMul" and n.input[1] in inits]
    expected = [f"encoder.layer.{i}.{lin}" for i in range(LAYERS) for lin in LINEARS_PER_LAYER]
    if len(matmuls) != len(expected):
        sys.exit(f"expected {len(expected)} weight MatMuls, found {len(matmuls)}")
    for node, prefix in zip(matmuls, expected):
        adds = users.get(node.output[0], [])
        bias = f"{prefix}.bias"
        if len(adds) != 1 or adds[0].op_type != "Add" or bias not in adds[0].input:
            found = [(n.op_type, list(n.input)) for n in adds]
            sys.exit(f"MatMul {node.name} ({node.input[1]}): expected Add with {bias}, got {found}")
        # ONNX computes x @ W with W [in, out]; nn.Linear stores [out, in].
        w = numpy_helper.to_array(inits[node.input[1]]).T.copy()
        state[f"{prefix}.weight"] = torch.from_numpy(w)
    return state


def check_graph_constants(model):
    """Asserts the hyper-parameters hard-coded above match what the graph uses."""
    consts = {}
    for n in model.graph.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    ln_eps = {
        float(consts[i]) for n in model.graph.node
        if n.op_type == "Add" and "/LayerNorm/Add_output_0" in n.output[0]
        for i in n.input if i in consts
    }
    if ln_eps != {float(np.float32(LN_EPS))}:
        sys.exit(f"unexpected LayerNorm epsilon(s) in graph: {ln_eps}")
    softmax_axes = {onnx.helper.get_attribute_value(a) for n in model.graph.node
                    if n.op_type == "Softmax" for a in n.attribute if a.name == "axis"}
    if softmax_axes != {3}:
        sys.exit(f"unexpected Softmax axes: {softmax_axes}")
    if sum(n.op_type == "Erf" for n in model.graph.node) != LAYERS:
        sys.exit("expected one erf-GELU per layer")


def make_inputs(lengths, seq, generator, token_types=False):
    """Random token ids framed by [CLS]/[SEP], right-padded to `seq`."""
    batch = len(lengths)
    ids = torch.zeros(batch, seq, dtype=torch.int64)
    mask = torch.zeros(batch, seq, dtype=torch.int64)
    tt = torch.zeros(batch, seq, dtype=torch.int64)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(1000, VOCAB, (n,), generator=generator)
        ids[row, 0], ids[row, n - 1] = 101, 102
        mask[row, :n] = 1
        if token_types:
            tt[row, n // 2 : n] = 1
    return ids, mask, tt


def max_diff(a, b):
    return (a - b).abs().max().item()


def verify(eager, traced, onnx_model, gen):
    figures = {}

    def record(name, value):
        figures[name] = value
        status = "ok" if value < TOLERANCE else "FAIL"
        print(f"  {name:<48} max|diff| = {value:.3e}  {status}")

    # Traced vs eager on shapes other than the one traced, padding included.
    cases = {
        "[1,5]": ([5], 5),
        "[3,17]": ([17, 9, 3], 17),
        "[4,128]": ([128, 100, 64, 2], 128),
        "[2,512]": ([512, 300], 512),
    }
    for label, (lengths, seq) in cases.items():
        inputs = make_inputs(lengths, seq, gen, token_types=label == "[3,17]")
        out = traced(*inputs)
        if out.shape != (len(lengths), seq, HIDDEN) or out.dtype != torch.float32:
            sys.exit(f"traced output for {label}: {tuple(out.shape)} {out.dtype}")
        record(f"traced vs eager {label}", max_diff(out, eager(*inputs)))

    # Padding must not change the real tokens' states; a batch row must equal
    # the same sequence run alone.
    single = make_inputs([11], 11, gen)
    alone = traced(*single)
    padded = [nn.functional.pad(t, (0, 37)) for t in single]
    record("padded [1,48] vs unpadded [1,11], real tokens", max_diff(traced(*padded)[:, :11], alone))
    others = make_inputs([30, 48], 48, gen)
    batch = [torch.cat([o, p]) for o, p in zip(others, padded)]
    record("row 3 of batch [3,48] vs alone [1,11]", max_diff(traced(*batch)[2:, :11], alone))

    # Against the ONNX graph itself, run by an independent NumPy interpreter.
    for lengths, seq in (([7], 7), ([12, 5], 12)):
        inputs = make_inputs(lengths, seq, gen, token_types=True)
        feeds = dict(zip(("input_ids", "attention_mask", "token_type_ids"), (t.numpy() for t in inputs)))
        ref = onnx_numpy.run(onnx_model, feeds)["last_hidden_state"]
        record(f"traced vs ONNX graph (NumPy) [{len(lengths)},{seq}]",
               max_diff(traced(*inputs), torch.from_numpy(ref)))
    return figures


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--onnx", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--out-dir", required=True)
    args = p.parse_args()

    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(1234)

    onnx_model = onnx.load(args.onnx)
    check_graph_constants(onnx_model)
    eager = BertEncoder().eval()
    missing, unexpected = eager.load_state_dict(onnx_state_dict(onnx_model), strict=False)
    if missing or unexpected:
        sys.exit(f"weight mapping incomplete: missing={missing} unexpected={unexpected}")
    for param in eager.parameters():
        param.requires_grad_(False)

    example = make_inputs([16, 10], 16, gen)
    traced = torch.jit.trace(eager, example)

    os.makedirs(args.out_dir, exist_ok=True)
    model_path = os.path.join(args.out_dir, "model.pt")
    tokenizer_path = os.path.join(args.out_dir, "tokenizer.json")
    tmp_model = model_path + ".tmp"
    torch.jit.save(traced, tmp_model)

    # Verify the file as it will be deployed, not the in-memory trace.
    print("verification (tolerance %.0e):" % TOLERANCE)
    figures = verify(eager, torch.jit.load(tmp_model), onnx_model, gen)
    failed = [name for name, value in figures.items() if not value < TOLERANCE]
    if failed:
        os.remove(tmp_model)
        sys.exit(f"verification failed: {failed}")

    # Publish only verified outputs, so an interrupted run is redone next time.
    shutil.copyfile(args.tokenizer, tokenizer_path + ".tmp")
    os.replace(tokenizer_path + ".tmp", tokenizer_path)
    os.replace(tmp_model, model_path)


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"all-minilm-l6-v2 exported in {time.monotonic() - started:.1f} s")
