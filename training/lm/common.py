"""Shared pieces of the offline language-model steps (fetch/export and fine-tune).

The encoders are sentence-transformers models (all-MiniLM-L6-v2 = BERT, all-mpnet-base-v2 = MPNet). The runtime
(TypeScript, onnxruntime-node) gets one ONNX graph per model with inputs `input_ids`, `attention_mask` (int64,
[batch, seq]) and outputs `logits` ([batch, 3], negative/neutral/positive; absent for a base encoder) and
`embedding` ([batch, hidden], mean-pooled over the attention mask, L2-normalized).
"""
import hashlib
import json
import os
import time

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

LABELS = ["negative", "neutral", "positive"]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def load_tokenizer(base_dir, max_len):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(base_dir, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_len)
    return tok


def pad_id(base_dir):
    cfg = json.load(open(os.path.join(base_dir, "config.json")))
    return int(cfg.get("pad_token_id", 0))


def encode(tok, texts):
    return [e.ids for e in tok.encode_batch(list(texts))]


def batch_tensors(id_lists, pad):
    n = max(len(x) for x in id_lists)
    ids = torch.full((len(id_lists), n), pad, dtype=torch.long)
    mask = torch.zeros((len(id_lists), n), dtype=torch.long)
    for i, x in enumerate(id_lists):
        ids[i, : len(x)] = torch.tensor(x, dtype=torch.long)
        mask[i, : len(x)] = 1
    return ids, mask


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def load_encoder(base_dir):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(base_dir, attn_implementation="eager", add_pooling_layer=False)
    model.eval()
    return model


def encoder_parts(model):
    """(embed(ids, mask) -> hidden, layers, run_layers(layers, hidden, mask) -> hidden) for BERT and MPNet."""
    kind = model.config.model_type

    def ext_mask(mask, dtype):
        return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min

    if kind == "mpnet":
        def embed(ids, mask):
            return model.embeddings(input_ids=ids)

        def run(layers, h, mask):
            em = ext_mask(mask, h.dtype)
            bias = model.encoder.compute_position_bias(h)
            for layer in layers:
                h = layer(h, em, None, bias)[0]
            return h
    elif kind == "bert":
        def embed(ids, mask):
            return model.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))

        def run(layers, h, mask):
            em = ext_mask(mask, h.dtype)
            for layer in layers:
                h = layer(h, attention_mask=em)[0]
            return h
    else:
        raise SystemExit(f"unsupported encoder type {kind}")
    return embed, list(model.encoder.layer), run


class Exported(torch.nn.Module):
    """The whole encoder (+ optional head) as the runtime sees it."""

    def __init__(self, model, head=None):
        super().__init__()
        self.model = model
        self.head = head
        self.embed, self.layers, self.run = encoder_parts(model)
        self.layer_list = torch.nn.ModuleList(self.layers)

    def forward(self, input_ids, attention_mask):
        h = self.run(self.layers, self.embed(input_ids, attention_mask), attention_mask)
        pooled = mean_pool(h, attention_mask)
        emb = torch.nn.functional.normalize(pooled, p=2, dim=1)
        if self.head is None:
            return emb
        return self.head(pooled), emb


def export_onnx(module, path, with_logits, pad):
    module.eval()
    ids = torch.tensor([[0, 100, 200, 2], [0, 300, 2, pad]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.long)
    outputs = ["logits", "embedding"] if with_logits else ["embedding"]
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    for o in outputs:
        dyn[o] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(
            module,
            (ids, mask),
            path,
            input_names=["input_ids", "attention_mask"],
            output_names=outputs,
            dynamic_axes=dyn,
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )


def store_fp16(src, dst, min_elements=1024):
    """Rewrites large fp32 initializers as fp16 plus a Cast back to fp32: half the file, fp32 arithmetic (the
    runtime's constant folding turns each Cast into an fp32 tensor when the session loads)."""
    m = onnx.load(src)
    g = m.graph
    casts = []
    for init in g.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < min_elements:
            continue
        name = init.name
        half = numpy_helper.from_array(arr.astype(np.float16), name + "_fp16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT, name=name + "_cast"))
    for i, node in enumerate(casts):
        g.node.insert(i, node)
    onnx.save(m, dst)


def quantize_int8(src, dst):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, weight_type=QuantType.QInt8)


def ort_run(path, id_lists, pad, batch=64, threads=2):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
    outs = {n: [None] * len(id_lists) for n in names}
    for s in range(0, len(order), batch):
        idx = order[s: s + batch]
        ids, mask = batch_tensors([id_lists[i] for i in idx], pad)
        res = sess.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
        for n, r in zip(names, res):
            for k, i in enumerate(idx):
                outs[n][i] = r[k]
    return {n: np.stack(v) for n, v in outs.items()}
