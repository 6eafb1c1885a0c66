#!/usr/bin/env python3
"""Reference logits for the FunnelLanguage Llama forward pass (issue 22).

Reads SmolLM2-135M-Instruct (Q4_1 GGUF) from the model cache with its own minimal GGUF reader
and dequantiser (Q4_1, Q8_0, F32), written from ggml's docs/gguf.md, and runs a Llama forward
pass written from the architecture description (Touvron et al. 2023, "LLaMA"): RMSNorm,
rotary position embedding in llama.cpp's normal mode (adjacent pairs (2i, 2i+1) of each head,
θ_i = base^(−2i/head_dim)), grouped-query causal attention, SwiGLU feed-forward, residuals,
final RMSNorm and the output projection tied to the token embedding. numpy only, float64.

For three fixed token-id prompts it writes the last position's top-20 logits, a few
fixed-index logits and the argmax, plus (as a sanity check of the RoPE convention) the
greedy continuation of the ChatML prompt, decoded with the file's vocabulary:

    python3 Scripts/llama_reference.py > Tests/FunnelLanguageTests/Fixtures/llama/first-token-logits.json
"""
import json
import os
import struct
import sys

import numpy as np

CACHE = os.environ.get("FUNNEL_MODEL_CACHE", os.path.expanduser("~/.cache/funnel/models"))
PATH = os.path.join(CACHE, "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")

SCALAR_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
FIXED_IDS = [0, 1, 2, 100, 1000, 10000, 49151]


def read_file(path):
    """(bytes, metadata, {name: (dims, type, absolute offset)}) of a GGUF v2/v3 file."""
    data = memoryview(np.memmap(path, dtype=np.uint8, mode="r"))
    position = 0

    def take(fmt):
        nonlocal position
        (value,) = struct.unpack_from(fmt, data, position)
        position += struct.calcsize(fmt)
        return value

    def text():
        nonlocal position
        length = take("<Q")
        value = bytes(data[position:position + length]).decode("utf-8")
        position += length
        return value

    def value(kind):
        if kind == 8:
            return text()
        if kind == 9:
            element, count = take("<I"), take("<Q")
            return [value(element) for _ in range(count)]
        return take(SCALAR_FORMATS[kind])

    if bytes(data[0:4]) != b"GGUF":
        raise ValueError("not a GGUF file")
    position = 4
    version, tensor_count, kv_count = take("<I"), take("<Q"), take("<Q")
    if version not in (2, 3):
        raise ValueError("GGUF version %d" % version)
    metadata = {}
    for _ in range(kv_count):
        key = text()
        metadata[key] = value(take("<I"))
    infos = []
    for _ in range(tensor_count):
        name = text()
        dims = [take("<Q") for _ in range(take("<I"))]
        infos.append((name, dims, take("<I"), take("<Q")))
    alignment = metadata.get("general.alignment", 32)
    start = -(-position // alignment) * alignment
    return data, metadata, {name: (dims, kind, start + offset) for name, dims, kind, offset in infos}


def half(raw):
    return np.frombuffer(raw.tobytes(), dtype="<f2").astype(np.float64)


def dequantised(data, info):
    """The tensor as float64, shape (rows, ne[0])."""
    dims, kind, offset = info
    count = int(np.prod(dims))
    if kind == 0:
        values = np.frombuffer(data, dtype="<f4", count=count, offset=offset).astype(np.float64)
    elif kind in (3, 8):
        size = 20 if kind == 3 else 34
        blocks = count // 32
        table = np.frombuffer(data, dtype=np.uint8, count=blocks * size, offset=offset).reshape(blocks, size)
        delta = half(table[:, 0:2]).reshape(blocks, 1)
        if kind == 8:  # Q8_0: f16 d, 32 × int8; x = d·q
            values = (table[:, 2:].view(np.int8).astype(np.float64) * delta).reshape(-1)
        else:  # Q4_1: f16 d, f16 m, 16 bytes; element j < 16 low nibble of byte j, j ≥ 16 high nibble of byte j−16
            minimum = half(table[:, 2:4]).reshape(blocks, 1)
            packed = table[:, 4:]
            quants = np.concatenate([packed & 15, packed >> 4], axis=1).astype(np.float64)
            values = (quants * delta + minimum).reshape(-1)
    else:
        raise ValueError("ggml type %d" % kind)
    return values.reshape(-1, dims[0])


class Model:
    def __init__(self, path):
        data, self.metadata, infos = read_file(path)
        meta = self.metadata
        assert meta["general.architecture"] == "llama"
        self.layers = meta["llama.block_count"]
        self.heads = meta["llama.attention.head_count"]
        self.kv_heads = meta["llama.attention.head_count_kv"]
        self.hidden = meta["llama.embedding_length"]
        self.head_dim = self.hidden // self.heads
        self.eps = meta["llama.attention.layer_norm_rms_epsilon"]
        self.base = meta.get("llama.rope.freq_base", 10000.0)
        self.w = {name: dequantised(data, info) for name, info in infos.items()}
        self.vocabulary = meta["tokenizer.ggml.tokens"]

    def norm(self, x, weight):
        return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + self.eps) * weight.reshape(-1)

    def rope(self, x, positions):
        """x: (T, heads, head_dim); rotates pairs (2i, 2i+1) by p·base^(−2i/head_dim)."""
        half_dim = self.head_dim // 2
        frequencies = self.base ** (-2.0 * np.arange(half_dim) / self.head_dim)
        angles = positions[:, None] * frequencies[None, :]
        cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
        even, odd = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = even * cos - odd * sin
        out[..., 1::2] = even * sin + odd * cos
        return out

    def logits(self, tokens):
        """Logits of every position, (T, vocab)."""
        w, T, d = self.w, len(tokens), self.head_dim
        x = w["token_embd.weight"][tokens]
        positions = np.arange(T, dtype=np.float64)
        mask = np.triu(np.full((T, T), -np.inf), k=1)
        group = self.heads // self.kv_heads
        for layer in range(self.layers):
            p = "blk.%d." % layer
            h = self.norm(x, w[p + "attn_norm.weight"])
            q = self.rope((h @ w[p + "attn_q.weight"].T).reshape(T, self.heads, d), positions)
            k = self.rope((h @ w[p + "attn_k.weight"].T).reshape(T, self.kv_heads, d), positions)
            v = (h @ w[p + "attn_v.weight"].T).reshape(T, self.kv_heads, d)
            attended = np.empty((T, self.heads, d))
            for head in range(self.heads):
                kv = head // group
                scores = q[:, head, :] @ k[:, kv, :].T / np.sqrt(d) + mask
                scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
                attended[:, head, :] = (scores / scores.sum(axis=-1, keepdims=True)) @ v[:, kv, :]
            x = x + attended.reshape(T, -1) @ w[p + "attn_output.weight"].T
            h = self.norm(x, w[p + "ffn_norm.weight"])
            gate = h @ w[p + "ffn_gate.weight"].T
            up = h @ w[p + "ffn_up.weight"].T
            x = x + (gate / (1.0 + np.exp(-gate)) * up) @ w[p + "ffn_down.weight"].T
        output = w.get("output.weight", w["token_embd.weight"])
        return self.norm(x, w["output_norm.weight"]) @ output.T

    def token(self, text):
        return self.vocabulary.index(text)

    def pieces(self, text):
        """Greedy longest-match ids of `text` (in the vocabulary's byte-level spelling): enough
        to spell a fixed prompt; not the model's BPE tokenizer."""
        index = {piece: i for i, piece in enumerate(self.vocabulary)}
        ids, start = [], 0
        while start < len(text):
            end = len(text)
            while text[start:end] not in index:
                end -= 1
            ids.append(index[text[start:end]])
            start = end
        return ids

    def decode(self, ids):
        return "".join(self.vocabulary[i] for i in ids).replace("Ġ", " ").replace("Ċ", "\n")


def main():
    model = Model(PATH)
    t = model.token
    chat = [t("<|im_start|>"), t("user"), t("Ċ"), t("What"), t("Ġis"), t("Ġthe"), t("Ġcapital"), t("Ġof"),
            t("ĠFrance"), t("?"), t("<|im_end|>"), t("Ċ"), t("<|im_start|>")] + model.pieces("assistant") + [t("Ċ")]
    prompts = {
        "chat": chat,
        "plain": [t("The"), t("Ġquick"), t("Ġbrown"), t("Ġfox"), t("Ġjumps")],
        "ids": [1, 9690, 198, 2683, 346, 5248, 103, 30, 4000, 12345, 49000, 7],
    }
    fixture = {"model": os.path.basename(PATH), "fixedIds": FIXED_IDS, "prompts": []}
    for name, tokens in prompts.items():
        logits = model.logits(tokens)[-1]
        top = np.argsort(-logits, kind="stable")[:20]
        fixture["prompts"].append({
            "name": name,
            "tokens": tokens,
            "argmax": int(top[0]),
            "topIds": [int(i) for i in top],
            "topLogits": [round(float(logits[i]), 6) for i in top],
            "fixedLogits": [round(float(logits[i]), 6) for i in FIXED_IDS],
            "maxAbsLogit": round(float(np.abs(logits).max()), 6),
        })
    generated = list(chat)
    for _ in range(12):
        generated.append(int(np.argmax(model.logits(generated)[-1])))
    continuation = generated[len(chat):]
    fixture["chatGreedy"] = continuation
    print("greedy continuation of the chat prompt: %r" % model.decode(continuation), file=sys.stderr)
    json.dump(fixture, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
