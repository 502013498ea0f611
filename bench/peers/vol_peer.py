"""Peer for EVALUATION.md section 2: GARCH(1,1) with Python's `arch` and HAR-RV by OLS (numpy), on the inputs
exported by bench/peers_bench.ts. Usage: vol_peer.py INPUT.csv SPEC.json OUTPUT.json

INPUT.csv: date,ret,rv (ret = ^GSPC log return into the date, rv = Oxford-Man rv5; empty = missing).
SPEC.json: {"refits": [t, ...], "horizons": [1, 5, 22], "origins": {"1": [t, ...], ...},
            "refit_of": {"1": [index into refits per origin], ...}}
Re-estimation at each refit index t uses data 0..t only (returns 1..t, HAR targets ending at or before t).
Writes GARCH parameters per refit, forecasts per horizon (close-to-close variance, unscaled) and wall times.
"""
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from arch import arch_model

warnings.filterwarnings("ignore")


def garch_forecast(omega, alpha, beta, last_var, last_ret, h):
    v = omega + alpha * last_ret * last_ret + beta * last_var
    s = v
    for _ in range(2, h + 1):
        v = omega + (alpha + beta) * v
        s += v
    return s / h


def har_design(rv):
    d = pd.Series(rv)
    w = d.rolling(5).mean()
    m = d.rolling(22).mean()
    return np.column_stack([np.ones(len(rv)), d.values, w.values, m.values])


def main():
    inp, spec_path, out_path = sys.argv[1:4]
    df = pd.read_csv(inp)
    ret = df["ret"].to_numpy(dtype=float)
    rv = df["rv"].to_numpy(dtype=float)
    spec = json.load(open(spec_path))
    refits = spec["refits"]
    # --- GARCH(1,1), zero mean, normal QMLE, returns in percent (arch's recommended scaling)
    params = []
    t0 = time.perf_counter()
    for t in refits:
        r = ret[1 : t + 1]
        r = r[np.isfinite(r)] * 100.0
        res = arch_model(r, mean="Zero", vol="GARCH", p=1, q=1, dist="normal", rescale=False).fit(disp="off")
        p = res.params
        params.append({"t": t, "omega": p["omega"] / 1e4, "alpha": p["alpha[1]"], "beta": p["beta[1]"]})
    garch_fit_s = time.perf_counter() - t0
    # conditional variances per refit: v[j] = variance of ret[j] from ret[1..j-1]; started at the window variance
    garch_fc = {}
    filt = []
    for k, t in enumerate(refits):
        p = params[k]
        r = np.nan_to_num(ret, nan=0.0)
        v = np.empty(len(r) + 1)
        finite = ret[1 : t + 1][np.isfinite(ret[1 : t + 1])]
        v[1] = np.mean(finite**2)
        for j in range(1, len(r)):
            v[j + 1] = p["omega"] + p["alpha"] * r[j] ** 2 + p["beta"] * v[j]
        filt.append(v)
    for h in spec["horizons"]:
        origins = spec["origins"][str(h)]
        refit_of = spec["refit_of"][str(h)]
        out = []
        for t, k in zip(origins, refit_of):
            p, v = params[k], filt[k]
            out.append(garch_forecast(p["omega"], p["alpha"], p["beta"], v[t], ret[t], h))
        garch_fc[str(h)] = out
    # --- HAR-RV by OLS (numpy lstsq), pooled over the expanding window
    X = har_design(rv)
    har_fc = {}
    t0 = time.perf_counter()
    har_fit_s = 0.0
    for h in spec["horizons"]:
        y = pd.Series(rv).rolling(h).mean().shift(-h).to_numpy()  # mean rv[t+1..t+h]
        origins = spec["origins"][str(h)]
        refit_of = spec["refit_of"][str(h)]
        betas = []
        for t in refits:
            s = time.perf_counter()
            idx = np.arange(21, t - h + 1)
            A, b = X[idx], y[idx]
            ok = np.isfinite(A).all(axis=1) & np.isfinite(b)
            beta, *_ = np.linalg.lstsq(A[ok], b[ok], rcond=None)
            floor = 0.01 * b[ok].mean()
            har_fit_s += time.perf_counter() - s
            betas.append((beta, floor))
        out = []
        for t, k in zip(origins, refit_of):
            beta, floor = betas[k]
            out.append(float(max(floor, X[t] @ beta)) if np.isfinite(X[t]).all() else None)
        har_fc[str(h)] = out
    json.dump(
        {
            "garch": {"fit_s": garch_fit_s, "params": params, "forecasts": garch_fc},
            "har": {"fit_s": har_fit_s, "forecasts": har_fc},
            "versions": {"arch": __import__("arch").__version__, "numpy": np.__version__},
        },
        open(out_path, "w"),
    )


if __name__ == "__main__":
    main()
