#!/usr/bin/env python3
"""Retrain the three stages of a `transfersim run --export-state` directory with plain numpy.

An independent implementation of MODEL.md §3-§4 and §6 (forward pass, exact gradient, full-batch
gradient descent, freezing and the inherited step scale) that reads only the exported .npy files and
config.resolved.yaml, retrains upstream, transfer and baseline from their exported initial filters,
and compares with the exported final filters.

    python3 scripts/retrain_numpy.py RUN_DIR        # exit status 0 iff every stage matches to 1e-9
"""
import sys
from pathlib import Path

import numpy as np


def read_config(path):
    config = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        config[key.strip()] = value.strip()
    return config


def train(X, y, W, b, kappa, eta, steps, bias, step_scale, frozen, freeze_steps):
    """Full-batch GD on L = mean log(1 + exp(-y f)); W (2, m, d), b (2, m), X (N, 2, d)."""
    W, b = W.copy(), b.copy()
    sign = np.array([1.0, -1.0])[:, None]            # class j of each filter row
    n = X.shape[0]
    for t in range(steps):
        z = np.einsum("jrd,npd->njrp", W, X) + b[None, :, :, None]   # pre-activations
        f = kappa * np.einsum("j,njrp->n", sign[:, 0], np.maximum(z, 0))
        g = -y / (1 + np.exp(y * f)) / n              # ℓ'(y f) y / N
        active = (z > 0).astype(float)
        coeff = kappa * sign[None, :, :] * g[:, None, None]          # (n, 2, 1)
        gW = np.einsum("njrp,npd->jrd", active * coeff[..., None], X)
        gb = np.einsum("njrp->jr", active * coeff[..., None]) if bias else np.zeros_like(b)
        step = eta * np.where(frozen, 0.0 if t < freeze_steps else step_scale, 1.0)
        W -= step[:, :, None] * gW
        b -= step * gb
    return W, b


def main(run_dir):
    run = Path(run_dir)
    config = read_config(run / "config.resolved.yaml")
    load = lambda name: np.load(run / name)
    # Plain gradient descent only: the l2sp pull and the distill soft labels (MODEL.md §11) are not implemented here.
    if config.get("recipe", "finetune") != "finetune" or config.get("target_loss1", "0.0") != "0.0" or config.get("target_loss2", "0.0") != "0.0":
        sys.exit(f"{run_dir}: recipe {config.get('recipe')} / target losses are not retrained by this script (finetune to the step cap only)")
    bias = config["bias"] == "true"
    kappa = float(config["output_scale"])
    m, d = int(config["m"]), int(config["d"])
    worst = 0.0
    stages = [("upstream", "upstream", "1"), ("transfer", "downstream", "2"), ("baseline", "downstream", "2")]
    for stage, data, k in stages:
        if not (run / f"{stage}_W0.npy").exists():
            print(f"{stage}: skipped")
            continue
        frozen = np.zeros((2, m), dtype=bool)
        scale, freeze = 1.0, 0
        if stage == "transfer" and (run / "transfer_inherited_W.npy").exists():
            frozen = load("transfer_inherited_W.npy").all(axis=2)
            scale, freeze = float(config["inherited_lr_scale"]), int(config["freeze_steps"])
        b0 = load(f"{stage}_b0.npy") if bias else np.zeros((2, m))
        W, b = train(load(f"{data}_X.npy"), load(f"{data}_y.npy"), load(f"{stage}_W0.npy"), b0, kappa,
                     float(config[f"eta{k}"]), int(config[f"steps{k}"]), bias, scale, frozen, freeze)
        error = np.abs(W - load(f"{stage}_WT.npy")).max()
        if bias:
            error = max(error, np.abs(b - load(f"{stage}_bT.npy")).max())
        relative = error / max(1.0, np.abs(W).max())
        worst = max(worst, relative)
        print(f"{stage}: max |W_numpy - W_T| = {error:.3e} (relative {relative:.3e})")
    return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
