"""Peer for EVALUATION.md section 6 (risk): `arch`'s filtered-historical-simulation example on the S&P 500 index,
re-estimated at the same monthly points as ours. Usage: risk_peer.py INPUT.csv SPEC.json OUTPUT.json

INPUT.csv: date,ret (^GSPC log return into the date; empty = missing).
SPEC.json: {"refits": [start, ...], "end": index, "alphas": [0.01, 0.025]}

For each re-estimation point `start` (forecasting returns start .. next start - 1), as in arch's documentation
("Value-at-Risk Forecasting", filtered historical simulation): a GJR-GARCH(1,1,1) with constant mean and
Student-t errors (percent returns) is fitted on returns 1..start-1 (`last_obs`), one-step variances come from
`res.forecast(start=..., reindex=False)`, the parametric VaR from `am.distribution.ppf(alpha, nu)` and the FHS VaR
from the quantile of the standardized residuals of the estimation sample; ES from the same tails.
Returns VaR/ES per day (decimal) for both methods and the total fit time.
"""
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from arch import arch_model

warnings.filterwarnings("ignore")


def main():
    inp, spec_path, out_path = sys.argv[1:4]
    df = pd.read_csv(inp)
    spec = json.load(open(spec_path))
    refits, end, alphas = spec["refits"], spec["end"], spec["alphas"]
    r = df["ret"].to_numpy(dtype=float)
    first = 1  # r[0] is missing
    y = pd.Series(r[first:end] * 100.0)
    out = {m: {str(a): {"var": {}, "es": {}} for a in alphas} for m in ("parametric", "fhs")}
    fit_s = 0.0
    sv = None
    for k, start in enumerate(refits):
        stop = refits[k + 1] if k + 1 < len(refits) else end
        am = arch_model(y, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="t", rescale=False)
        t0 = time.perf_counter()
        res = am.fit(disp="off", last_obs=start - first, starting_values=sv)
        fit_s += time.perf_counter() - t0
        sv = res.params.to_numpy()
        # forecasts made at the last estimation observation onwards: row j is the variance of return start + j
        fc = res.forecast(start=start - first - 1, reindex=False)
        var1 = fc.variance.to_numpy()[:, 0]
        mu = res.params["mu"]
        std = (y.iloc[: start - first] - mu) / res.conditional_volatility[: start - first]
        q_par = am.distribution.ppf(alphas, res.params[["nu"]].to_numpy())
        for a, qp in zip(alphas, q_par):
            qf = std.quantile(a)
            tail_f = std[std <= qf].mean()
            # parametric ES: the standardized t's tail mean by numerical integration over the quantile function
            grid = (np.arange(2000) + 0.5) / 2000 * a
            tail_p = float(np.mean(am.distribution.ppf(grid, res.params[["nu"]].to_numpy())))
            for t in range(start, stop):
                j = t - start
                if j < 0 or j >= len(var1):
                    continue
                sd = np.sqrt(var1[j])
                out["parametric"][str(a)]["var"][t] = -(mu + sd * qp) / 100
                out["parametric"][str(a)]["es"][t] = -(mu + sd * tail_p) / 100
                out["fhs"][str(a)]["var"][t] = -(mu + sd * qf) / 100
                out["fhs"][str(a)]["es"][t] = -(mu + sd * tail_f) / 100
    out["fit_s"] = fit_s
    out["versions"] = {"arch": __import__("arch").__version__}
    json.dump(out, open(out_path, "w"))


if __name__ == "__main__":
    main()
