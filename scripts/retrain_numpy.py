#!/usr/bin/env python3
"""Retrain every stage of a `transfersim run --export-state` directory with plain numpy.

An independent implementation of docs/model.md §3-§4, §6, §11 and §12 (forward pass, exact gradients, full-batch
gradient descent, freezing and the inherited step scale; the recipes finetune, linear-probe, lp-ft, lora, l2sp
and distill; training to a target loss) that reads only the exported .npy files and config.resolved.yaml,
retrains upstream, transfer, baseline (and a distillation teacher) from their exported initial state, and
compares with the exported final state.

    python3 scripts/retrain_numpy.py RUN_DIR        # exit status 0 iff every stage matches to 1e-8
"""
import sys
from pathlib import Path

import numpy as np

SIGN = np.array([1.0, -1.0])[:, None]               # class j of each filter row, shape (2, 1)


def read_config(path):
    config = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        config[key.strip()] = value.strip()
    return config


def forward(X, W, b, head):
    """Pre-activations z (n, 2, m, 2) and outputs f = Σ_j j Σ_r a_{j,r} Σ_p σ(z); head (2, m)."""
    z = np.einsum("jrd,npd->njrp", W, X) + b[None, :, :, None]
    f = np.einsum("jr,njrp->n", SIGN * head, np.maximum(z, 0))
    return z, f


def loss(f, y):
    return np.mean(np.logaddexp(0, -y * f))


class Stage:
    """One stage's training rule: which parts train, with which steps and extra terms."""

    def __init__(self, eta, steps, target, bias):
        self.eta, self.steps, self.target, self.bias = eta, steps, target, bias
        self.step_scale = None        # (2, m) multipliers of η for filters and biases (λ, freezing)
        self.freeze = None            # (frozen (2, m) bool, T_freeze)
        self.filters = True           # filters and biases train
        self.head_scale = None        # h: the head trains with step h η
        self.anchor = 0.0             # l2sp β_sp (inherited rows, given by `frozen`)
        self.soft = None              # distill: (q, β, τ)
        self.lora = None              # (A (2, r, d), B (2, m, r), s/r)


def train(X, y, W, b, head, stage):
    """Full-batch GD on the stage's objective; returns (W, b, head, lora, steps taken, converged)."""
    W, b, head = W.copy(), b.copy(), head.copy()
    W_start, b_start = W.copy(), b.copy()
    n = X.shape[0]
    lora = None if stage.lora is None else (stage.lora[0].copy(), stage.lora[1].copy(), stage.lora[2])
    base = W.copy()
    t = 0
    while True:
        if lora is not None:
            A, B, factor = lora
            W = base + factor * np.einsum("jmr,jrd->jmd", B, A)
        z, f = forward(X, W, b, head)
        if stage.target > 0 and loss(f, y) <= stage.target:
            return W, b, head, lora, t, True
        if t == stage.steps:
            return W, b, head, lora, t, (False if stage.target > 0 else None)
        g = -y / (1 + np.exp(y * f))                   # ℓ'(y f) y
        if stage.soft is not None:
            q, beta, tau = stage.soft
            s = 1 / (1 + np.exp(-f / tau))
            g = (1 - beta) * g + beta * tau * (s - q)
        g = g / n
        active = (z > 0).astype(float)
        coeff = (SIGN * head)[None, :, :] * g[:, None, None]          # (n, 2, m): j a_{j,r} g_i / N
        gW = np.einsum("njrp,npd->jrd", active * coeff[..., None], X)
        gb = np.einsum("njrp->jr", active * coeff[..., None]) if stage.bias else np.zeros_like(b)
        ga = SIGN * np.einsum("n,njrp->jr", g, np.maximum(z, 0))
        if lora is not None:
            A, B, factor = lora
            dB = factor * np.einsum("jmd,jrd->jmr", gW, A)
            dA = factor * np.einsum("jmr,jmd->jrd", B, gW)
            lora = (A - stage.eta * dA, B - stage.eta * dB, factor)
        elif stage.filters:
            step = stage.eta * np.ones_like(b)
            if stage.step_scale is not None:
                step = stage.eta * stage.step_scale
            if stage.freeze is not None and t < stage.freeze[1]:
                step = np.where(stage.freeze[0], 0.0, step)
            if stage.anchor > 0:
                shrink = np.where(stage.freeze[0], 1 - step * stage.anchor, 1.0)
                W = W_start + shrink[:, :, None] * (W - W_start)
                b = b_start + shrink * (b - b_start)
            W = W - step[:, :, None] * gW
            b = b - step * gb
        if stage.head_scale is not None:
            head = head - stage.head_scale * stage.eta * ga
        t += 1


def main(run_dir):
    run = Path(run_dir)
    config = read_config(run / "config.resolved.yaml")
    load = lambda name: np.load(run / name)
    bias = config["bias"] == "true"
    kappa = float(config["output_scale"])
    m = int(config["m"])
    recipe = config.get("recipe", "finetune")
    worst, failed = 0.0, False

    def stage_rule(k):
        return Stage(float(config[f"eta{k}"]), int(config[f"steps{k}"]), float(config.get(f"target_loss{k}", "0.0")), bias)

    def compare(name, pairs):
        nonlocal worst
        error = max(np.abs(a - b).max() / max(1.0, np.abs(b).max()) for a, b in pairs)
        worst = max(worst, error)
        print(f"{name}: max relative difference to the exported final state = {error:.3e}")

    def finetune_rule(inherited):
        rule = stage_rule("2")
        frozen = inherited if inherited is not None else np.zeros((2, m), dtype=bool)
        rule.step_scale = np.where(frozen, float(config["inherited_lr_scale"]), 1.0)
        rule.freeze = (frozen, int(config["freeze_steps"]))
        return rule

    X2, y2 = load("downstream_X.npy"), load("downstream_y.npy")
    inherited = load("transfer_inherited_W.npy").all(axis=2) if (run / "transfer_inherited_W.npy").exists() else None
    ones = np.full((2, m), kappa)
    for stage in ["upstream", "teacher", "transfer", "baseline"]:
        if not (run / f"{stage}_W0.npy").exists():
            print(f"{stage}: skipped")
            continue
        W0 = load(f"{stage}_W0.npy")
        b0 = load(f"{stage}_b0.npy") if bias else np.zeros((2, m))
        X, y, head = X2, y2, ones
        if stage == "upstream":
            X, y, rule = load("upstream_X.npy"), load("upstream_y.npy"), stage_rule("1")
        elif stage == "baseline":
            rule = stage_rule("2")
        elif stage == "teacher":
            rule = finetune_rule(inherited)
        elif recipe in ("finetune", "l2sp"):
            rule = finetune_rule(inherited)
            if recipe == "l2sp":
                rule.anchor = float(config["l2sp_strength"])
        elif recipe in ("linear-probe", "lp-ft"):
            head = load("transfer_a0.npy")
            probe = stage_rule("2")
            probe.filters, probe.head_scale = False, float(config["head_lr_scale"])
            if recipe == "lp-ft":
                probe.steps = int(config["probe_steps"])
            W, b, head, _, taken, reached = train(X, y, W0, b0, head, probe)
            if recipe == "lp-ft" and not reached:
                rule = finetune_rule(inherited)
                rule.head_scale = float(config["head_lr_scale"])
                W, b, head, _, more, reached = train(X, y, W, b, head, rule)
                taken += more
            compare(f"transfer ({recipe}, {taken} steps)", [(W, load("transfer_WT.npy")), (head, load("transfer_aT.npy"))]
                    + ([(b, load("transfer_bT.npy"))] if bias else []))
            continue
        elif recipe == "lora":
            rule = stage_rule("2")
            rank = int(config["lora_rank"])
            rule.lora = (load("transfer_lora_A0.npy"), load("transfer_lora_B0.npy"), float(config["lora_scale"]) / rank)
        elif recipe == "distill":
            rule = stage_rule("2")
            tau = float(config["distill_temperature"])
            rule.soft = (1 / (1 + np.exp(-load("transfer_teacher_logits.npy") / tau)), float(config["distill_weight"]), tau)
        else:
            sys.exit(f"{run_dir}: unknown recipe {recipe}")
        W, b, head, lora, taken, _ = train(X, y, W0, b0, head, rule)
        pairs = [(W, load(f"{stage}_WT.npy"))] + ([(b, load(f"{stage}_bT.npy"))] if bias else [])
        if lora is not None:
            pairs += [(lora[0], load("transfer_lora_AT.npy")), (lora[1], load("transfer_lora_BT.npy"))]
        compare(f"{stage} ({taken} steps)", pairs)
    if recipe == "distill" and (run / "teacher_WT.npy").exists():
        # The soft labels came from the teacher's final filters: check the exported logits against them.
        _, f = forward(X2, load("teacher_WT.npy"), load("teacher_bT.npy") if bias else np.zeros((2, m)), ones)
        compare("teacher logits", [(f, load("transfer_teacher_logits.npy"))])
    return 0 if worst < 1e-8 and not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
