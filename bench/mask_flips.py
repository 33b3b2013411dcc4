#!/usr/bin/env python3
"""How often the ReLU activation pattern of the noise patches changes during upstream training (numpy, §2-§4).

An engine that skips the O(m N²) product P = R G while no pre-activation ⟨w_{j,r}, ξ_i⟩ changes sign would
beat the span engine (docs/derivations.md §7) only if the pattern settles. This counts, for one upstream
training of experiments/fig2.yaml's setting (theory preset, projected noise, σ₀ = 0.01, η = 1, m = 10), the
steps at which some entry of the 2m × N pattern changed and how many entries changed:

    python3 bench/mask_flips.py D N1 [STEPS]      # e.g. 500 300: a fig2 row's upstream model

prints one line per window of steps.
"""
import sys

import numpy as np

from reference import sample


def main(d, n, steps):
    rng = np.random.default_rng(1)
    m, kappa = 10, 0.1
    mu = np.zeros(d)
    mu[0], mu[1] = 1.0, 2.0
    y_clean, y, xi = sample(rng, n, mu, [0, 1], 1.0, 0.1, d)
    W = 0.01 * rng.standard_normal((2 * m, d))
    sign = np.where(np.arange(2 * m) < m, 1.0, -1.0)
    previous, flips = None, []
    for _ in range(steps):
        zs = y_clean[:, None] * (W @ mu)[None, :]
        zn = xi @ W.T
        pattern = zn > 0
        if previous is not None:
            flips.append(int((pattern != previous).sum()))
        previous = pattern
        f = kappa * (np.maximum(zs, 0) + np.maximum(zn, 0)) @ sign
        g = -y / (1 + np.exp(np.clip(y * f, -700, 700))) / n
        cs = kappa * sign * g[:, None] * (zs > 0)
        cn = kappa * sign * g[:, None] * pattern
        W = W - (cn.T @ xi + np.outer((cs * y_clean[:, None]).sum(0), mu))
    flips = np.array(flips)
    edges = [0, 10, 100, 500, len(flips)]
    for a, b in zip(edges, edges[1:]):
        window = flips[a:b]
        print(f"steps {a + 1}-{b}: pattern changed at {(window > 0).sum()} of {len(window)} steps, "
              f"{window.mean():.0f} of {2 * m * n} entries per step")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1000)
