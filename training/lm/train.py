"""lm:train, Python part: fine-tune a pretrained encoder's top layers plus a linear head on the fixed Financial
PhraseBank split, pick the epoch on validation, fit a temperature on validation (calibrated probabilities), and
export the whole model to ONNX (fp32 or fp16-stored, and int8) for the TypeScript runtime.

The bottom layers are frozen, so their outputs are computed once per sentence and cached (in memory); each epoch
then runs only the top `--train-layers` layers. Deterministic: fixed seed, deterministic torch algorithms, fixed
thread count, fixed split (lib/evaluate/testdata/phrasebank_split.json).

With `--members N` it trains N members (seeds seed..seed+N-1) on the same cached bottom and exports one graph:
the bottom once, then each member's top layers and head, the output being the log of the members' mean class
probabilities (temperature fitted on it). Each member's own validation and test accuracy go into meta.json; the
test part is only reported, never used to choose.

Usage: python train.py --cache DIR --stage DIR --encoder mpnet --phrasebank FILE --split FILE [options]
Writes STAGE/<name>/<version>/{model.onnx, model_int8.onnx, tokenizer.json, meta.json, LICENSE}.
"""
import argparse
import copy
import json
import math
import os
import shutil
import time

import numpy as np
import torch

from common import (LABELS, Exported, batch_tensors, encode, encoder_parts, export_onnx, load_encoder, load_tokenizer,
                    log, mean_pool, ort_run, pad_id, quantize_int8, store_fp16, write_json)

NAMES = {"minilm": "finsent-minilm", "mpnet": "finsent-mpnet"}


def read_phrasebank(path):
    out = []
    for line in open(path, encoding="latin-1").read().split("\n"):
        line = line.rstrip("\r")
        if not line:
            continue
        at = line.rfind("@")
        out.append((line[:at].strip(), LABELS.index(line[at + 1:].strip().lower())))
    return out


def scores(y, pred):
    y, pred = np.asarray(y), np.asarray(pred)
    acc = float((y == pred).mean()) if len(y) else float("nan")
    f1s = []
    for c in range(3):
        tp = int(((y == c) & (pred == c)).sum())
        fp = int(((y != c) & (pred == c)).sum())
        fn = int(((y == c) & (pred != c)).sum())
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return {"n": int(len(y)), "accuracy": acc, "macroF1": float(np.mean(f1s)) if f1s else float("nan")}


def fit_temperature(logits, y):
    """Temperature minimizing validation NLL (golden-section search on log T in [-3, 3])."""
    logits, y = torch.tensor(logits, dtype=torch.float64), torch.tensor(y)

    def nll(lt):
        return float(torch.nn.functional.cross_entropy(logits / math.exp(lt), y))

    a, b = -3.0, 3.0
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    for _ in range(80):
        if nll(c) < nll(d):
            b = d
        else:
            a = c
        c, d = b - g * (b - a), a + g * (b - a)
    t = math.exp((a + b) / 2)
    return t, nll(0.0), nll(math.log(t))


class Top(torch.nn.Module):
    def __init__(self, layers, run, hidden, dropout):
        super().__init__()
        self.layers = torch.nn.ModuleList(layers)
        self.run = run
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(hidden, 3)

    def forward(self, h, mask):
        h = self.run(list(self.layers), h, mask)
        return self.head(self.drop(mean_pool(h, mask)))


class EnsembleExported(torch.nn.Module):
    """Embeddings and the frozen bottom once, then each member's top layers and head; the output logits are the
    log of the members' mean class probabilities, the embedding is the first member's (as a single model's)."""

    def __init__(self, model, bottom, tops):
        super().__init__()
        self.model = model
        self.embed, _, self.run = encoder_parts(model)
        self.bottom = torch.nn.ModuleList(bottom)
        self.tops = torch.nn.ModuleList(tops)

    def forward(self, input_ids, attention_mask):
        h = self.run(list(self.bottom), self.embed(input_ids, attention_mask), attention_mask)
        probs, emb = [], None
        for t in self.tops:
            pooled = mean_pool(self.run(list(t.layers), h, attention_mask), attention_mask)
            if emb is None:
                emb = torch.nn.functional.normalize(pooled, p=2, dim=1)
            probs.append(torch.softmax(t.head(pooled), dim=-1))
        return torch.log(torch.stack(probs).mean(0)), emb


def pad_hidden(items, hidden):
    n = max(x.shape[0] for x in items)
    h = torch.zeros((len(items), n, hidden))
    mask = torch.zeros((len(items), n), dtype=torch.long)
    for i, x in enumerate(items):
        h[i, : x.shape[0]] = x
        mask[i, : x.shape[0]] = 1
    return h, mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--stage", required=True)
    ap.add_argument("--encoder", default="mpnet", choices=["mpnet", "minilm"])
    ap.add_argument("--phrasebank", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--version", default="v1")
    ap.add_argument("--train-layers", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--head-lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (reduced run; 0 = all)")
    ap.add_argument("--train-limit", type=int, default=0, help="use only the first N train sentences (reduced)")
    ap.add_argument("--int8", action="store_true", help="also export a dynamically quantized int8 model")
    ap.add_argument("--members", type=int, default=1,
                    help="seed ensemble: N members (seeds seed..seed+N-1) fine-tuned on the shared frozen bottom, "
                         "class probabilities averaged")
    a = ap.parse_args()
    t_start = time.time()
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)

    base = os.path.join(a.cache, "base", a.encoder)
    if not os.path.exists(os.path.join(base, "model.safetensors")):
        raise SystemExit(f"{base}: base encoder missing; run deno task lm:fetch first")
    pb = read_phrasebank(a.phrasebank)
    split = json.load(open(a.split))
    if len(pb) != split["n"]:
        raise SystemExit(f"{a.phrasebank}: {len(pb)} sentences, the split has {split['n']}")
    tr_ids = split["train"][: a.train_limit] if a.train_limit else split["train"]
    parts = {"train": tr_ids, "validation": split["validation"], "test": split["test"]}
    tok = load_tokenizer(base, a.max_len)
    pad = pad_id(base)
    model = load_encoder(base)
    for p in model.parameters():
        p.requires_grad_(False)
    embed, layers, run = encoder_parts(model)
    n_layers = len(layers)
    k = min(a.train_layers, n_layers)
    bottom, top_layers = layers[: n_layers - k], layers[n_layers - k:]
    hidden = model.config.hidden_size

    # --- cache the frozen bottom's output once per sentence (kept on disk: a re-run or resume skips it)
    t0 = time.time()
    need = sorted(set(parts["train"]) | set(parts["validation"]) | set(parts["test"]))
    ids_of = dict(zip(need, encode(tok, [pb[i][0] for i in need])))
    work = os.path.join(a.cache, "work", f"{a.encoder}-top{k}-len{a.max_len}")
    os.makedirs(work, exist_ok=True)
    cache_file = os.path.join(work, "bottom_cache.pt")
    cache = torch.load(cache_file, weights_only=True) if os.path.exists(cache_file) else {}
    todo = [i for i in need if i not in cache]
    order = sorted(todo, key=lambda i: len(ids_of[i]))
    with torch.no_grad():
        for s in range(0, len(order), 64):
            idx = order[s: s + 64]
            ids, mask = batch_tensors([ids_of[i] for i in idx], pad)
            h = run(bottom, embed(ids, mask), mask) if bottom else embed(ids, mask)
            for j, i in enumerate(idx):
                cache[i] = h[j, : len(ids_of[i])].clone()
    if todo:
        torch.save(cache, cache_file + ".tmp")
        os.replace(cache_file + ".tmp", cache_file)
    t_cache = time.time() - t0
    log(f"cached the frozen bottom ({n_layers - k} of {n_layers} layers + embeddings) for {len(need)} sentences "
        f"in {t_cache:.0f} s ({len(need) - len(todo)} read from {cache_file})")

    pretrained_top = copy.deepcopy(top_layers)  # every further member starts from the pretrained top
    steps_per_epoch = math.ceil(len(parts["train"]) / a.batch)
    total = steps_per_epoch * a.epochs
    if a.max_steps:
        total = min(total, a.max_steps)
    warm = max(1, int(0.1 * total))

    def predict(net, ids_list):
        net.eval()
        with torch.no_grad():
            o = sorted(range(len(ids_list)), key=lambda j: cache[ids_list[j]].shape[0])
            res = [None] * len(ids_list)
            for s in range(0, len(o), 64):
                idx = o[s: s + 64]
                h, mask = pad_hidden([cache[ids_list[j]] for j in idx], hidden)
                lg = net(h, mask)
                for r, j in enumerate(idx):
                    res[j] = lg[r].numpy()
            out = np.stack(res)
        return out

    y_va = [pb[i][1] for i in parts["validation"]]
    y_te = [pb[i][1] for i in parts["test"]]

    def batches(perm, gen):
        # length-bucketed: sort each run of 8 batches by length (less padding), then shuffle the batch order
        out = []
        mega = a.batch * 8
        for s in range(0, len(perm), mega):
            chunk = sorted(perm[s: s + mega], key=lambda j: (cache[parts["train"][j]].shape[0], j))
            out += [chunk[b: b + a.batch] for b in range(0, len(chunk), a.batch)]
        order = torch.randperm(len(out), generator=gen).tolist()
        return [out[o] for o in order]

    def train_member(m):
        """Member m (seed + m): the top layers + a new head, epoch chosen on validation; resumable."""
        seed = a.seed + m
        if m == 0:
            net = Top(top_layers, run, hidden, a.dropout)
        else:
            torch.manual_seed(seed)
            net = Top(copy.deepcopy(pretrained_top), run, hidden, a.dropout)
        for p in net.parameters():
            p.requires_grad_(True)
        head_params = list(net.head.parameters())
        body_params = [p for p in net.layers.parameters()]
        opt = torch.optim.AdamW([{"params": body_params, "lr": a.lr}, {"params": head_params, "lr": a.head_lr}],
                                weight_decay=0.01)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
        history, best, step = [], None, 0
        gen = torch.Generator().manual_seed(seed)
        t0 = time.time()
        ckpt_file = os.path.join(work, f"checkpoint-{a.version}{'' if m == 0 else f'-m{m}'}.pt")
        key = {k2: v for k2, v in vars(a).items() if k2 not in ("threads", "members")}
        key["seed"] = seed
        run_key = json.dumps(key, sort_keys=True)
        start_ep = 0
        if os.path.exists(ckpt_file):
            ck = torch.load(ckpt_file, weights_only=False)
            if ck["run"] == run_key:
                net.load_state_dict(ck["net"])
                opt.load_state_dict(ck["opt"])
                sched.load_state_dict(ck["sched"])
                gen.set_state(ck["gen"])
                torch.set_rng_state(ck["rng"])
                history, best, step, start_ep = ck["history"], ck["best"], ck["step"], ck["epoch"]
                log(f"member {m + 1}: resumed after epoch {start_ep} (step {step}) from {ckpt_file}")

        for ep in range(start_ep, a.epochs):
            net.train()
            perm = torch.randperm(len(parts["train"]), generator=gen).tolist()
            loss_sum, nb = 0.0, 0
            for bidx in batches(perm, gen):
                if a.max_steps and step >= a.max_steps:
                    break
                idx = [parts["train"][j] for j in bidx]
                h, mask = pad_hidden([cache[i] for i in idx], hidden)
                y = torch.tensor([pb[i][1] for i in idx])
                loss = torch.nn.functional.cross_entropy(net(h, mask), y)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                sched.step()
                step += 1
                loss_sum += float(loss)
                nb += 1
                if step % 50 == 0:
                    log(f"member {m + 1} epoch {ep + 1} step {step}/{total} loss {loss_sum / nb:.4f} "
                        f"({time.time() - t0:.0f} s)")
            va = scores(y_va, predict(net, parts["validation"]).argmax(1))
            history.append({"epoch": ep + 1, "steps": step, "trainLoss": loss_sum / max(nb, 1), "validation": va,
                            "seconds": time.time() - t0})
            log(f"member {m + 1} epoch {ep + 1}: validation accuracy {va['accuracy']:.4f} macro F1 "
                f"{va['macroF1']:.4f}")
            if best is None or va["accuracy"] > best["validation"]["accuracy"]:
                best = {"epoch": ep + 1, "validation": va, "state": copy.deepcopy(net.state_dict())}
            torch.save({"run": run_key, "net": net.state_dict(), "opt": opt.state_dict(),
                        "sched": sched.state_dict(), "gen": gen.get_state(), "rng": torch.get_rng_state(),
                        "history": history, "best": best, "step": step, "epoch": ep + 1}, ckpt_file + ".tmp")
            os.replace(ckpt_file + ".tmp", ckpt_file)
            if a.max_steps and step >= a.max_steps:
                break
        net.load_state_dict(best["state"])
        return net, {"seed": seed, "chosenEpoch": best["epoch"], "validation": best["validation"], "steps": step,
                     "history": history, "seconds": time.time() - t0}

    t0 = time.time()
    members = [train_member(m) for m in range(a.members)]
    t_train = time.time() - t0
    nets = [n for n, _ in members]
    info = [i for _, i in members]
    history, step = info[0]["history"], info[0]["steps"]

    def combine(lg):
        """One member: its logits; an ensemble: log of the members' mean class probabilities."""
        if len(lg) == 1:
            return lg[0]
        p = np.mean([torch.softmax(torch.tensor(x, dtype=torch.float64), dim=1).numpy() for x in lg], axis=0)
        return np.log(p).astype(np.float32)

    te_members = [predict(n, parts["test"]) for n in nets]  # each member's test logits, computed once
    for lg, i in zip(te_members, info):
        i["test"] = scores(y_te, lg.argmax(1))  # reported, never used to choose
    va_logits = combine([predict(n, parts["validation"]) for n in nets])
    va_ens = scores(y_va, va_logits.argmax(1))
    temp, nll_before, nll_after = fit_temperature(va_logits, y_va)
    te = scores(y_te, combine(te_members).argmax(1))
    log(f"members: " + "; ".join(f"seed {i['seed']} epoch {i['chosenEpoch']} validation "
                                  f"{i['validation']['accuracy']:.4f} test {i['test']['accuracy']:.4f}"
                                  for i in info))
    log(f"chosen epoch {info[0]['chosenEpoch']} (validation accuracy {va_ens['accuracy']:.4f}"
        f"{f' for the {len(nets)}-member ensemble' if len(nets) > 1 else ''}); temperature "
        f"{temp:.3f} (validation NLL {nll_before:.4f} -> {nll_after:.4f}); test accuracy {te['accuracy']:.4f}")

    # --- export the whole model (frozen bottom + trained top + head)
    t0 = time.time()
    name = NAMES[a.encoder]
    out = os.path.join(a.stage, name, a.version)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    if len(nets) == 1:
        for i, layer in enumerate(nets[0].layers):
            layers[n_layers - k + i].load_state_dict(layer.state_dict())
        full = Exported(model, head=nets[0].head)
    else:
        full = EnsembleExported(model, bottom, nets)
    fp32 = os.path.join(out, "fp32.onnx")
    export_onnx(full, fp32, with_logits=True, pad=pad)
    va_ids = encode(tok, [pb[i][0] for i in parts["validation"]])
    variants = {}
    got = ort_run(fp32, va_ids, pad)
    diff = float(np.abs(got["logits"] - va_logits).max())
    if diff > 1e-3:
        raise SystemExit(f"exported ONNX logits differ from torch by {diff}")
    check = {"fp32": scores(y_va, got["logits"].argmax(1))}
    if a.int8:
        quantize_int8(fp32, os.path.join(out, "model_int8.onnx"))
        check["int8"] = scores(y_va, ort_run(os.path.join(out, "model_int8.onnx"), va_ids, pad)["logits"].argmax(1))
        variants["int8"] = "model_int8.onnx"
    if a.encoder == "mpnet":
        store_fp16(fp32, os.path.join(out, "model.onnx"))
        os.unlink(fp32)
        check["fp32"] = scores(y_va, ort_run(os.path.join(out, "model.onnx"), va_ids, pad)["logits"].argmax(1))
        stored = "fp16 (cast to fp32 at load)"
    else:
        os.replace(fp32, os.path.join(out, "model.onnx"))
        stored = "fp32"
    variants["fp32"] = "model.onnx"
    t_export = time.time() - t0
    shutil.copy(os.path.join(base, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    shutil.copy(os.path.join(base, "LICENSE"), os.path.join(out, "LICENSE"))
    base_meta = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.json")))
    spec = base_meta["encoders"][a.encoder]
    meta = {
        "kind": "sentiment",
        "encoder": a.encoder,
        "upstream": spec["upstream"],
        "license": f"{spec['license']} (base encoder weights, see LICENSE); fine-tuned on Financial PhraseBank "
                   "(Malo et al. 2014, CC BY-NC-SA 3.0): for research and internal use, not for commercial use.",
        "labels": LABELS,
        "temperature": temp,
        "maxLength": a.max_len,
        "padId": pad,
        "hidden": hidden,
        "outputs": ["logits", "embedding"],
        "variants": variants,
        "weightsStored": stored,
        "reduced": bool(a.max_steps or a.train_limit),
        "train": {
            "trainLayers": k, "layers": n_layers, "epochs": a.epochs, "chosenEpoch": info[0]["chosenEpoch"], "lr": a.lr,
            "headLr": a.head_lr, "batch": a.batch, "seed": a.seed, "dropout": a.dropout, "steps": step,
            "maxSteps": a.max_steps, "trainSentences": len(parts["train"]), "threads": a.threads,
            "history": history, "temperatureNll": [nll_before, nll_after],
            "members": info if len(info) > 1 else None,
            "validationEnsemble": va_ens if len(info) > 1 else None,
            "seconds": {"cacheBottom": t_cache, "train": t_train, "export": t_export, "total": time.time() - t_start},
            "torch": torch.__version__,
        },
        "validationOnnx": check,
        "testTorch": te,
        "exportMaxAbsDiff": diff,
        "split": os.path.basename(a.split),
    }
    write_json(os.path.join(out, "meta.json"), meta)
    log(f"exported {name}@{a.version} to {out} ({t_export:.0f} s): {json.dumps(check)}")


if __name__ == "__main__":
    main()
