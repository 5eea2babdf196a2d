"""Marginal values, incentive-compatible (VCG) rewards and stress tests.

Everything here is many re-solves of nearly the same model. Each worker builds
one :class:`consortium.solving.session.Session` (the model loaded once in HiGHS) and
re-solves it with some columns barred (fixed to 0): an actor barred from one
consortium (marginal values) or from every consortium (stress scenarios).
Work runs in-process (``workers=0``), in local processes (default: 2, one
HiGHS thread each, every process builds its session once in its initializer)
or on a dask.distributed cluster (``scheduler=``; every dask worker caches its
session keyed by a hash of the instance, options and base plan).

Commands (``consortium.cli.analyse``)::

    consortium analyse INSTANCE [-o FILE.json] [--table FILE.csv|.parquet] [--workers N]
                               [--scheduler ADDR]
    consortium stress INSTANCE [--drop-actor ID ...] [--drop-foreign] [--drop-region CODE ...]
                               [--drop-each] [--scenarios FILE] [-o FILE.json] [--table FILE]
                               [--workers N] [--scheduler ADDR]

JSON output: the base solution (``consortium-solution/1``) plus these fields.

``analysis``
    ``{"kind": "marginal"|"stress", "workers", "scheduler", "solves", "time_s",
    "solver_options": {...}, "exact": bool}``. ``exact`` is true when the base
    plan and every re-solve were proven optimal at gap 0.

``marginal`` (``analyse``): one record per member of every formed consortium.
    ``target``, ``actor``, ``role``, ``reward`` (its contract reward),
    ``deliverables`` (capabilities it delivers), ``status`` (of the re-solve with
    the actor barred from that consortium), ``objective_without`` (``null`` if no
    plan), ``bound_without``, ``gap_without``, ``marginal_value`` = base objective
    minus ``objective_without`` (``null`` = infinite: no plan exists without it),
    ``critical`` (the target is unformed in the re-solved plan, or there is no
    plan at all), ``outcome``: ``absorbed`` (formed again with no new actor),
    ``replaced`` (formed with new actors), ``unformed``, ``infeasible``, or
    ``unknown`` (no plan within the limits); ``replacement`` (actors in the
    re-solved consortium of that target that were not in the original one),
    ``lead_after``, ``members_after``, ``deliverers_after`` (capability -> who
    delivers it now), ``formable_without`` (for an unformed target: can it be
    formed at all without the actor, alongside the other rules; ``null`` when
    not asked), ``if_forced`` (when it can: ``objective``, ``marginal_value``,
    ``replacement``, ``lead`` of the best plan that still forms it), ``note``.

``vcg`` (``analyse``): Clarke pivot rewards. ``defined`` (false when
    ``weights.cost`` <= 0, with ``reason``), ``money_per_unit`` (1 /
    ``weights.cost``), ``contracts`` (``target``, ``actor``, ``role``, ``reward``,
    ``premium`` = marginal value / ``weights.cost``, ``vcg_reward`` = reward +
    premium, ``null`` with ``reason`` when undefined), ``total``, ``sponsors``
    (id -> ...), ``targets`` (id -> ...): each ``{"spend", "vcg", "budget",
    "within_budget", "overrun", "undefined"}`` where ``vcg`` is ``null`` when a
    contract's VCG reward is undefined (``undefined`` counts them). Each
    contract in ``consortia`` also gets ``vcg_reward`` beside its ``reward``.

``stress`` (``stress``): one record per scenario. ``name``, ``drop`` (actor
    ids), ``dropped_in_plan``, ``solved`` (false when no dropped actor is in the
    plan: the plan stands), ``status``, ``objective_before``/``_after``/
    ``_change``, ``value_before``/``_after``/``_change``, ``spend_before``/
    ``_after``/``_change`` (after - before), ``lost_targets`` (formed before,
    not after), ``new_targets``, ``changed`` (per target formed before and after
    whose lead, members or site changed: before/after, ``joined``, ``left``),
    ``uncovered`` (per lost target and requirement with fewer remaining eligible
    domestic holders than its redundancy: ``target``, ``capability``, ``level``,
    ``redundancy``, ``holders_left``, ``chokepoint``), ``note``.

``early_warning`` (``stress --drop-each``): every actor of the plan ranked by
    the objective lost without it, most critical first (no plan at all ranks
    first): ``rank``, ``actor``, ``objective_lost`` (``null`` = no plan),
    ``status``, ``lost_targets``, ``uncovered`` (capability ids), ``targets``
    (the consortia it sits in).

Re-solves use the solver options of the base solve with one HiGHS thread;
``--time-limit``/``--gap``/``--profile`` apply to every solve (status and gap
of each re-solve are reported, so inexact values can be told apart).
"""

from __future__ import annotations

from .base import NoBasePlan, analysis_meta, base_plan
from .jobs import Job, analysis_options, run_jobs
from .marginal import fixed_conflict, marginal_values
from .results import MarginalAnalysis, StressAnalysis
from .stress import (
    Scenario,
    ScenarioError,
    drop_each_scenarios,
    early_warning,
    scenario_from_spec,
    scenarios_from_file,
    stress_test,
    uncovered_capabilities,
)
from .tables import TABLE_SUFFIXES, marginal_table, stress_table, write_table
from .text import print_marginal, print_stress
from .vcg import VCG_RULE, vcg_rewards, with_vcg_rewards

__all__ = [
    "TABLE_SUFFIXES",
    "VCG_RULE",
    "Job",
    "MarginalAnalysis",
    "StressAnalysis",
    "NoBasePlan",
    "Scenario",
    "ScenarioError",
    "analysis_meta",
    "analysis_options",
    "base_plan",
    "drop_each_scenarios",
    "early_warning",
    "fixed_conflict",
    "marginal_table",
    "marginal_values",
    "print_marginal",
    "print_stress",
    "run_jobs",
    "scenario_from_spec",
    "scenarios_from_file",
    "stress_table",
    "stress_test",
    "uncovered_capabilities",
    "vcg_rewards",
    "with_vcg_rewards",
    "write_table",
]
