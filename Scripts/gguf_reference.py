#!/usr/bin/env python3
"""Reference values for the FunnelLanguage file-reader tests (issue 22).

Reads the real SmolLM2-135M-Instruct GGUF and the all-MiniLM-L6-v2 safetensors from the model
cache (see Scripts/fetch-language-models.sh) with a minimal parser written here from the
format descriptions (ggml docs/gguf.md; the safetensors README), using numpy only, and prints
a JSON fixture: for a few tensors, the type, dims, the first 16 values of a few rows, and the
sum and sum of squares (float64) of the whole dequantised tensor.

    python3 Scripts/gguf_reference.py > Tests/FunnelLanguageTests/Fixtures/language-model-reference.json
"""
import json
import os
import struct
import sys

import numpy as np

CACHE = os.environ.get("FUNNEL_MODEL_CACHE", os.path.expanduser("~/.cache/funnel/models"))
GGUF_PATH = os.path.join(CACHE, "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")
SAFETENSORS_PATH = os.path.join(CACHE, "all-minilm-l6-v2", "model.safetensors")

# GGUF metadata value types: (struct format, size) for the scalars.
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9
TYPE_NAMES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 8: "Q8_0", 30: "BF16"}


class Reader:
    def __init__(self, data):
        self.data, self.offset = data, 0

    def scalar(self, fmt):
        (value,) = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return value

    def string(self):
        length = self.scalar("<Q")
        value = bytes(self.data[self.offset:self.offset + length]).decode("utf-8")
        self.offset += length
        return value

    def value(self, kind):
        if kind in SCALARS:
            return self.scalar(SCALARS[kind])
        if kind == STRING:
            return self.string()
        if kind == ARRAY:
            element, count = self.scalar("<I"), self.scalar("<Q")
            return [self.value(element) for _ in range(count)]
        raise ValueError("unknown metadata type %d" % kind)


def read_gguf(path):
    data = memoryview(np.memmap(path, dtype=np.uint8, mode="r"))
    reader = Reader(data)
    assert bytes(data[:4]) == b"GGUF"
    reader.offset = 4
    version, tensor_count, kv_count = reader.scalar("<I"), reader.scalar("<Q"), reader.scalar("<Q")
    assert version in (2, 3)
    metadata = {}
    for _ in range(kv_count):
        key = reader.string()
        metadata[key] = reader.value(reader.scalar("<I"))
    tensors = []
    for _ in range(tensor_count):
        name = reader.string()
        dims = [reader.scalar("<Q") for _ in range(reader.scalar("<I"))]
        kind, offset = reader.scalar("<I"), reader.scalar("<Q")
        tensors.append((name, dims, kind, offset))
    alignment = metadata.get("general.alignment", 32)
    start = (reader.offset + alignment - 1) // alignment * alignment
    return data, metadata, tensors, start


def f16(raw):
    return np.frombuffer(raw, dtype="<f2").astype(np.float32)


def dequantise(raw, kind, count):
    """The `count` elements stored in `raw`, as float32, in storage order (ne[0] fastest)."""
    if kind == 0:
        return np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
    if kind == 1:
        return f16(raw[:2 * count])
    if kind == 30:
        bits = np.frombuffer(raw, dtype="<u2", count=count).astype(np.uint32) << 16
        return bits.view(np.float32)
    blocks = count // 32
    if kind in (2, 3, 8):
        size = {2: 18, 3: 20, 8: 34}[kind]
        table = np.frombuffer(raw, dtype=np.uint8, count=blocks * size).reshape(blocks, size)
        scale = f16(table[:, 0:2].tobytes()).reshape(blocks, 1)
        if kind == 8:
            quants = table[:, 2:34].view(np.int8).astype(np.float32)
            return (quants * scale).reshape(-1)
        packed = table[:, size - 16:]
        # Elements 0..15 of a block are the low nibbles, 16..31 the high nibbles.
        nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float32)
        if kind == 2:
            return ((nibbles - 8.0) * scale).reshape(-1)
        minimum = f16(table[:, 2:4].tobytes()).reshape(blocks, 1)
        return (nibbles * scale + minimum).reshape(-1)
    raise ValueError("unsupported ggml type %d" % kind)


def byte_size(kind, count):
    return {0: 4 * count, 1: 2 * count, 30: 2 * count, 2: count // 32 * 18, 3: count // 32 * 20, 8: count // 32 * 34}[kind]


def summary(values, row_length, rows):
    matrix = values.reshape(-1, row_length)
    return {
        "rows": {str(row): [float(v) for v in matrix[row, :16]] for row in rows if row < matrix.shape[0]},
        "sum": float(values.astype(np.float64).sum()),
        "sumOfSquares": float((values.astype(np.float64) ** 2).sum()),
    }


def gguf_fixture():
    data, metadata, tensors, start = read_gguf(GGUF_PATH)
    fixture = {}
    wanted = ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight", "blk.0.attn_norm.weight", "output_norm.weight"]
    for name, dims, kind, offset in tensors:
        if name not in wanted:
            continue
        count = int(np.prod(dims))
        raw = data[start + offset:start + offset + byte_size(kind, count)]
        values = dequantise(raw, kind, count)
        row_count = count // dims[0]
        entry = summary(values, dims[0], sorted({0, 1, row_count - 1}))
        entry.update({"type": TYPE_NAMES[kind], "dims": dims})
        fixture[name] = entry
    return {"file": os.path.basename(GGUF_PATH), "tensorCount": len(tensors), "dataStart": start, "tensors": fixture}


def safetensors_fixture():
    with open(SAFETENSORS_PATH, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
        base = 8 + length
        fixture = {}
        for name in ["embeddings.word_embeddings.weight", "embeddings.LayerNorm.weight"]:
            info = header[name]
            begin, end = info["data_offsets"]
            handle.seek(base + begin)
            raw = handle.read(end - begin)
            dtype = {"F32": "<f4", "F16": "<f2"}[info["dtype"]]
            values = np.frombuffer(raw, dtype=dtype).astype(np.float32)
            shape = info["shape"]
            row_length = shape[-1]
            row_count = values.size // row_length
            entry = summary(values, row_length, sorted({0, 1, row_count - 1}))
            entry.update({"dtype": info["dtype"], "shape": shape})
            fixture[name] = entry
    return {"file": os.path.basename(SAFETENSORS_PATH), "tensorCount": len([k for k in header if k != "__metadata__"]), "tensors": fixture}


if __name__ == "__main__":
    json.dump({"gguf": gguf_fixture(), "safetensors": safetensors_fixture()}, sys.stdout, indent=1)
    sys.stdout.write("\n")
