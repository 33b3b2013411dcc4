#!/usr/bin/env python3
"""Independent numpy implementation of docs/model.md §2-§7, for `transfersim bench`.

Vectorised as a careful numpy user writes it: no Python loop over samples or filters, one loop over
gradient-descent steps, one over cells. Its random numbers are numpy's (PCG64), so its results agree with
TransferSim in distribution, not bit for bit. Workloads mirror the bench's:

    python3 bench/reference.py kou  MU_STEPS D_STEPS REPLICATES   # Kou et al.'s grid slice, kou2023-code preset
    python3 bench/reference.py fig2 REPLICATES                    # experiments/fig2-quick.yaml's grid
    python3 bench/reference.py fig2row D                          # one row of experiments/fig2.yaml: every ‖u‖ at d = D

prints one JSON line: {"workload", "trainings", "seconds", "mean_test_error"}.
"""
import json
import sys
import time

import numpy as np


def sample(rng, n, mu, axes_removed, sigma, p, d):
    """§2: labels, flips, noise (projected off the removed coordinate axes, or isotropic)."""
    y_clean = rng.choice([-1.0, 1.0], size=n)
    y = np.where(rng.random(n) < p, -y_clean, y_clean)
    xi = sigma * rng.standard_normal((n, d))
    xi[:, axes_removed] = 0.0
    return y_clean, y, xi


def train(W, b, mu, y_clean, y, xi, kappa, eta, steps, bias, step_scale=None):
    """§3-§4: full-batch gradient descent on the logistic loss, exact gradient; returns W, b."""
    m2 = W.shape[0]
    sign = np.where(np.arange(m2) < m2 // 2, 1.0, -1.0)
    n = len(y)
    scale = np.ones(m2) if step_scale is None else step_scale
    for _ in range(steps):
        s = W @ mu                                     # (2m,)
        zs = y_clean[:, None] * s[None, :] + b         # (N, 2m) signal pre-activations
        zn = xi @ W.T + b                              # (N, 2m) noise pre-activations
        f = kappa * (np.maximum(zs, 0) + np.maximum(zn, 0)) @ sign
        g = -y / (1 + np.exp(np.clip(y * f, -700, 700))) / n
        cs = kappa * sign * g[:, None] * (zs > 0)      # (N, 2m)
        cn = kappa * sign * g[:, None] * (zn > 0)
        grad = cn.T @ xi + np.outer((cs * y_clean[:, None]).sum(0), mu)
        W = W - eta * scale[:, None] * grad
        if bias:
            b = b - eta * scale * (cs.sum(0) + cn.sum(0))
    return W, b


def predict(W, b, mu, y_clean, xi, kappa):
    m2 = W.shape[0]
    sign = np.where(np.arange(m2) < m2 // 2, 1.0, -1.0)
    zs = y_clean[:, None] * (W @ mu)[None, :] + b
    zn = xi @ W.T + b
    return np.where(kappa * (np.maximum(zs, 0) + np.maximum(zn, 0)) @ sign > 0, 1.0, -1.0)


def population_error(W, b, mu, removed, sigma, p, kappa, draws, rng):
    """§7 population estimator: a ~ N(b, σ² W Q Wᵀ) through an eigendecomposition; both labels per draw."""
    Wq = W.copy()
    Wq[:, removed] = 0.0
    cov = sigma ** 2 * Wq @ Wq.T
    vals, vecs = np.linalg.eigh(cov)
    L = vecs * np.sqrt(np.clip(vals, 0, None))
    a = rng.standard_normal((draws, W.shape[0])) @ L.T + b
    m2 = W.shape[0]
    sign = np.where(np.arange(m2) < m2 // 2, 1.0, -1.0)
    s = W @ mu
    noise = kappa * np.maximum(a, 0) @ sign
    plus = kappa * np.maximum(s + b, 0) @ sign + noise
    minus = kappa * np.maximum(-s + b, 0) @ sign + noise
    e = 0.5 * ((plus <= 0).mean() + (minus > 0).mean())
    return p + (1 - 2 * p) * e


def kou(mu_steps, d_steps, replicates):
    rng = np.random.default_rng(0)
    m, n, n_test, kappa, eta, steps, p = 10, 20, 1000, 0.5, 0.1, 100, 0.1
    errors = []
    picks = lambda count: np.rint(np.linspace(0, 99, count)).astype(int)
    for mu_norm in 0.1 * picks(mu_steps):
        for d in 100 + 10 * picks(d_steps):
            mu = np.zeros(d)
            mu[2] = mu_norm
            for _ in range(replicates):
                bound = 1 / np.sqrt(d)
                W = rng.uniform(-bound, bound, (2 * m, d))
                b = rng.uniform(-bound, bound, 2 * m)
                yc, y, xi = sample(rng, n, mu, [], 1.0, p, d)
                W, b = train(W, b, mu, yc, y, xi, kappa, eta, steps, True)
                tc, ty, txi = sample(rng, n_test, mu, [], 1.0, p, d)
                errors.append((predict(W, b, mu, tc, txi, kappa) != ty).mean())
    return len(errors), float(np.mean(errors))


def fig2(replicates, us=(0.0, 0.8, 1.6, 2.4), ds=(100, 400, 700), n1=100, steps1=300, draws=4000):
    rng = np.random.default_rng(0)
    m, n2, p, kappa, sigma0 = 10, 20, 0.1, 0.1, 0.01
    trainings, errors = 0, []
    for u in us:
        for d in ds:
            v1, v2 = 2.0, np.sqrt(2.5 ** 2 - u ** 2)
            mu1, mu2 = np.zeros(d), np.zeros(d)
            mu1[0], mu1[1] = u, v1
            mu2[0], mu2[2] = u, v2
            removed1 = [a for a, v in ((0, u), (1, v1)) if v != 0]
            removed2 = [a for a, v in ((0, u), (2, v2)) if v != 0]
            for _ in range(replicates):
                yc, y, xi = sample(rng, n1, mu1, removed1, 1.0, p, d)
                W_up, _ = train(sigma0 * rng.standard_normal((2 * m, d)), np.zeros(2 * m), mu1, yc, y, xi, kappa, 1.0, steps1, False)
                yc, y, xi = sample(rng, n2, mu2, removed2, 1.0, p, d)
                W_fresh = sigma0 * rng.standard_normal((2 * m, d))
                W_tr, b_tr = train(W_up, np.zeros(2 * m), mu2, yc, y, xi, kappa, 1.0, 50, False)
                W_bl, b_bl = train(W_fresh, np.zeros(2 * m), mu2, yc, y, xi, kappa, 1.0, 50, False)
                for W, b in ((W_tr, b_tr), (W_bl, b_bl)):
                    errors.append(population_error(W, b, mu2, removed2, 1.0, p, kappa, draws, rng))
                trainings += 3
    return trainings, float(np.mean(errors))


if __name__ == "__main__":
    workload = sys.argv[1]
    start = time.perf_counter()
    if workload == "kou":
        trainings, error = kou(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif workload == "fig2row":
        trainings, error = fig2(1, us=[0.2 * k for k in range(13)], ds=[int(sys.argv[2])], n1=300, steps1=1000, draws=10000)
    else:
        trainings, error = fig2(int(sys.argv[2]))
    seconds = time.perf_counter() - start
    print(json.dumps({"workload": workload, "trainings": trainings, "seconds": seconds, "mean_test_error": error}))
