"""Parameter sweeps: solve many variants of one instance, keep every result.

``consortium sweep INSTANCE --set PATH=VALUES [--set ...] -o RESULTS.sqlite``

*Paths* point into the raw instance JSON: ``policy.total_budget``,
``policy.weights.cost``, ``sponsors[suzhou].budget`` (a list item by id),
``targets[3].value`` (by index), ``targets[*].max_distance_km`` (every item),
``actors[a1].bids.t1`` (a key of a mapping). *Values* are a list
(``0.4,0.6,0.8``; ``null`` removes a cap, ``true``/``false`` are booleans) or a
range ``START:STOP:STEP`` computed in decimal arithmetic (``0.1:0.5:0.1`` gives
five points; STOP is included when it lies on the grid). Several ``--set``
make the full grid (the last one varies fastest); ``--zip`` pairs them
instead. ``--scenarios FILE`` takes the scenarios from a CSV file (one column
per path, an empty cell keeps the instance's value) or a JSON list of
``{path: value}`` objects. Every scenario is applied to the raw JSON and
validated like an instance file before anything is solved.

Storage: one SQLite file (standard library, WAL journal) with three tables:

* ``scenarios``: one row per scenario -- ``scenario`` (its index in the
  grid, the primary key), ``overrides`` (JSON), one column per swept path,
  ``status``, ``objective``, ``bound``, ``gap``, ``spend``, ``formed``,
  ``formed_targets`` and ``leads`` (JSON), ``solve_time_s``, ``worker``,
  ``error``;
* ``plans``: ``scenario`` -> the full solution JSON of that scenario;
* ``meta``: the instance path and its sha256, the grid specification, the
  scenario list's sha256 and the solver options.

Why SQLite rather than Parquet or CSV: a sweep runs for minutes to hours and
must lose nothing when it is killed. SQLite commits every finished scenario
(its row and its plan) as one transaction; a committed transaction survives
``kill -9`` of the sweep and even a power cut (``synchronous=FULL``), while an
interrupted transaction simply never happened, so a file is never half
written. The primary key makes ``--resume`` exact: it solves the scenarios
that have no row, and a scenario can never be stored twice. Parquet files are
immutable column chunks with a footer written at close: they cannot be
appended to row by row safely, and a killed writer leaves an unreadable file.
SQLite is read directly by ``pandas.read_sql("select * from scenarios",
sqlite3.connect(path))``; ``--export FILE.parquet`` writes the table as
Parquet after the sweep for those who prefer it.

Speed: every worker process builds the model once (a
:class:`consortium.solving.session.Session`, one HiGHS thread) and re-solves each of
its scenarios by updating the loaded HiGHS model in place, warm-started from
the previous plan of its chunk (a scenario that the method -- ``--method``,
the profile's ``method``, or ``auto`` by model size -- decomposes by target is
solved by the decomposition, as ``consortium solve`` would, starting from that
plan). Scenarios are dealt out in contiguous chunks
of consecutive grid points; the warm start restarts at each chunk, so a
scenario's result depends only on the grid and never on which worker ran it
or how many there were. Workers are local processes (``--workers N``) or the
workers of a dask.distributed cluster (``--scheduler ADDRESS``), through the
one runner of ``consortium.solving.runner``, where each worker caches its
Session by the instance's sha256; only the instance text (scattered once to
every worker), the overrides and the results (compressed) cross the network.

Modules: :mod:`.paths` (the path language), :mod:`.grid` (scenarios),
:mod:`.store` (the SQLite file and its one reader), :mod:`.scenario` (one
scenario in a worker), :mod:`.runner` (running a sweep), :mod:`.plots`.

A HiGHS run cut off at a time limit that does not stop at once (its presolve
checks the clock rarely) is left running by the back end, and highspy runs one
solve per process at a time: the next scenario waits for it, and a local
worker still blocked after a few seconds is replaced by a fresh process.

Nothing is lost: the parent process commits each result the moment it
arrives. A scenario that raises, that the solver fails on, or whose worker
process dies is stored with status ``failed`` and the message; a dead local
worker is replaced for the rest of its chunk and the sweep goes on.
``--workers 0`` solves in the sweep process itself (debugging).

One sweep at a time writes a results file: it holds an exclusive lock on
``RESULTS.lock`` (``flock``, dropped by the kernel however the process ends),
and a second sweep on the same file refuses at once, naming the first one's
pid. Readers need no lock (WAL journal): ``pandas.read_sql``, ``plot`` and
``report --sweep`` read the file while a sweep writes it. A commit that fails
(a full disk) stops the sweep with a message; the rows committed before it
are intact and ``--resume`` completes the file once there is room.

Exit status of ``consortium sweep``: 0 every scenario has a result
(``infeasible`` and ``no_solution`` are results, not failures); 1 some
scenarios failed (``--resume --retry-failed`` solves them again), or the
results file could not be written (a full disk: ``--resume`` completes it);
2 invalid input, before anything is solved, or the results file is being
written by another sweep; 130 interrupted by Ctrl-C or SIGTERM (the finished
scenarios are kept; ``--resume`` completes the file).

``consortium plot RESULTS --x PATH [--y METRIC] [--by PATH2] -o FILE`` draws
objective and spend against a swept path (twin axes), the consortia formed as
a step chart and which targets are formed; with two swept paths (or ``--by``)
a heat map of the metric.
"""

from __future__ import annotations

from .grid import Grid, default_chunk, describe, expand, load_scenarios, parse_set, validate
from .paths import (
    MAX_POINTS,
    SweepError,
    apply_overrides,
    parse_path,
    parse_range,
    parse_scalar,
    parse_values,
    set_path,
)
from .plots import METRICS, plot_results, plot_sweep
from .runner import Summary, run_sweep
from .store import RESULT_COLUMNS, RESULTS_FORMAT, SweepResults, export_parquet, read_results

__all__ = [
    "MAX_POINTS", "METRICS", "RESULTS_FORMAT", "RESULT_COLUMNS", "Grid", "Summary", "SweepError",
    "SweepResults", "apply_overrides", "default_chunk", "describe", "expand", "export_parquet",
    "load_scenarios", "parse_path", "parse_range", "parse_scalar", "parse_set", "parse_values",
    "plot_results", "plot_sweep", "read_results", "run_sweep", "set_path", "validate",
]
