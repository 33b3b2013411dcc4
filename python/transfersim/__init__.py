"""Read what the ``transfersim`` command-line tool writes, and nothing it computes itself.

- :func:`load` reads a sweep directory: ``results.csv`` and ``summary.csv`` as pandas DataFrames (config keys and
  metrics typed), the grid axes named, the resolved config.
- :func:`load_run` reads a ``transfersim run`` directory: ``summary.json``, ``history.csv`` and the exported
  ``.npy`` state (shapes as in ``docs/outputs.md``).
- :func:`tidy` turns a table into long format: one row per cell × replicate × metric.
- :func:`plot_heatmap` and :func:`plot_lines` redraw the CLI's pictures from a loaded sweep (matplotlib).

Directories of a results version this reader does not know are refused, naming the version. Each loaded directory
carries ``blas``: the BLAS library, version, kernel and build that computed it (the file ``DIR/blas``; empty for
directories written before results version 4), part of a result's identity next to ``results_version``.
"""
from __future__ import annotations

import json
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import pandas as pd
import yaml

__all__ = ["Sweep", "Run", "load", "load_run", "read_blas", "tidy", "plot_heatmap", "plot_lines", "KNOWN_RESULTS_VERSIONS"]

#: Results versions (``DIR/results_version``) whose files this reader understands.
KNOWN_RESULTS_VERSIONS = (2, 3, 4, 5, 6, 7, 8, 9, 10)

#: The kind of every column of ``results.csv`` (``columns.json``, written by ``transfersim keys --columns --json``
#: from the CLI's one column table; a test keeps the two equal): ``choice``, ``config``, ``status``, ``label``, ``metric``, …
_COLUMN_KINDS: Dict[str, str] = dict(json.loads((Path(__file__).parent / "columns.json").read_text())["columns"])


@dataclass
class Sweep:
    """A finished sweep directory."""

    directory: Path
    #: Every (cell, replicate) row of ``results.csv``.
    results: pd.DataFrame
    #: One row per cell: ``x_mean``, ``x_se``, ``x_n`` per metric (empty when the sweep is unfinished).
    summary: pd.DataFrame
    #: The grid axes in canonical order: each a list of keys (a zip axis has several) and its values.
    axes: List[Dict[str, object]]
    #: ``config.resolved.yaml`` as a mapping.
    config: Dict[str, object]
    #: The metric columns of ``results.csv``.
    metrics: List[str] = field(default_factory=list)
    #: ``DIR/blas``: ``library``, ``version``, ``kernel``, ``build`` of the BLAS that computed the rows.
    blas: Dict[str, str] = field(default_factory=dict)
    #: ``DIR/results_version`` (0 for a ``transfersim diff`` directory, which has no rows).
    results_version: int = 1
    #: For a ``transfersim diff`` directory: the sweeps A and B whose difference A − B ``summary`` holds, else None.
    difference_of: Optional[Dict[str, str]] = None

    @property
    def swept_keys(self) -> List[str]:
        """Keys the sweep varies, axis by axis."""
        return [key for axis in self.axes for key in axis["keys"]]


@dataclass
class Run:
    """A ``transfersim run`` directory."""

    directory: Path
    #: ``summary.json``.
    summary: Dict[str, object]
    #: ``history.csv``: one row per logged step of each stage.
    history: pd.DataFrame
    #: ``config.resolved.yaml`` as a mapping.
    config: Dict[str, object]
    #: The exported ``.npy`` arrays by file stem (empty without ``--export-state``).
    state: Dict[str, np.ndarray] = field(default_factory=dict)
    #: ``DIR/blas``: ``library``, ``version``, ``kernel``, ``build`` of the BLAS that computed the run.
    blas: Dict[str, str] = field(default_factory=dict)


def _check_version(directory: Path) -> int:
    path = directory / "results_version"
    version = int(path.read_text().strip()) if path.exists() else 1
    if version not in KNOWN_RESULTS_VERSIONS:
        raise ValueError(
            f"{directory}: results version {version} is not one this reader knows ({', '.join(map(str, KNOWN_RESULTS_VERSIONS))}); "
            "update the transfersim Python package"
        )
    return version


def read_blas(directory) -> Dict[str, str]:
    """``DIR/blas`` as a mapping (``library``, ``version``, ``kernel``, ``build``); empty when the file is absent."""
    path = Path(directory) / "blas"
    if not path.exists():
        return {}
    fields = {}
    for line in path.read_text().splitlines():
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"{path}: line {line!r} is not 'name: value'")
        fields[name.strip()] = value.strip()
    if set(fields) != {"library", "version", "kernel", "build"}:
        raise ValueError(f"{path}: must hold the lines library, version, kernel and build; got {sorted(fields)}")
    return fields


def _check_rows(path: Path) -> None:
    """Raises unless every row of ``results.csv`` ends in its checksum (``row_crc32``: zlib's CRC-32 of the bytes
    before the row's last comma, 8 hexadecimal digits), as TransferSim wrote it from results version 5 on."""
    bad = []
    for number, line in enumerate(path.read_bytes().split(b"\n")[1:], start=2):
        body, comma, crc = line.rpartition(b",")
        if line and (not comma or crc != b"%08x" % zlib.crc32(body)):
            bad.append(number)
    if bad:
        raise ValueError(f"{path}: {len(bad)} row(s) fail their checksum (row_crc32), e.g. line {bad[0]}: the file changed "
                         "after TransferSim wrote it; rerun the sweep's command on the directory to compute them again")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Types the columns by their kind in ``columns.json``: statuses and choice-valued config keys as categories,
    ``<stage>_converged`` (labels) as nullable booleans, ``seed`` as uint64."""
    for column in frame.columns:
        kind = _COLUMN_KINDS.get(column)
        if kind in ("status", "choice"):
            frame[column] = frame[column].astype("category")
        elif kind == "label":
            frame[column] = frame[column].map({"true": True, "false": False, True: True, False: False}).astype("boolean")
        elif column == "seed":
            frame[column] = frame[column].astype("uint64")
    return frame


def load(directory) -> Sweep:
    """Reads the sweep in ``directory`` (``config.resolved.yaml``, ``results.csv``, ``summary.csv``)."""
    directory = Path(directory)
    config_path = directory / "config.resolved.yaml"
    if not config_path.exists():
        raise FileNotFoundError(f"{directory}: holds no sweep (config.resolved.yaml)")
    diff_path = directory / "diff.txt"
    difference_of = None
    if diff_path.exists() and not (directory / "results.csv").exists():
        # A `transfersim diff` directory: summary.csv of differences A − B, no rows and no results version of its own.
        difference_of = {line[:1]: line[3:] for line in diff_path.read_text().splitlines() if line[:3] in ("A: ", "B: ")}
        version = 0
    else:
        version = _check_version(directory)
    config = yaml.safe_load(config_path.read_text()) or {}
    axes: List[Dict[str, object]] = []
    for section in ("grid", "zip"):
        mapping = config.get(section) or {}
        if section == "grid":
            axes += [{"keys": [key], "values": [values], "zipped": False} for key, values in mapping.items()]
        elif mapping:
            keys = list(mapping)
            axes.append({"keys": keys, "values": [mapping[key] for key in keys], "zipped": True})
    summary_path = directory / "summary.csv"
    if difference_of is not None:
        summary = _typed(pd.read_csv(summary_path, dtype={"cell_id": str}))
        metrics = [column[:-5] for column in summary.columns if column.endswith("_mean")]
        return Sweep(directory=directory, results=pd.DataFrame(), summary=summary, axes=axes, config=config, metrics=metrics,
                     blas={}, results_version=0, difference_of=difference_of)
    if version >= 5:
        _check_rows(directory / "results.csv")
    results = _typed(pd.read_csv(directory / "results.csv", dtype={"cell_id": str, "message": str, "row_crc32": str}))
    results["message"] = results["message"].fillna("")
    replicates = int(config.get("replicates", 1))
    expected = replicates * int(np.prod([len(axis["values"][0]) for axis in axes])) if axes else replicates
    if len(results) < expected:
        warnings.warn(f"{directory}: partial sweep: {len(results)} of {expected} rows present (unfinished, or one shard); "
                      "summary is empty until it finishes", stacklevel=2)
    summary = _typed(pd.read_csv(summary_path, dtype={"cell_id": str})) if summary_path.exists() else pd.DataFrame()
    metrics = [column for column in results.columns if _COLUMN_KINDS.get(column) == "metric"]
    return Sweep(directory=directory, results=results, summary=summary, axes=axes, config=config, metrics=metrics,
                 blas=read_blas(directory), results_version=version)


def load_run(directory) -> Run:
    """Reads a ``transfersim run`` directory, with its exported ``.npy`` state if any."""
    directory = Path(directory)
    summary = json.loads((directory / "summary.json").read_text())
    history = pd.read_csv(directory / "history.csv")
    history["stage"] = history["stage"].astype("category")
    config = yaml.safe_load((directory / "config.resolved.yaml").read_text()) or {}
    state = {path.stem: np.load(path) for path in sorted(directory.glob("*.npy"))}
    return Run(directory=directory, summary=summary, history=history, config=config, state=state, blas=read_blas(directory))


def tidy(sweep: Sweep, table: str = "results", metrics: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Long format: one row per cell × replicate × metric (``table="results"``) or per cell × statistic
    (``table="summary"``, metrics as ``x_mean``, ``x_se``, ``x_n``), with the swept keys as identifier columns."""
    frame = sweep.results if table == "results" else sweep.summary
    ids = ["cell_id"] + (["replicate"] if table == "results" else []) + [key for key in sweep.swept_keys if key in frame.columns]
    if metrics is None:
        metrics = sweep.metrics if table == "results" else [c for c in frame.columns if c.endswith(("_mean", "_se", "_n"))]
    return frame.melt(id_vars=ids, value_vars=list(metrics), var_name="metric", value_name="value")


def _slice(sweep: Sweep, where: Optional[Dict[str, object]]) -> pd.DataFrame:
    frame = sweep.summary
    for key, value in (where or {}).items():
        frame = frame[np.isclose(frame[key].astype(float), float(value))]
    return frame


def plot_heatmap(sweep: Sweep, metric: str = "transfer_gain", x: Optional[str] = None, y: Optional[str] = None,
                 where: Optional[Dict[str, object]] = None, ax=None):
    """The mean of ``metric`` over two axes (the first two by default), other axes fixed by ``where``; a diverging
    colour map symmetric about 0 for a gain, as ``transfersim plot --x --y`` draws it."""
    import matplotlib.pyplot as plt

    x = x or sweep.swept_keys[0]
    y = y or sweep.swept_keys[1]
    frame = _slice(sweep, where)
    grid = frame.pivot_table(index=y, columns=x, values=f"{metric}_mean")
    ax = ax or plt.gca()
    values = grid.to_numpy(dtype=float)
    if "gain" in metric:
        limit = np.nanmax(np.abs(values)) or 1
        image = ax.imshow(values, origin="lower", cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    else:
        image = ax.imshow(values, origin="lower", cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(grid.columns)), [f"{v:g}" for v in grid.columns])
    ax.set_yticks(range(len(grid.index)), [f"{v:g}" for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(metric.replace("_", " ") + ("" if not where else " — " + ", ".join(f"{k} = {v}" for k, v in where.items())))
    plt.colorbar(image, ax=ax)
    return ax


def plot_lines(sweep: Sweep, metric: str = "transfer_gain", x: Optional[str] = None, series: Optional[str] = None,
               where: Optional[Dict[str, object]] = None, ax=None):
    """The mean of ``metric`` against ``x`` with a 95% band (±1.96 se), one line per ``series`` value."""
    import matplotlib.pyplot as plt

    x = x or sweep.swept_keys[0]
    frame = _slice(sweep, where)
    ax = ax or plt.gca()
    groups = frame.groupby(series, observed=True) if series else [(None, frame)]
    for value, group in groups:
        group = group.sort_values(x)
        mean, se = group[f"{metric}_mean"].to_numpy(float), group[f"{metric}_se"].to_numpy(float)
        label = f"{series} = {value}" if series else metric.replace("_", " ")
        ax.plot(group[x], mean, marker="o", label=label)
        ax.fill_between(group[x], mean - 1.96 * np.nan_to_num(se), mean + 1.96 * np.nan_to_num(se), alpha=0.2)
    ax.set_xlabel(x)
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend()
    return ax
