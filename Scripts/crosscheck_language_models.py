#!/usr/bin/env python3
"""Cross-checks the committed language-model fixtures against Hugging Face transformers.

The fixtures of Tests/FunnelLanguageTests/Fixtures (llama/first-token-logits.json from
Scripts/llama_reference.py, embedding/minilm-embeddings.json from Scripts/minilm_reference.py)
come from NumPy forward passes written for Funnel; this script recomputes them with an
independent implementation — transformers' LlamaForCausalLM loading the same GGUF (dequantised
by the gguf package) and BertModel on MiniLM's safetensors with mean pooling and L2
normalisation — and prints the largest differences. Not run by CI (it needs torch,
transformers, gguf and accelerate):

    pip install torch transformers gguf accelerate
    python3 Scripts/crosscheck_language_models.py
"""
import json
import os

import numpy as np
import torch
from transformers import AutoModelForCausalLM, BertModel

CACHE = os.environ.get("FUNNEL_MODEL_CACHE", os.path.expanduser("~/.cache/funnel/models"))
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "Tests", "FunnelLanguageTests", "Fixtures")


def llama():
    folder = os.path.join(CACHE, "smollm2-135m-instruct")
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", dtype=torch.float32).eval()
    reference = json.load(open(os.path.join(FIXTURES, "llama", "first-token-logits.json")))
    for prompt in reference["prompts"]:
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([prompt["tokens"]])).logits[0, -1].numpy()
        scale = prompt["maxAbsLogit"]
        top = np.abs(logits[prompt["topIds"]] - np.array(prompt["topLogits"])).max() / scale
        fixed = np.abs(logits[reference["fixedIds"]] - np.array(prompt["fixedLogits"])).max() / scale
        print(f"SmolLM2 {prompt['name']}: argmax {int(logits.argmax())} (fixture {prompt['argmax']}), "
              f"largest relative difference {max(top, fixed):.2e}")


def minilm():
    model = BertModel.from_pretrained(os.path.join(CACHE, "all-minilm-l6-v2")).eval()
    reference = json.load(open(os.path.join(FIXTURES, "embedding", "minilm-embeddings.json")))
    worst = 0.0
    for case in reference["embeddings"]:
        ids = torch.tensor([case["ids"]])
        with torch.no_grad():
            states = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state[0]
        embedding = states.mean(0)
        embedding = embedding / embedding.norm()
        worst = max(worst, float(np.abs(embedding.numpy() - np.array(case["embedding"])).max()))
    print(f"MiniLM: {len(reference['embeddings'])} texts, largest absolute difference {worst:.2e}")


if __name__ == "__main__":
    llama()
    minilm()
