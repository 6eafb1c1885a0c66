#!/usr/bin/env python3
"""NumPy reference of all-MiniLM-L6-v2's sentence embeddings (issue 22).

Independent of Funnel and of torch/transformers/sentence-transformers: NumPy and the standard
library only. The script

- parses `model.safetensors` itself (8-byte little-endian header length, JSON header, raw
  little-endian data) and `config.json`;
- takes the token ids of the 12 texts committed in
  `Tests/FunnelLanguageTests/Fixtures/tokenizer/minilm-reference.json` (written by
  `Scripts/tokenizer_reference.py` with `transformers.BertTokenizer`), so tokenisation is not
  re-implemented here;
- runs BERT (Devlin et al. 2019) in float64: word + position + token-type-0 embeddings, layer
  norm, 6 post-norm blocks (12-head self-attention with padding keys masked, GELU in its exact
  erf form via `math.erf`), then Sentence-BERT's (Reimers & Gurevych 2019) mean pooling over
  the attention mask and L2 normalisation;
- writes `Tests/FunnelLanguageTests/Fixtures/embedding/minilm-embeddings.json`: each text's
  384-d embedding (7 significant digits), and a batch case — the first three texts padded to
  the longest and encoded together — with the largest difference from their lone embeddings.

Regenerate with (the model cache is `${FUNNEL_MODEL_CACHE:-~/.cache/funnel/models}`):

    python3 Scripts/minilm_reference.py [model-folder]
"""

import json
import math
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENS = os.path.join(ROOT, "Tests/FunnelLanguageTests/Fixtures/tokenizer/minilm-reference.json")
OUTPUT = os.path.join(ROOT, "Tests/FunnelLanguageTests/Fixtures/embedding/minilm-embeddings.json")
BATCH = [0, 1, 2]


def read_safetensors(path):
    """name -> float64 array of every F32 tensor (other dtypes are skipped)."""
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
        data = file.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        begin, end = info["data_offsets"]
        values = np.frombuffer(data[begin:end], dtype="<f4")
        tensors[name] = values.reshape(info["shape"]).astype(np.float64)
    return tensors


erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_norm(x, gain, offset, epsilon):
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gain + offset


def linear(x, weights, name):
    return x @ weights[name + ".weight"].T + weights[name + ".bias"]


def encode(weights, config, sequences):
    """Last-layer states [B, L, H] of id sequences padded to the longest, and the mask [B, L]."""
    batch, longest = len(sequences), max(len(s) for s in sequences)
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    width = hidden // heads
    epsilon = config["layer_norm_eps"]
    ids = np.zeros((batch, longest), dtype=np.int64)
    mask = np.zeros((batch, longest))
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1
    x = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][np.arange(longest)][None]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"], epsilon)
    additive = np.where(mask > 0, 0.0, -np.inf)[:, None, None, :]
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."

        def split(t):
            return t.reshape(batch, longest, heads, width).transpose(0, 2, 1, 3)

        q = split(linear(x, weights, p + "attention.self.query"))
        k = split(linear(x, weights, p + "attention.self.key"))
        v = split(linear(x, weights, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(width) + additive
        scores = scores - scores.max(axis=-1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=-1, keepdims=True)
        context = (probabilities @ v).transpose(0, 2, 1, 3).reshape(batch, longest, hidden)
        attended = linear(context, weights, p + "attention.output.dense") + x
        x = layer_norm(
            attended,
            weights[p + "attention.output.LayerNorm.weight"],
            weights[p + "attention.output.LayerNorm.bias"],
            epsilon,
        )
        widened = gelu(linear(x, weights, p + "intermediate.dense"))
        x = layer_norm(
            linear(widened, weights, p + "output.dense") + x,
            weights[p + "output.LayerNorm.weight"],
            weights[p + "output.LayerNorm.bias"],
            epsilon,
        )
    return x, mask


def embed(weights, config, sequences):
    states, mask = encode(weights, config, sequences)
    pooled = (states * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled / norms


def rounded(vector):
    return [float(f"{value:.7g}") for value in vector]


def main():
    cache = os.environ.get("FUNNEL_MODEL_CACHE") or os.path.expanduser("~/.cache/funnel/models")
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(cache, "all-minilm-l6-v2")
    with open(os.path.join(folder, "config.json")) as file:
        config = json.load(file)
    weights = read_safetensors(os.path.join(folder, "model.safetensors"))
    with open(TOKENS) as file:
        encodings = json.load(file)["encodings"]
    alone = [embed(weights, config, [e["ids"]])[0] for e in encodings]
    together = embed(weights, config, [encodings[i]["ids"] for i in BATCH])
    difference = max(float(np.abs(together[n] - alone[i]).max()) for n, i in enumerate(BATCH))
    result = {
        "source": "Scripts/minilm_reference.py: NumPy float64 forward pass of all-MiniLM-L6-v2 "
        "(exact-erf GELU, mean pooling over the attention mask, L2 normalisation)",
        "dimension": config["hidden_size"],
        "embeddings": [
            {"text": e["text"], "ids": e["ids"], "embedding": rounded(vector)} for e, vector in zip(encodings, alone)
        ],
        "batch": {
            "indices": BATCH,
            "embeddings": [rounded(vector) for vector in together],
            "maximumDifferenceFromAlone": difference,
        },
    }
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w") as file:
        json.dump(result, file, indent=1, ensure_ascii=False)
        file.write("\n")
    print(f"wrote {OUTPUT}: {len(alone)} embeddings; batch differs from alone by {difference:.3g}")


if __name__ == "__main__":
    main()
