"""Peer for the new members of EVALUATION.md section 2 (issue 15): GJR-GARCH(1,1,1)-t and the HAR family with
Python's `arch`, on the inputs exported by bench/peers_bench.ts. Usage:
vol_family_peer.py INPUT.csv SPEC.json OUTPUT.json

INPUT.csv: date,ret,rv,rsneg,rq,iv (ret = ^GSPC log return into the date, rv = rv5, rsneg = rsv, rq = approximate
realized quarticity, iv = VIX^2/252 known at the close of the date; empty = missing).
SPEC.json: {"refits": [t, ...], "har_models": {name: {"log": bool, "terms": [...]}}}

- GJR-GARCH-t, zero mean, returns in percent, at every refit t on returns 1..t, each fit warm-started from the
  previous one (as ours is); parameters, log-likelihood and wall time.
- HAR family at h = 1: at every refit t, the regression of rv[u+1] (or its log) on the terms at u for the rows
  u + 1 <= t. `har-rv` through arch's HARX (lags 1, 5, 22: arch builds the HAR design itself); every other member
  through arch's LS with the design built here in pandas from the raw columns (an independent construction).
  Parameters, Gaussian log-likelihood (sigma2 = SSR / n) and wall time.
"""
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from arch import arch_model
from arch.univariate import HARX, LS

warnings.filterwarnings("ignore")


def design(df, spec):
    rv, rsn = df["rv"], df["rsneg"]
    lvl = (lambda s: np.log(s)) if spec["log"] else (lambda s: s)
    cols = []
    for term in spec["terms"]:
        if term == "d":
            c = lvl(rv)
        elif term == "w":
            c = lvl(rv.rolling(5).mean())
        elif term == "m":
            c = lvl(rv.rolling(22).mean())
        elif term == "rs-":
            c = lvl(rsn)
        elif term == "rs+":
            c = lvl(np.maximum(rv - rsn, 1e-4 * rv))
        elif term == "iv":
            c = lvl(df["iv"])
        elif term == "lev":
            c = np.minimum(df["ret"], 0.0)
        elif term == "dq":
            c = np.log(rv) * np.sqrt(df["rq"]) / rv if spec["log"] else rv * np.sqrt(df["rq"])
        else:
            raise ValueError(term)
        cols.append(pd.Series(np.asarray(c, dtype=float), index=df.index, name=term))
    return pd.concat(cols, axis=1)


def main():
    inp, spec_path, out_path = sys.argv[1:4]
    df = pd.read_csv(inp)
    spec = json.load(open(spec_path))
    refits = spec["refits"]
    ret = df["ret"].to_numpy(dtype=float)
    out = {"versions": {"arch": __import__("arch").__version__, "numpy": np.__version__}}
    # ---- GJR-GARCH-t, zero mean, percent returns, warm-started refits
    gjr = []
    sv = None
    t0 = time.perf_counter()
    for t in refits:
        r = ret[1 : t + 1]
        r = r[np.isfinite(r)] * 100.0
        am = arch_model(r, mean="Zero", vol="GARCH", p=1, o=1, q=1, dist="t", rescale=False)
        res = am.fit(disp="off", starting_values=sv)
        sv = res.params.to_numpy()
        p = res.params
        gjr.append(
            {
                "t": t,
                "omega": p["omega"] / 1e4,
                "alpha": p["alpha[1]"],
                "gamma": p["gamma[1]"],
                "beta": p["beta[1]"],
                "nu": p["nu"],
                # decimal-return log-likelihood
                "loglik": res.loglikelihood + len(r) * np.log(100.0),
            }
        )
    out["gjr"] = {"fit_s": time.perf_counter() - t0, "fits": gjr}
    # one cold fit at the last refit (no warm start) for the single-fit time
    r = ret[1 : refits[-1] + 1]
    r = r[np.isfinite(r)] * 100.0
    t0 = time.perf_counter()
    arch_model(r, mean="Zero", vol="GARCH", p=1, o=1, q=1, dist="t", rescale=False).fit(disp="off")
    out["gjr"]["cold_fit_s"] = time.perf_counter() - t0
    # ---- HAR family, h = 1
    har = {}
    for name, hs in spec["har_models"].items():
        X = design(df, hs)
        y = np.log(df["rv"]) if hs["log"] else df["rv"]
        yy = y.shift(-1)  # target of row u: rv[u + 1]
        fits = []
        t0 = time.perf_counter()
        for t in refits:
            if name == "har-rv":
                # arch builds the HAR design from y itself: y[s] on y[s-1], mean y[s-5..s-1], mean y[s-22..s-1]
                res = HARX(df["rv"].iloc[: t + 1].to_numpy(), lags=[1, 5, 22], rescale=False).fit(disp="off")
                params = res.params.to_numpy()[:-1]
                n = res.nobs
            else:
                rows = np.arange(0, t)  # rows u with u + 1 <= t
                Xr, yr = X.iloc[rows], yy.iloc[rows]
                ok = np.isfinite(Xr).all(axis=1) & np.isfinite(yr)
                res = LS(yr[ok].to_numpy(), Xr[ok].to_numpy(), rescale=False).fit(disp="off")
                params = res.params.to_numpy()[:-1]
                n = int(ok.sum())
            fits.append({"t": t, "beta": params.tolist(), "loglik": res.loglikelihood, "n": n})
        har[name] = {"fit_s": time.perf_counter() - t0, "fits": fits}
    out["har"] = har
    json.dump(out, open(out_path, "w"))


if __name__ == "__main__":
    main()
