"""Tests of the reader against directories the transfersim CLI writes in this test run."""
import csv
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import transfersim

REPO = Path(__file__).resolve().parents[2]


def binary() -> str:
    """The CLI: $TRANSFERSIM_BIN, else the debug build `make test` made, else the release build."""
    for candidate in [os.environ.get("TRANSFERSIM_BIN"), REPO / ".build/debug/transfersim", REPO / ".build/release/transfersim"]:
        if candidate and Path(candidate).exists():
            return str(candidate)
    pytest.fail("no transfersim binary: run `swift build` first or set TRANSFERSIM_BIN")


SWEEP = """preset: theory
d: 30
m: 3
n1: 12
n2: 8
steps1: 20
steps2: 10
sigma0: 0.2
eta1: 0.5
eta2: 0.5
population_draws: 1000
log_every: 5
grid:
  alpha: [0, 1]
  u_norm: [0.5, 1.5]
zip:
  n2: [8, 12]
  steps2: [10, 15]
replicates: 2
"""


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    (root / "sweep.yaml").write_text(SWEEP)
    subprocess.run([binary(), "sweep", "--config", "sweep.yaml", "--out", "out", "--quiet", "--no-upstream-cache"], cwd=root, check=True,
                   capture_output=True)
    return root / "out"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("run")
    subprocess.run([binary(), "run", "--set", "d=24", "--set", "m=2", "--set", "n1=10", "--set", "n2=6", "--set", "steps1=8",
                    "--set", "steps2=6", "--set", "population_draws=400", "--set", "bias=true", "--export-state", "--out", "r"],
                   cwd=root, check=True, capture_output=True)
    return root / "r"


def test_load_gives_the_rows_columns_and_types_of_the_csv(sweep_dir):
    sweep = transfersim.load(sweep_dir)
    with open(sweep_dir / "results.csv", newline="") as handle:
        raw = list(csv.reader(handle))
    assert list(sweep.results.columns) == raw[0]
    assert len(sweep.results) == len(raw) - 1 == 2 * 2 * 2 * 2
    assert sweep.results["d"].dtype == np.int64 and sweep.results["alpha"].dtype == np.float64
    assert sweep.results["seed"].dtype == np.uint64
    assert isinstance(sweep.results["transfer_status"].dtype, pd.CategoricalDtype)
    assert str(sweep.results["baseline_converged"].dtype) == "boolean" and sweep.results["baseline_converged"].isna().all()
    assert sweep.results["transfer_gain"].dtype == np.float64
    # Numbers equal the CSV's text exactly (shortest round-trip form).
    assert [repr(v) for v in sweep.results["transfer_gain"]] == [row[raw[0].index("transfer_gain")] for row in raw[1:]]
    assert [a["keys"] for a in sweep.axes] == [["alpha"], ["u_norm"], ["n2", "steps2"]]
    assert sweep.axes[2]["zipped"] and sweep.swept_keys == ["alpha", "u_norm", "n2", "steps2"]
    assert len(sweep.summary) == 8 and "transfer_gain_mean" in sweep.summary.columns
    assert "transfer_gain" in sweep.metrics and "message" not in sweep.metrics


def test_load_run_gives_the_exported_arrays_bit_for_bit(run_dir):
    run = transfersim.load_run(run_dir)
    assert run.summary["upstream_status"] == "ok"
    assert run.state["upstream_X"].shape == (10, 2, 24) and run.state["downstream_X"].shape == (6, 2, 24)
    assert run.state["transfer_W0"].shape == (2, 2, 24) and run.state["baseline_bT"].shape == (2, 2)
    for path in run_dir.glob("*.npy"):
        raw = path.read_bytes()
        header = 10 + int.from_bytes(raw[8:10], "little")
        array = run.state[path.stem]
        assert array.dtype == np.float64 and array.tobytes() == raw[header:]
    assert list(run.history["stage"].cat.categories) == ["baseline", "transfer", "upstream"]
    assert {"test_error", "clean_test_error", "gamma_pos_max"} <= set(run.history.columns)


def test_tidy_round_trips(sweep_dir):
    sweep = transfersim.load(sweep_dir)
    long = transfersim.tidy(sweep)
    assert len(long) == len(sweep.results) * len(sweep.metrics)
    wide = long.pivot_table(index=["cell_id", "replicate"], columns="metric", values="value", dropna=False)
    original = sweep.results.set_index(["cell_id", "replicate"])[sweep.metrics].astype(float)
    pd.testing.assert_frame_equal(wide.sort_index()[sweep.metrics], original.sort_index(), check_names=False)
    assert len(transfersim.tidy(sweep, table="summary")) == len(sweep.summary) * sum(
        c.endswith(("_mean", "_se", "_n")) for c in sweep.summary.columns)


def test_plot_helpers_draw(sweep_dir, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = transfersim.load(sweep_dir)
    figure, axes = plt.subplots(1, 2)
    transfersim.plot_heatmap(sweep, x="alpha", y="u_norm", where={"n2": 8}, ax=axes[0])
    transfersim.plot_lines(sweep, x="u_norm", series="alpha", where={"n2": 12}, ax=axes[1])
    figure.savefig(tmp_path / "reader.png")
    assert (tmp_path / "reader.png").stat().st_size > 1000


def test_an_unknown_results_version_is_refused(sweep_dir, tmp_path):
    copy = tmp_path / "future"
    shutil.copytree(sweep_dir, copy)
    (copy / "results_version").write_text("99\n")
    with pytest.raises(ValueError, match="results version 99"):
        transfersim.load(copy)


def test_a_changed_row_fails_its_checksum(sweep_dir, tmp_path):
    """Every row ends in row_crc32 (zlib's CRC-32 of the bytes before it): a one-digit edit is refused, naming the line."""
    sweep = transfersim.load(sweep_dir)
    assert sweep.results["row_crc32"].str.fullmatch("[0-9a-f]{8}").all() and "row_crc32" not in sweep.metrics
    copy = tmp_path / "edited"
    shutil.copytree(sweep_dir, copy)
    lines = (copy / "results.csv").read_text().split("\n")
    lines[3] = lines[3].replace("0.", "1.", 1)
    (copy / "results.csv").write_text("\n".join(lines))
    with pytest.raises(ValueError, match="line 4"):
        transfersim.load(copy)


def test_a_partial_sweep_warns(sweep_dir, tmp_path):
    copy = tmp_path / "partial"
    shutil.copytree(sweep_dir, copy)
    lines = (copy / "results.csv").read_text().splitlines(keepends=True)
    (copy / "results.csv").write_text("".join(lines[:6]))
    (copy / "summary.csv").unlink()
    with pytest.warns(UserWarning, match="partial sweep: 5 of 16 rows"):
        sweep = transfersim.load(copy)
    assert len(sweep.results) == 5 and sweep.summary.empty


def test_a_diff_directory_loads_its_differences(sweep_dir, tmp_path):
    subprocess.run([binary(), "diff", str(sweep_dir), str(sweep_dir), "--out", str(tmp_path / "d")], check=True, capture_output=True)
    diff = transfersim.load(tmp_path / "d")
    assert diff.difference_of == {"A": str(sweep_dir), "B": str(sweep_dir)} and diff.results.empty
    assert (diff.summary["transfer_gain_mean"] == 0).all() and "transfer_gain" in diff.metrics


def test_the_recorded_blas_kernel_is_read_back_as_the_cli_reports_it(sweep_dir, run_dir, tmp_path):
    """Sweep and run directories carry the BLAS identity; a Prescott-kernel sweep reads back as Prescott."""
    kernel = subprocess.run([binary(), "blas", "--kernel"], check=True, capture_output=True, text=True).stdout.strip()
    sweep, run = transfersim.load(sweep_dir), transfersim.load_run(run_dir)
    assert sweep.blas["kernel"] == run.blas["kernel"] == kernel
    assert sweep.blas["library"] == "OpenBLAS" and sweep.blas["version"] and sweep.results_version == max(transfersim.KNOWN_RESULTS_VERSIONS)
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    subprocess.run([binary(), "sweep", "--config", "sweep.yaml", "--out", "prescott", "--quiet", "--no-upstream-cache",
                    "--blas-kernel", "Prescott"], cwd=tmp_path, check=True, capture_output=True)
    assert transfersim.load(tmp_path / "prescott").blas["kernel"] == "Prescott"
    (tmp_path / "prescott" / "blas").write_text("kernel Haswell\n")
    with pytest.raises(ValueError, match="blas"):
        transfersim.load(tmp_path / "prescott")


def test_the_worked_notebook_runs(tmp_path):
    """examples/negative_transfer.ipynb executes from a fresh kernel (so it cannot rot)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(REPO / "examples" / "negative_transfer.ipynb", as_version=4)
    os.environ["TRANSFERSIM_BIN"] = binary()
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO / "examples")}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs)
