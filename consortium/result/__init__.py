"""What a solve returns: the :class:`~.solution.Solution` (consortia,
contracts, unformed targets, KPIs), read from the solver's columns
(:mod:`.plan`), priced (:mod:`.contracts`), evaluated (:mod:`.evaluate`) and
laid out as tables (:mod:`.tables`)."""
