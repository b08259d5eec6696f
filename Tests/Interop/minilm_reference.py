"""An independent reference for the assistant's embeddings (Tests/AssistantTests).

Tokens come from HF `tokenizers` (BertWordPieceTokenizer over the model's vocab.txt, lowercase,
truncated to 256 tokens as sentence-transformers does for all-MiniLM-L6-v2); the forward pass is
plain NumPy over the same model.safetensors, read here by parsing its header. None of it shares code
with the Swift implementation.

Usage (texts as a JSON array of strings on standard input; JSON on standard output):
  minilm_reference.py tokenize MODEL_DIR     -> [[ids...], ...]
  minilm_reference.py embed MODEL_DIR        -> [[384 floats], ...]  (one batch, padded + masked)
  minilm_reference.py bench MODEL_DIR        -> {"single_per_second": x, "batch32_per_second": y}
"""
import json
import math
import struct
import sys
import time

import numpy as np
from tokenizers import BertWordPieceTokenizer

MAX_TOKENS = 256


def tokenizer(model_dir):
    tok = BertWordPieceTokenizer(f"{model_dir}/vocab.txt", lowercase=True)
    tok.enable_truncation(max_length=MAX_TOKENS)
    return tok


def load_weights(model_dir):
    with open(f"{model_dir}/model.safetensors", "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    weights = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        begin, end = t["data_offsets"]
        weights[name] = np.frombuffer(raw, dtype="<f4", count=(end - begin) // 4, offset=8 + n + begin).reshape(t["shape"])
    return weights


def layer_norm(x, gamma, beta, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _erf_fast(x):
    """Abramowitz and Stegun 7.1.26 (|error| <= 1.5e-7), vectorised: only for the speed baseline,
    so NumPy is not timed calling math.erf once per element."""
    sign, a = np.sign(x), np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def gelu(x):
    erf = _erf if x.dtype == np.float64 else _erf_fast
    return (0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))).astype(x.dtype)


def forward(w, ids_batch, dtype=np.float64):
    """Padded batch with an attention mask, as transformers runs BERT."""
    longest = max(len(ids) for ids in ids_batch)
    ids = np.zeros((len(ids_batch), longest), dtype=np.int64)
    mask = np.zeros((len(ids_batch), longest), dtype=dtype)
    for i, seq in enumerate(ids_batch):
        ids[i, :len(seq)] = seq
        mask[i, :len(seq)] = 1
    g = lambda name: w[name].astype(dtype, copy=False)  # no copy when the weights are already float32
    x = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[:longest][None] \
        + g("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias"))
    b, t, h, heads = x.shape[0], longest, 384, 12
    additive = ((1.0 - mask)[:, None, None, :] * np.finfo(dtype).min).astype(dtype)
    for layer in range(6):
        p = f"encoder.layer.{layer}."
        lin = lambda v, name: v @ g(p + name + ".weight").T + g(p + name + ".bias")
        split = lambda v: v.reshape(b, t, heads, h // heads).transpose(0, 2, 1, 3)
        q, k, v = split(lin(x, "attention.self.query")), split(lin(x, "attention.self.key")), split(lin(x, "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(h // heads) + additive
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(b, t, h)
        a = layer_norm(lin(context, "attention.output.dense") + x, g(p + "attention.output.LayerNorm.weight"),
                       g(p + "attention.output.LayerNorm.bias"))
        f = gelu(lin(a, "intermediate.dense"))
        x = layer_norm(lin(f, "output.dense") + a, g(p + "output.LayerNorm.weight"), g(p + "output.LayerNorm.bias"))
    pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def main():
    command, model_dir = sys.argv[1], sys.argv[2]
    texts = json.load(sys.stdin) if command != "bench" else None
    tok = tokenizer(model_dir)
    if command == "tokenize":
        json.dump([e.ids for e in tok.encode_batch(texts)], sys.stdout)
    elif command == "embed":
        w = load_weights(model_dir)
        vectors = forward(w, [e.ids for e in tok.encode_batch(texts)])
        json.dump(vectors.tolist(), sys.stdout)
    elif command == "bench":
        # NumPy in float32 (as the Swift encoder) for the speed baseline; float64 is the accuracy reference.
        w = load_weights(model_dir)
        sentence = "The pump at well 3 leaks when the pressure rises above four bar."
        ids = tok.encode(sentence).ids
        forward(w, [ids], np.float32)
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 3:
            forward(w, [tok.encode(sentence).ids], np.float32)
            n += 1
        single = n / (time.perf_counter() - start)
        batch = [f"{sentence} Report number {i}." for i in range(32)]
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 3:
            forward(w, [e.ids for e in tok.encode_batch(batch)], np.float32)
            n += 32
        json.dump({"single_per_second": single, "batch32_per_second": n / (time.perf_counter() - start)}, sys.stdout)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
