"""Peer for EVALUATION.md section 1: scikit-learn LogisticRegression and LightGBM on the feature matrix
exported by bench/peers_bench.ts. Usage: trend_peer.py DIR

DIR holds meta.json ({"p", "n": {"train", "valid", "test"}, "l2", "gbdt": {...}}), X_<part>.f64 (row-major
float64, NaN = missing) and y_<part>.i8 (0 down, 1 neutral, 2 up) for part in train/valid/test.
Writes DIR/probs_logistic.f64, DIR/probs_lightgbm.f64 (test rows x 3) and DIR/peer.json (wall times).
Preprocessing mirrors ours: logistic on train-standardized features, NaN -> 0 (the train mean), clipped to
+-10; LightGBM on the raw features (NaN handled natively).
"""
import json
import os
import sys
import time

import numpy as np


def load(d, part, p, n):
    X = np.fromfile(os.path.join(d, f"X_{part}.f64"), dtype="<f8").reshape(n, p)
    y = np.fromfile(os.path.join(d, f"y_{part}.i8"), dtype="i1").astype(int)
    return X, y


def main():
    d = sys.argv[1]
    meta = json.load(open(os.path.join(d, "meta.json")))
    p, n = meta["p"], meta["n"]
    Xtr, ytr = load(d, "train", p, n["train"])
    Xva, yva = load(d, "valid", p, n["valid"])
    Xte, _ = load(d, "test", p, n["test"])
    out = {}
    # --- logistic regression (multinomial, L2). Ours minimizes mean CE + l2/2 |W|^2 -> C = 1 / (l2 n)
    from sklearn.linear_model import LogisticRegression
    import sklearn

    t0 = time.perf_counter()
    mu = np.nanmean(Xtr, axis=0)
    sd = np.nanstd(Xtr, axis=0)
    sd[~(sd > 1e-12)] = 1.0
    mu = np.nan_to_num(mu)

    def z(X):
        Z = (X - mu) / sd
        return np.clip(np.nan_to_num(Z, nan=0.0, posinf=0.0, neginf=0.0), -10, 10)

    C = 1.0 / (meta["l2"] * len(ytr))
    lr = LogisticRegression(C=C, max_iter=200, tol=1e-7)
    lr.fit(z(Xtr), ytr)
    out["logistic_fit_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lr.predict_proba(z(Xte)).astype("<f8").tofile(os.path.join(d, "probs_logistic.f64"))
    out["logistic_predict_s"] = time.perf_counter() - t0
    out["logistic_iterations"] = int(np.max(lr.n_iter_))
    # --- LightGBM, parameters matched to our GbdtModel defaults
    import lightgbm as lgb

    g = meta["gbdt"]
    params = {
        "objective": "multiclass",
        "num_class": 3,
        "learning_rate": g["learningRate"],
        "max_depth": g["maxDepth"],
        "num_leaves": 2 ** g["maxDepth"],
        "max_bin": g["maxBins"],
        "min_sum_hessian_in_leaf": g["minChildWeight"],
        "lambda_l2": g["lambda"],
        "min_data_in_leaf": 1,
        "bagging_fraction": min(1.0, g["rowsPerRound"] / len(ytr)),
        "bagging_freq": 1,
        "seed": g["seed"],
        "num_threads": int(meta.get("threads", 2)),
        "verbose": -1,
    }
    t0 = time.perf_counter()
    dtr = lgb.Dataset(Xtr, ytr)
    dva = lgb.Dataset(Xva, yva, reference=dtr)
    bst = lgb.train(
        params,
        dtr,
        num_boost_round=g["maxRounds"],
        valid_sets=[dva],
        callbacks=[lgb.early_stopping(g["patience"], verbose=False)],
    )
    out["lightgbm_fit_s"] = time.perf_counter() - t0
    out["lightgbm_rounds"] = int(bst.best_iteration or bst.current_iteration())
    t0 = time.perf_counter()
    bst.predict(Xte, num_iteration=bst.best_iteration).astype("<f8").tofile(os.path.join(d, "probs_lightgbm.f64"))
    out["lightgbm_predict_s"] = time.perf_counter() - t0
    out["versions"] = {"sklearn": sklearn.__version__, "lightgbm": lgb.__version__, "numpy": np.__version__}
    json.dump(out, open(os.path.join(d, "peer.json"), "w"))


if __name__ == "__main__":
    main()
