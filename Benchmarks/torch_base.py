"""PyTorch CPU reference: BASE of USD (Funnel's ETAModel, the `funnel demo` configuration) on the
rows Funnel's batcher produced for the simulated homepage world.

Network (Sources/FunnelModels/USD/ETAModel.swift and the FunnelNN layers it builds; d = 16):
  items    : item id table (items + 1) x d and category table (categories + 1) x d, N(0, 0.05), the
             last row of each the padding row (zeros, never updated: padding_idx); an item is
             id embedding (+) category embedding (2d = 32), for the target and every behaviour.
  features : every other categorical feature (one shared table, per-field offsets, N(0, 0.05), d
             each) and the dense features, concatenated (Funnel's FeatureInput).
  long     : SimHash retrieval (ETA, arXiv 2108.04468): signatures sign(x R) > 0 of the current
             embeddings (no gradient) with a fixed R [32, 32] ~ N(0, 1); Hamming distance to the
             target's; padding at distance m + 1; the k = 20 nearest, ties most recent first; then
             multi-head target attention (64 dims, 2 heads, no biases: W_q, W_k, W_v, W_o back to
             32; scores / sqrt(32); padding -1e9; a row without valid keys outputs 0).
  short    : the last S = 10 valid behaviours, oldest first; DIN attention (official code):
             MLP([t, e, t - e, t * e] 128 -> 80 -> 40 -> 1, sigmoid), padding -2^32 + 1, scores
             / sqrt(32), softmax over positions, 0 for a row without behaviours.
  tower    : MLP(features + 3 x 32 -> 200 -> 80 -> 1, ReLU); loss BCE from logits (mean).
  Linear layers as nn.Linear's default (uniform +-1/sqrt(in) for weights and biases), as Funnel's.
Opt  : Adam lr 0.01 (the demo's), batch 1024, one epoch in Funnel's order (no shuffling), after
       --warmup extra steps on the first batches (as Funnel's bench and torch_esmm.py).
  --opt dense        : torch.optim.Adam over all parameters (dense embedding gradients)
  --opt dense-fused  : torch.optim.Adam(fused=True)
  --opt sparse       : nn.Embedding(sparse=True) + SparseAdam for the three tables, Adam for the rest
                       (Funnel's Adam is lazy on row-sparse gradients: this is its closest match)
  --compile          : torch.compile of the forward + loss (backward via AOTAutograd) for training; the
                       last partial batch's shape is compiled during the warm-up too (forward +
                       backward, gradients discarded); inference runs the eager model. Works with
                       torch 2.13 CPU (about 90 s of compilation on 2 cores).
Data : the folder `funnel bench base` writes (BASEReferenceDump.swift): header.json and raw
       little-endian int32 / float32 arrays per split: features [n, F], dense [n, D], item [n],
       sequence [n, L] (right-padded with the padding id = the item vocabulary's size), label [n];
       item_category [items + 1].
Measures (like torch_esmm.py): training samples/s of the epoch, inference samples/s (batch 1024,
       median of 5 timed passes), peak RSS, test AUC; a `RESULT {json}` line last.
Usage: python3 torch_base.py --data DIR [--threads 2] [--opt dense|dense-fused|sparse] [--compile]
"""
import argparse, json, math, os, resource, statistics, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--data", required=True, help="the folder `funnel bench base` wrote (header.json + arrays)")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--warmup", type=int, default=30, help="warm-up batches before the timed epoch")
p.add_argument("--opt", choices=["dense", "dense-fused", "sparse"], default="dense-fused")
p.add_argument("--compile", action="store_true", help="torch.compile the forward + loss (backward via AOTAutograd)")
p.add_argument("--init-seed", type=int, default=0, help="torch.manual_seed: initialisation and R")
p.add_argument("--funnel-init", action="store_true",
               help="start from Funnel's initial weights and R (the dump's initial_*.bin) instead of --init-seed's")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.init_seed)

H = json.load(open(os.path.join(args.data, "header.json")))
L, S, K, D, M = H["longLength"], H["shortLength"], H["retrieved"], H["embeddingDimensions"], H["hashBits"]
ATT, HEADS, DIN_HIDDEN, HIDDEN = H["attentionDimensions"], H["heads"], H["dinHidden"], H["hidden"]
ITEMS, CATEGORIES, PAD = H["itemVocabulary"], H["categoryVocabulary"], H["paddingID"]
FIELD_SIZES, NDENSE = H["fieldSizes"], len(H["dense"])
B, LR = H["batchSize"], H["learningRate"]
W = 2 * D  # an item's width: id (+) category


def vmhwm_mib():  # (current RSS, peak RSS) in MiB
    st = dict(l.split(":", 1) for l in open("/proc/self/status"))
    return int(st["VmRSS"].split()[0]) / 1024, int(st["VmHWM"].split()[0]) / 1024


def load(split):
    n = H["rows"][split]
    read = lambda name, dtype, shape: np.fromfile(os.path.join(args.data, f"{split}_{name}.bin"), dtype=dtype).reshape(shape)
    offsets = np.concatenate([[0], np.cumsum(FIELD_SIZES)[:-1]]).astype(np.int64)
    return dict(
        features=torch.from_numpy(read("features", "<i4", (n, len(FIELD_SIZES))).astype(np.int64) + offsets),
        dense=torch.from_numpy(read("dense", "<f4", (n, NDENSE)).copy()),
        item=torch.from_numpy(read("item", "<i4", (n,)).astype(np.int64)),
        sequence=torch.from_numpy(read("sequence", "<i4", (n, L)).astype(np.int64)),
        label=torch.from_numpy(read("label", "<f4", (n,)).copy()), n=n)


def auc(y, s):  # rank-based, ties given their average rank
    order = np.argsort(s, kind="mergesort")
    _, first, counts = np.unique(s[order], return_index=True, return_counts=True)
    ranks = np.empty(len(s)); ranks[order] = np.repeat(first + (counts + 1) / 2, counts)
    npos = y.sum()
    return (ranks[y == 1].sum() - npos * (npos + 1) / 2) / (npos * (len(y) - npos))


t0 = time.perf_counter()
train, test = load("train"), load("test")
category_of_item = torch.from_numpy(np.fromfile(os.path.join(args.data, "item_category.bin"), dtype="<i4").astype(np.int64))
assert category_of_item.shape[0] == ITEMS + 1 and category_of_item[PAD] == CATEGORIES
rss_data, _ = vmhwm_mib()
print(f"# torch {torch.__version__} threads={torch.get_num_threads()} opt={args.opt} compile={args.compile} batch={B} lr={LR}")
print(f"# data: {train['n']} train + {test['n']} test rows, {len(FIELD_SIZES)} fields {FIELD_SIZES}, {NDENSE} dense, "
      f"{ITEMS} items, {CATEGORIES} categories, L={L}, CTR={train['label'].mean():.3f}, loaded in {time.perf_counter() - t0:.1f}s, "
      f"RSS after data {rss_data:.0f} MiB")


def mlp(inputs, hidden, activation):
    layers = []
    for h in hidden:
        layers += [nn.Linear(inputs, h), activation()]
        inputs = h
    return nn.Sequential(*layers, nn.Linear(inputs, 1))


def table(rows, padding, sparse):
    embedding = nn.Embedding(rows, D, padding_idx=padding, sparse=sparse)
    nn.init.normal_(embedding.weight, std=0.05)
    with torch.no_grad():
        if padding is not None:
            embedding.weight[padding].zero_()
    return embedding


class BASE(nn.Module):
    def __init__(self, sparse):
        super().__init__()
        self.items = table(ITEMS + 1, ITEMS, sparse)
        self.categories = table(CATEGORIES + 1, CATEGORIES, sparse)
        self.fields = table(sum(FIELD_SIZES), None, sparse) if FIELD_SIZES else None
        self.register_buffer("category_of_item", category_of_item)
        self.register_buffer("projection", torch.randn(W, M))  # SimHash R, never trained
        self.query, self.key, self.value = (nn.Linear(W, ATT, bias=False) for _ in range(3))
        self.output = nn.Linear(ATT, W, bias=False)
        self.din = mlp(4 * W, DIN_HIDDEN, nn.Sigmoid)
        self.tower = mlp(len(FIELD_SIZES) * D + NDENSE + 3 * W, HIDDEN, nn.ReLU)

    def embed(self, ids):  # [...] -> [..., 2d]; zeros for the padding id
        return torch.cat([self.items(ids), self.categories(self.category_of_item[ids])], -1)

    def retrieve(self, target, behaviours, valid):  # -> [n, k, 2d], [n, k]
        with torch.no_grad():
            bits_t = (target @ self.projection) > 0                       # [n, m]
            bits_b = (behaviours @ self.projection) > 0                   # [n, L, m]
            distance = (bits_t[:, None, :] != bits_b).sum(-1)             # [n, L] Hamming
            distance = torch.where(valid, distance, torch.full_like(distance, M + 1))
            positions = torch.arange(L, device=target.device)
            order = distance * L + (L - 1 - positions)                    # ties: most recent first
            index = torch.topk(order, min(K, L), dim=1, largest=False, sorted=True).indices
        keys = behaviours.gather(1, index[:, :, None].expand(-1, -1, W))
        return keys, valid.gather(1, index)

    def target_attention(self, target, keys, valid):  # FunnelNN TargetAttention / MultiHeadAttention
        n, k, dh = keys.shape[0], keys.shape[1], ATT // HEADS
        q = self.query(target).view(n, HEADS, dh)
        kk = self.key(keys).view(n, k, HEADS, dh)
        v = self.value(keys).view(n, k, HEADS, dh)
        scores = torch.einsum("nhd,nkhd->nhk", q, kk) / math.sqrt(dh) + ((valid.float() - 1) * 1e9)[:, None, :]
        weights = torch.softmax(scores, -1) * valid.any(1).float()[:, None, None]
        return self.output(torch.einsum("nhk,nkhd->nhd", weights, v).reshape(n, ATT))

    def din_attention(self, target, sequence, mask):  # FunnelNN DINAttention, softmax normalisation
        t = target[:, None, :].expand_as(sequence)
        raw = self.din(torch.cat([t, sequence, t - sequence, t * sequence], -1)).squeeze(-1)  # [n, S]
        masked = torch.where(mask, raw, torch.full_like(raw, -4294967295.0))
        weights = torch.softmax(masked / math.sqrt(W), 1) * mask.any(1).float()[:, None]
        return torch.bmm(weights[:, None, :], sequence).squeeze(1)

    def forward(self, features, dense, item, sequence):
        n = item.shape[0]
        target, behaviours = self.embed(item), self.embed(sequence)
        valid = sequence != PAD
        keys, keys_valid = self.retrieve(target, behaviours, valid)
        long_interest = self.target_attention(target, keys, keys_valid)
        # The last S valid behaviours, oldest first, right-padded (ETAModel.mostRecent).
        count = valid.sum(1)
        start = (count - S).clamp(min=0)
        slots = torch.arange(S, device=item.device)
        short_mask = slots[None, :] < count.clamp(max=S)[:, None]
        short_ids = torch.where(short_mask, sequence.gather(1, (start[:, None] + slots).clamp(max=L - 1)), PAD)
        short_interest = self.din_attention(target, self.embed(short_ids), short_mask)
        parts = ([self.fields(features).reshape(n, -1)] if self.fields is not None else []) + ([dense] if NDENSE else [])
        return self.tower(torch.cat(parts + [target, short_interest, long_interest], 1)).squeeze(1)


def loss_fn(model, features, dense, item, sequence, label):
    return F.binary_cross_entropy_with_logits(model(features, dense, item, sequence), label)


model = BASE(sparse=args.opt == "sparse")


def funnel_name(name):  # this module's parameter -> Funnel's ETAModel path (Module.namedTensors)
    layer = lambda prefix, i, count, kind: f"{prefix}.layers.{i // 2}.{kind}" if i // 2 < count else f"{prefix}.output.{kind}"
    head, _, kind = name.rpartition(".")
    if head in ("items", "categories"): return f"{head}.table"
    if head == "fields": return "features.embedding.tables.0.table"
    if name == "projection": return "retrieval.projection"
    if head in ("query", "key", "value", "output"): return f"longAttention.attention.{head}Projection.weight"
    if head.startswith("din."): return layer("shortDIN.scorer", int(head[4:]), len(DIN_HIDDEN), kind)
    if head.startswith("tower."): return layer("tower", int(head[6:]), len(HIDDEN), kind)
    raise KeyError(name)


initial_logit_difference = None
if args.funnel_init:
    shapes = H["initialTensors"]
    with torch.no_grad():
        for name, tensor in list(model.named_parameters()) + [("projection", model.projection)]:
            source = funnel_name(name)
            assert list(tensor.shape) == shapes[source], (name, source, tensor.shape, shapes[source])
            values = np.fromfile(os.path.join(args.data, f"initial_{source}.bin"), dtype="<f4").reshape(tensor.shape)
            tensor.copy_(torch.from_numpy(values))
    assert len(shapes) == len(list(model.parameters())) + 1, sorted(shapes)
    funnel_logits = torch.from_numpy(np.fromfile(os.path.join(args.data, "initial_test_logits.bin"), dtype="<f4"))
    with torch.inference_mode():
        mine = model(*[t[:len(funnel_logits)] for t in (test["features"], test["dense"], test["item"], test["sequence"])])
    initial_logit_difference = (mine - funnel_logits).abs().max().item()
    print(f"# Funnel's initial weights; untrained logits of the first {len(funnel_logits)} test rows: max |torch - Funnel| "
          f"{initial_logit_difference:.2e} (logits {funnel_logits.min():.3f}..{funnel_logits.max():.3f})", flush=True)
n_params = sum(p.numel() for p in model.parameters())
if args.opt == "sparse":
    tables = [model.items.weight, model.categories.weight] + ([model.fields.weight] if model.fields is not None else [])
    rest = [p for p in model.parameters() if all(p is not t for t in tables)]
    opts = [torch.optim.SparseAdam(tables, lr=LR), torch.optim.Adam(rest, lr=LR)]
else:
    opts = [torch.optim.Adam(model.parameters(), lr=LR, fused=(args.opt == "dense-fused"))]
step_loss = torch.compile(loss_fn) if args.compile else loss_fn


def rows(data, b0, b1):
    return data["features"][b0:b1], data["dense"][b0:b1], data["item"][b0:b1], data["sequence"][b0:b1]


def train_step(b0, b1):
    loss = step_loss(model, *rows(train, b0, b1), train["label"][b0:b1])
    for o in opts:
        o.zero_grad(set_to_none=True)
    loss.backward()
    for o in opts:
        o.step()
    return loss


def predict(forward, bs=B):
    scores = []
    with torch.inference_mode():
        for b0 in range(0, test["n"], bs):
            scores.append(torch.sigmoid(forward(*rows(test, b0, min(b0 + bs, test["n"])))))
    return torch.cat(scores).numpy()


n = train["n"]
t0 = time.perf_counter()
for i in range(min(args.warmup, math.ceil(n / B))):  # warm-up: extra steps on the first batches, as Funnel's bench
    train_step(i * B, min((i + 1) * B, n))
if args.compile and n % B:  # compile the last partial batch's shape too (forward + backward, no step)
    loss = step_loss(model, *rows(train, n - n % B, n), train["label"][n - n % B:n])
    loss.backward()
    for o in opts:
        o.zero_grad(set_to_none=True)
print(f"# warm-up {args.warmup} batches: {time.perf_counter() - t0:.2f}s (includes torch.compile time if --compile)", flush=True)
epoch_sps, aucs = [], []
labels = test["label"].numpy()
for ep in range(args.epochs):
    t0 = time.perf_counter()
    for b0 in range(0, n, B):  # every batch, the last partial one too (as Funnel's batcher)
        loss = train_step(b0, min(b0 + B, n))
    dt = time.perf_counter() - t0
    epoch_sps.append(n / dt)
    model.eval()
    aucs.append(auc(labels, predict(model)))
    model.train()
    print(f"epoch {ep + 1}: {math.ceil(n / B)} batches in {dt:.2f}s = {n / dt:,.0f} samples/s  loss {loss.item():.4f}  "
          f"test AUC {aucs[-1]:.4f}", flush=True)

model.eval()
rates = []
for r in range(6):
    t0 = time.perf_counter()
    predict(model)
    if r > 0:
        rates.append(test["n"] / (time.perf_counter() - t0))
infer = {B: (statistics.median(rates), min(rates), max(rates))}
print(f"inference batch {B}: samples/s median {infer[B][0]:,.0f}  min {infer[B][1]:,.0f}  max {infer[B][2]:,.0f}")

rss, hwm = vmhwm_mib()
res = dict(torch=torch.__version__, init_seed=args.init_seed, funnel_init=args.funnel_init,
           initial_logit_difference=initial_logit_difference, threads=args.threads, opt=args.opt, compile=args.compile,
           batch=B, params=n_params, rows=n, test_rows=test["n"],
           train_sps_median=statistics.median(epoch_sps), train_sps_min=min(epoch_sps), train_sps_max=max(epoch_sps),
           train_sps_epochs=epoch_sps, auc_epochs=aucs, infer_sps={k: v for k, v in infer.items()}, peak_rss_mib=hwm,
           rss_after_data_mib=rss_data, peak_rss_maxrss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(f"# params {n_params:,}; peak RSS {hwm:.0f} MiB (data alone ~{rss_data:.0f} MiB)")
print("RESULT " + json.dumps(res))
