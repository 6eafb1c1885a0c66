"""PyTorch CPU reference: MMoE (multitask.md §0–§1) on planted AliExpress-like CTR/CTCVR data.

Configuration (a stated smaller one than §0's d=128 / experts (512, 256), so one epoch fits a
2-core run; `funnel bench mmoe` builds Funnel's `mmoe` with exactly these numbers):
  §0 input : 16 categorical fields (vocab 10..50,000 log-spaced, one table of sum(vocab) x d,
             per-field offsets, Xavier-uniform gain 0.1) + 16 dense floats -> Linear(16, d) as one
             more field; d = 16 -> e in R^{17*16 = 272}.
  §1 MMoE  : 8 experts MLP(272 -> 256 -> 128), one gate Linear(272, 8) + softmax per task,
             towers MLP(128 -> 64 -> 32 -> 1); every hidden layer Linear -> BatchNorm1d -> ReLU ->
             Dropout(0.2).
  tasks    : ctr on `click`, ctcvr on `conversion` (already click AND conversion, impression space);
             loss = BCE-from-logits(ctr) + BCE-from-logits(ctcvr) (Funnel's objective total: the sum).
  opt      : Adam (fused) lr 1e-3, no weight decay, batch 2048, one epoch, no shuffling (rows are i.i.d.).
Data: 300,000 train + 50,000 held-out rows from a seeded planted logistic model (seed 42), as
      torch_esmm.py: per-id weights, dense weights and factorised field-pair interactions, separate
      CTR and CVR truths; CTCVR = click AND (conversion | click).
Measures (like torch_esmm.py): train samples/s per epoch after a warm-up (median over epochs),
      inference samples/s (batch 2048 and 8192, median of 5 timed passes), peak RSS, held-out AUC
      of CTR and CTCVR after each epoch, the planted truth's AUC; a `RESULT {json}` line last.
Usage: python3 torch_mmoe.py [--threads 2] [--epochs 1] [--opt dense-fused|dense]
       python3 torch_mmoe.py --dump DIR   # DIR/train.csv, DIR/test.csv, DIR/schema.json (a Funnel dataset folder), then exit
"""
import argparse, json, os, resource, statistics, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--rows", type=int, default=300_000)
p.add_argument("--test-rows", type=int, default=50_000)
p.add_argument("--batch", type=int, default=2048)
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--warmup", type=int, default=10, help="warm-up batches before the first timed epoch")
p.add_argument("--opt", choices=["dense", "dense-fused"], default="dense-fused")
p.add_argument("--seed", type=int, default=42, help="the data generator's seed")
p.add_argument("--init-seed", type=int, default=0, help="torch.manual_seed: initialisation and dropout")
p.add_argument("--dump", default=None, help="write DIR/train.csv, DIR/test.csv and DIR/schema.json, then exit")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.init_seed)

# The configuration both sides use (Funnel reads it from the same numbers in MMoEBenchmark.swift).
VOCABS = np.unique(np.geomspace(10, 50_000, 16).astype(np.int64))
NF, NDENSE, D = len(VOCABS), 16, 16
EXPERTS, EXPERT_HIDDEN, TOWER_HIDDEN, DROPOUT = 8, (256, 128), (64, 32), 0.2
OFFSETS = np.concatenate([[0], np.cumsum(VOCABS)[:-1]])
TOTAL_VOCAB = int(VOCABS.sum())
PAIRS = [(8, 10), (9, 12), (11, 13), (12, 15), (14, 15), (10, 15)]


def vmhwm_mib():  # (current RSS, peak RSS) in MiB
    st = dict(l.split(":", 1) for l in open("/proc/self/status"))
    return int(st["VmRSS"].split()[0]) / 1024, int(st["VmHWM"].split()[0]) / 1024


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def generate(n, seed):
    rng = np.random.default_rng(seed)
    truth = np.random.default_rng(seed + 1000)
    ids = np.empty((n, NF), np.int64)
    for f, v in enumerate(VOCABS):
        perm = truth.permutation(v)  # popularity rank -> id
        ids[:, f] = perm[np.minimum((v * rng.random(n) ** 2.5).astype(np.int64), v - 1)]
    dense = rng.standard_normal((n, NDENSE), dtype=np.float32)
    logits = []
    for bias in (-1.6, -0.8):  # CTR, CVR
        z = np.full(n, bias)
        for f, v in enumerate(VOCABS):
            z += truth.normal(0, 0.3, v)[ids[:, f]]
        z += dense @ truth.normal(0, 0.2, NDENSE)
        lat = {f: truth.normal(0, 0.5, (VOCABS[f], 4)) for f in set(sum(PAIRS, ()))}
        for a, b in PAIRS:
            z += 0.5 * np.einsum("ij,ij->i", lat[a][ids[:, a]], lat[b][ids[:, b]])
        logits.append(z)
    p_ctr, p_cvr = sigmoid(logits[0]), sigmoid(logits[1])
    click = rng.random(n) < p_ctr
    conv = click & (rng.random(n) < p_cvr)
    return ids, dense, click.astype(np.float32), conv.astype(np.float32), p_ctr, p_ctr * p_cvr


def dump(directory, ids, dense, click, ctcvr, t_ctr, t_ctcvr):
    """A Funnel dataset folder: canonical CSVs with a header and schema.json (identity vocabularies)."""
    os.makedirs(directory, exist_ok=True)
    names = [f"f{i}" for i in range(NF)] + [f"d{i}" for i in range(NDENSE)] + ["click", "conversion", "true_ctr", "true_ctcvr"]
    for name, sl in (("train", slice(0, args.rows)), ("test", slice(args.rows, args.rows + args.test_rows))):
        with open(os.path.join(directory, name + ".csv"), "w") as f:
            f.write(",".join(names) + "\n")
            i_s, d_s, c_s, v_s, tc_s, tv_s = ids[sl], dense[sl], click[sl], ctcvr[sl], t_ctr[sl], t_ctcvr[sl]
            for r in range(i_s.shape[0]):
                f.write(",".join(map(str, i_s[r].tolist())) + "," + ",".join(f"{v:.6g}" for v in d_s[r].tolist()) +
                        f",{int(c_s[r])},{int(v_s[r])},{tc_s[r]:.6g},{tv_s[r]:.6g}\n")
    col = lambda name, kind, **extra: dict(name=name, kind=kind, role=extra.pop("role", "feature"), empty="error", **extra)
    columns = ([col(f"f{i}", "categorical", vocabulary={"identity": {"size": int(v)}}) for i, v in enumerate(VOCABS)] +
               [col(f"d{i}", "dense") for i in range(NDENSE)] +
               [col("click", "label"), col("conversion", "label"),
                col("true_ctr", "dense", role="truth"), col("true_ctcvr", "dense", role="truth")])
    schema = dict(
        name="mmoe-synthetic", badRows="stop", storage="text", sideTables=[], vocabularySplit="train", columns=columns,
        tables={s: dict(file=s + ".csv", delimiter=",", header=True) for s in ("train", "test")},
        notes=(f"Synthetic AliExpress-like multi-task log written by Benchmarks/torch_mmoe.py --dump (seed {args.seed}; "
               f"generated data, no licence restrictions). {NF} categorical fields f0..f{NF - 1} with per-field 0-based ids "
               f"and identity vocabularies {VOCABS.tolist()}, {NDENSE} dense features d0..d{NDENSE - 1} (standard normal), "
               "labels click and conversion (already click AND conversion: the CTCVR label), and the planted "
               "true_ctr / true_ctcvr probabilities as role truth (oracle only, never model inputs)."))
    with open(os.path.join(directory, "schema.json"), "w") as f:
        json.dump(schema, f, indent=2)
    print(f"wrote {directory}/train.csv ({args.rows} rows), {directory}/test.csv ({args.test_rows} rows) and schema.json; "
          f"vocab sizes {VOCABS.tolist()}")


t0 = time.perf_counter()
ids, dense, click, ctcvr, oracle_ctr, oracle_ctcvr = generate(args.rows + args.test_rows, args.seed)
gen_s = time.perf_counter() - t0
if args.dump:
    dump(args.dump, ids, dense, click, ctcvr, oracle_ctr, oracle_ctcvr)
    raise SystemExit(0)

n = args.rows
ids_t, dense_t = torch.from_numpy(ids + OFFSETS), torch.from_numpy(dense)
click_t, ctcvr_t = torch.from_numpy(click), torch.from_numpy(ctcvr)
tr, te = slice(0, n), slice(n, n + args.test_rows)
rss_data, _ = vmhwm_mib()

try:
    from sklearn.metrics import roc_auc_score as auc
except ImportError:  # numpy AUC (rank-based, ties ignored)
    def auc(y, s):
        o = np.argsort(s); r = np.empty(len(s)); r[o] = np.arange(1, len(s) + 1)
        npos = y.sum(); return (r[y == 1].sum() - npos * (npos + 1) / 2) / (npos * (len(y) - npos))

oracle = (auc(click[te], oracle_ctr[te]), auc(ctcvr[te], oracle_ctcvr[te]))
print(f"# torch {torch.__version__} threads={torch.get_num_threads()} opt={args.opt} batch={args.batch}")
print(f"# data: {n} train + {args.test_rows} test rows, {NF} fields (vocab {VOCABS.min()}..{VOCABS.max()}, total {TOTAL_VOCAB}),"
      f" {NDENSE} dense, CTR={click[tr].mean():.3f} CTCVR={ctcvr[tr].mean():.4f}, generated in {gen_s:.1f}s, RSS after data {rss_data:.0f} MiB")
print(f"# oracle AUC on test: CTR {oracle[0]:.4f}  CTCVR {oracle[1]:.4f}")


def mlp(inputs, hidden, output=False):
    """§0's MLP block: Linear -> BatchNorm1d -> ReLU -> Dropout per hidden width; optional Linear(., 1)."""
    layers = []
    for h in hidden:
        layers += [nn.Linear(inputs, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(DROPOUT)]
        inputs = h
    if output:
        layers.append(nn.Linear(inputs, 1))
    return nn.Sequential(*layers)


class MMoE(nn.Module):
    def __init__(self, tasks=2):
        super().__init__()
        self.embedding = nn.Embedding(TOTAL_VOCAB, D)
        nn.init.xavier_uniform_(self.embedding.weight, gain=0.1)
        self.numerical = nn.Linear(NDENSE, D)
        width = (NF + 1) * D
        self.experts = nn.ModuleList(mlp(width, EXPERT_HIDDEN) for _ in range(EXPERTS))
        self.gates = nn.ModuleList(nn.Linear(width, EXPERTS) for _ in range(tasks))
        self.towers = nn.ModuleList(mlp(EXPERT_HIDDEN[-1], TOWER_HIDDEN, output=True) for _ in range(tasks))

    def forward(self, ids, dense):
        e = torch.cat([self.embedding(ids).flatten(1), self.numerical(dense)], 1)
        stacked = torch.stack([expert(e) for expert in self.experts], 1)  # [n, E, w]
        out = []
        for gate, tower in zip(self.gates, self.towers):
            g = torch.softmax(gate(e), 1).unsqueeze(1)  # [n, 1, E]
            out.append(tower(torch.bmm(g, stacked).squeeze(1)).squeeze(1))
        return out  # logits: ctr, ctcvr


model = MMoE()
n_params = sum(p.numel() for p in model.parameters())
opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=(args.opt == "dense-fused"))


def train_step(b0, b1):
    l_ctr, l_ctcvr = model(ids_t[b0:b1], dense_t[b0:b1])
    loss = (F.binary_cross_entropy_with_logits(l_ctr, click_t[b0:b1]) +
            F.binary_cross_entropy_with_logits(l_ctcvr, ctcvr_t[b0:b1]))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def evaluate(bs=8192):
    model.eval()
    pc, pv = [], []
    with torch.inference_mode():
        for b0 in range(te.start, te.stop, bs):
            b1 = min(b0 + bs, te.stop)
            l_ctr, l_ctcvr = model(ids_t[b0:b1], dense_t[b0:b1])
            pc.append(torch.sigmoid(l_ctr).numpy()); pv.append(torch.sigmoid(l_ctcvr).numpy())
    model.train()
    return auc(click[te], np.concatenate(pc)), auc(ctcvr[te], np.concatenate(pv))


B = args.batch
nb = n // B
t0 = time.perf_counter()
for i in range(args.warmup):  # warm-up: extra training steps on the first batches, as torch_esmm.py and Funnel do
    train_step(i * B, (i + 1) * B)
print(f"# warm-up {args.warmup} batches: {time.perf_counter() - t0:.2f}s", flush=True)
epoch_sps, aucs = [], []
for ep in range(args.epochs):
    t0 = time.perf_counter()
    for i in range(nb):
        loss = train_step(i * B, (i + 1) * B)
    dt = time.perf_counter() - t0
    epoch_sps.append(nb * B / dt)
    a = evaluate()
    aucs.append(a)
    print(f"epoch {ep + 1}: {nb} batches in {dt:.2f}s = {nb * B / dt:,.0f} samples/s  loss {loss.item():.4f}  "
          f"test AUC CTR {a[0]:.4f} CTCVR {a[1]:.4f}", flush=True)

infer = {}
model.eval()
for bs in (B, 8192):
    rates = []
    with torch.inference_mode():
        for r in range(6):
            t0 = time.perf_counter()
            for b0 in range(te.start, te.stop, bs):
                b1 = min(b0 + bs, te.stop)
                l_ctr, l_ctcvr = model(ids_t[b0:b1], dense_t[b0:b1])
                torch.sigmoid(l_ctr), torch.sigmoid(l_ctcvr)
            if r > 0:
                rates.append(args.test_rows / (time.perf_counter() - t0))
    infer[bs] = (statistics.median(rates), min(rates), max(rates))
    print(f"inference batch {bs}: samples/s median {infer[bs][0]:,.0f}  min {infer[bs][1]:,.0f}  max {infer[bs][2]:,.0f}")

rss, hwm = vmhwm_mib()
res = dict(torch=torch.__version__, init_seed=args.init_seed, threads=args.threads, opt=args.opt, batch=B, params=n_params,
           rows=n, test_rows=args.test_rows, oracle_auc_ctr=oracle[0], oracle_auc_ctcvr=oracle[1],
           train_sps_median=statistics.median(epoch_sps), train_sps_min=min(epoch_sps), train_sps_max=max(epoch_sps),
           train_sps_epochs=epoch_sps, auc_ctr_epochs=[a[0] for a in aucs], auc_ctcvr_epochs=[a[1] for a in aucs],
           infer_sps={k: v for k, v in infer.items()}, peak_rss_mib=hwm, rss_after_data_mib=rss_data,
           peak_rss_maxrss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(f"# params {n_params:,}; peak RSS {hwm:.0f} MiB (data alone ~{rss_data:.0f} MiB)")
print("RESULT " + json.dumps(res))
