"""The public Python API (``import consortium``): load, solve, run_sweep, analyse.

Everything here goes through the same layers as the command line: a plan is
always checked by the independent verifier before it is returned, errors are
:class:`~consortium.errors.InputError` (invalid input) and
:class:`~consortium.errors.InternalError` (a plan that fails the verifier).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from .analysis.results import MarginalAnalysis, StressAnalysis
    from .io.instance import Instance
    from .result.solution import Solution
    from .sweep.store import SweepResults
    from .whatif.alternatives import AlternativesResult
    from .whatif.explain import ExplainResult
    from .whatif.frontier import Frontier

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load(source: str | Path | dict[str, Any] | Instance) -> Instance:
    """A validated instance from an instance JSON file, an Excel workbook or a
    folder of CSV files (``consortium import``'s tables), a dict in the
    instance format, or an :class:`Instance` (returned as it is). Raises
    :class:`~consortium.errors.InputError` naming the JSON path (or the
    workbook's sheet, row and column) of every problem."""
    return _load(source)[0]


def _load(source: Any) -> tuple[Instance, dict[str, Any] | None]:
    """The instance and, when there is one, the JSON it was read from (for the verifier)."""
    from .io.instance import Instance, from_dict, load_raw

    if isinstance(source, Instance):
        return source, None
    if isinstance(source, Mapping):
        raw = copy.deepcopy(dict(source))
        return from_dict(copy.deepcopy(raw)), raw
    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.is_dir() or p.suffix.lower() in WORKBOOK_SUFFIXES:
            from .spreadsheet import read_workbook

            raw, _warnings = read_workbook(p)
            inst = from_dict(copy.deepcopy(raw))
            if inst.name is None:
                inst.name = p.stem
            return inst, raw
        inst, raw = load_raw(p)
        return inst, raw
    raise InputError(f"load: expected a path, a dict or an Instance, got {type(source).__name__}")


def solve(instance: str | Path | dict[str, Any] | Instance, *, time_limit: float | None = None,
          gap: float | None = None, threads: int | None = None, profile: str = "default",
          method: str | None = None, backend: str = "highs", reasons: bool = True,
          log: bool = False) -> Solution:
    """The verified plan of ``instance`` (anything :func:`load` takes).

    ``time_limit`` (seconds) returns the best plan found (status ``feasible``
    with its bound and gap); ``gap`` is the relative MIP gap accepted as
    optimal (default 0, or the profile's); ``profile`` names a solver profile
    of ``solvers/`` (or a ``.toml`` path); ``method`` is ``auto``, ``mip`` or
    ``decompose``; ``backend`` is ``highs`` or ``pyomo``; ``reasons`` explains
    every unformed target. The :class:`~consortium.result.solution.Solution`
    has ``status``, ``objective``, ``bound``, ``gap``, ``consortia``,
    ``unformed``, ``kpis`` and the DataFrames ``consortia_frame()``,
    ``contracts_frame()``, ``kpis_frame()``.
    """
    from .backends.base import SolverOptions
    from .solving import profiles
    from .solving.verified import solve_verified

    t0 = time.monotonic()
    inst, raw = _load(instance)
    opts = SolverOptions(**profiles.settings(profile, time_limit, gap, threads, method), log=log)
    if opts.time_limit is not None:
        opts.deadline = t0 + opts.time_limit
    sol = solve_verified(inst, opts, raw=raw, backend=backend, reasons=reasons)
    sol.inst = inst
    return sol


def run_sweep(instance: str | Path, sets: Mapping[str, Sequence[Any] | str], results: str | Path, *,
              zipped: bool = False, workers: int = 2, scheduler: str | None = None,
              time_limit: float | None = None, gap: float | None = None, profile: str = "default",
              method: str | None = None, resume: bool = False, overwrite: bool = False,
              verify: bool = True) -> SweepResults:
    """Solve the instance file for every scenario of a grid (as ``consortium
    sweep``) into the SQLite file ``results``; returns its results (``.frame()``
    is a DataFrame, one row per scenario). ``sets`` maps a path
    (``policy.total_budget``, ``sponsors[suzhou].budget``) to its values: a
    list, or text as the command line takes it (``"80:240:10"``)."""
    from .solving import profiles
    from .sweep import expand, parse_path, parse_values, read_results
    from .sweep import run_sweep as run

    pairs = []
    for path, values in sets.items():
        parse_path(path)
        pairs.append((path, parse_values(values) if isinstance(values, str) else list(values)))
    st = profiles.settings(profile, time_limit, gap, method=method)
    opts = {k: st[k] for k in ("time_limit", "gap", "highs", "method")} | {"threads": 1}
    run(instance, expand(pairs, zipped), results, opts=opts, workers=workers, scheduler=scheduler,
        resume=resume, overwrite=overwrite, verify=verify)
    return read_results(results)


def read_sweep(results: str | Path) -> SweepResults:
    """The results file of a sweep (``.frame()``: one row per scenario)."""
    from .sweep import read_results

    return read_results(results)


def _base(instance: Any, solution: Any, opts: Any) -> tuple[Instance, Solution]:
    from .analysis import analysis_options
    from .result.solution import Solution
    from .solving.verified import check_plan, raw_of, solve_verified

    inst, raw = _load(instance)
    if solution is None:
        sol = solve_verified(inst, analysis_options(opts), raw=raw)
    else:
        sol = Solution.coerce(solution, inst)
        check_plan(raw if raw is not None else raw_of(inst), sol)
    if not sol.has_plan:
        raise InputError(f"no base plan to analyse ({sol.status.value})")
    sol.inst = inst
    return inst, sol


def marginal_values(instance: str | Path | dict[str, Any] | Instance,
                    solution: Solution | dict[str, Any] | None = None, *, workers: int = 1,
                    scheduler: Any = None, time_limit: float | None = None,
                    gap: float | None = None) -> MarginalAnalysis:
    """Marginal value of every member of the plan (solved, or ``solution``,
    verified first) and its VCG rewards (``.frame()``: one row per member)."""
    from .analysis import marginal_values as run
    from .analysis import vcg_rewards
    from .analysis.results import MarginalAnalysis
    from .backends.base import SolverOptions

    opts = SolverOptions(time_limit=time_limit, gap=gap or 0.0, threads=1)
    inst, base = _base(instance, solution, opts)
    stats: dict[str, Any] = {}
    recs = run(inst, base, opts, workers, scheduler=scheduler, stats=stats)
    return MarginalAnalysis(base, recs, vcg_rewards(inst, base, recs), stats, inst)


def stress(instance: str | Path | dict[str, Any] | Instance,
           scenarios: Sequence[Mapping[str, Any]] = (), *, drop_each: bool = False,
           solution: Solution | dict[str, Any] | None = None, workers: int = 1,
           scheduler: Any = None, time_limit: float | None = None,
           gap: float | None = None) -> StressAnalysis:
    """Re-plan after actors disappear: each scenario ``{"name", "drop": [ids],
    "drop_region", "drop_foreign", "drop_type"}`` and, with ``drop_each``, each
    actor of the plan in turn (ranked: ``.ranking``); ``.frame()`` has one row
    per scenario."""
    from .analysis import drop_each_scenarios, early_warning, scenario_from_spec, stress_test
    from .analysis.results import StressAnalysis
    from .backends.base import SolverOptions

    opts = SolverOptions(time_limit=time_limit, gap=gap or 0.0, threads=1)
    inst, base = _base(instance, solution, opts)
    scen = [scenario_from_spec(inst, dict(s), f"scenarios[{i}]") for i, s in enumerate(scenarios)]
    if drop_each:
        scen.extend(drop_each_scenarios(base))
    stats: dict[str, Any] = {}
    recs = stress_test(inst, base, scen, opts, workers, scheduler=scheduler, stats=stats)
    each = [r for r, s in zip(recs, scen, strict=True) if s.each]
    ranking = early_warning(each, base) if drop_each else None
    return StressAnalysis(base, recs, ranking, stats, inst)


def explain(instance: str | Path | dict[str, Any] | Instance,
            plan: Solution | dict[str, Any] | None = None,
            targets: Sequence[str] | None = None, *, sets: bool = True) -> ExplainResult:
    """What would form each target ``plan`` (default: the optimum) leaves
    unformed, as ``consortium explain``: per target its reason and its repairs,
    each the least change of one kind (a dotted ``path`` as ``consortium sweep``
    writes it, ``current`` -> ``to``) after which the target is formed in an
    optimal plan, confirmed by a re-solve (``objective``: that optimum;
    ``plan``: the verified plan that forms it), or ``repair_set`` when only a
    set of changes does. ``.to_frame()``: one row per repair; ``.to_dict()``:
    the JSON of ``explain --json``."""
    from .whatif import explain as run

    inst, raw = _load(instance)
    base = None
    if plan is not None:
        from .result.solution import Solution
        from .solving.verified import check_plan, raw_of

        base = Solution.coerce(plan, inst)
        check_plan(raw if raw is not None else raw_of(inst), base)
    return run(inst, base, targets, raw=raw, sets=sets)


def alternatives(instance: str | Path | dict[str, Any] | Instance, target: str,
                 plan: Solution | dict[str, Any] | None = None, *,
                 top: int | None = 10) -> AlternativesResult:
    """Every alternative lead and member of formed ``target`` (in ``plan``,
    default the optimum), ranked by the exact optimum with that choice fixed
    (``.to_frame()``: one row per alternative, ``difference`` to the plan):
    the best ``top`` exact and every other proven below them (``top=None``:
    every one exact)."""
    from .result.solution import Solution
    from .whatif import Probe
    from .whatif.alternatives import alternatives as run

    inst, raw = _load(instance)
    base = Solution.coerce(plan, inst) if plan is not None else None
    return run(Probe(inst, raw), target, base, top)


def frontier(instance: str | Path | dict[str, Any] | Instance,
             path: str = "policy.total_budget", start: float = 0.0,
             stop: float | None = None) -> Frontier:
    """The exact budget frontier (``consortium frontier``): every budget at
    which the optimum steps up, with the targets each step adds
    (``.to_frame()``; ``.objective_at(budget)``)."""
    from .whatif import Probe
    from .whatif.frontier import frontier as run

    inst, raw = _load(instance)
    return run(Probe(inst, raw), path, start, stop)


def replan(instance: str | Path | dict[str, Any] | Instance,
           incumbent: Solution | dict[str, Any], *,
           change_penalty: float | None = None) -> Solution:
    """``consortium solve --incumbent``: the verified plan re-planned from the
    plan in force, each change costing ``change_penalty`` (None: nothing changes
    without need). ``sol.extra["changes"]``: target, kind, actor, before, after;
    as a table: ``pandas.DataFrame(sol.extra["changes"])``."""
    from .whatif.incumbent import replan as run

    inst, raw = _load(instance)
    return run(inst, incumbent, change_penalty, raw=raw)
