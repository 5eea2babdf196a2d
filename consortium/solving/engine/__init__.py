"""Fast exact re-solves: LP duals, a Lagrangian bound and reduced-cost fixing.

The single MILP of :mod:`consortium.model` is solved by HiGHS; this engine
solves the very same model faster, and keeps what a re-solve can reuse:

* :mod:`.lagrange`: from any row prices, a valid upper bound on the MILP and,
  for every binary column, a bound on every plan that sets it the other way;
  columns whose other side cannot reach a threshold are fixed (a proof, not a
  heuristic).
* :mod:`.exact`: the rounds that turn those fixings into an exact optimum,
  and :class:`.exact.Engine`, which keeps the LP (warm basis) and the MILP
  loaded across the scenarios of a sweep, a stress test or marginal values.
"""
