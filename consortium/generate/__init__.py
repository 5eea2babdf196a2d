"""Seeded generator of realistic ``consortium-instance/1`` instances.

``generate(preset=..., seed=...)`` returns a valid instance dict (SPEC section 2);
``write_instance`` writes it as deterministic JSON (``consortium generate``,
in ``consortium.cli.generate``, is the command). The data are in
:mod:`.presets`, the generator in :mod:`.generator` (with :mod:`.population`
and :mod:`.programme`).  Same arguments give the same bytes (for
a given numpy version).

Figures taken from the literature (source documents in ``shared/seeds/``)
-------------------------------------------------------------------------
* By early 2023 Suzhou had 13 innovation consortia, most of them led by
  enterprises, with targets from high-power semiconductor lasers to monoclonal
  antibodies and wearables (seed 002, Naughton 2024).  The ``small`` preset is a
  Suzhou-style city programme over the four sectors semiconductors, biopharma,
  lasers/photonics and wearables, at Suzhou Industrial Park and its Yangtze
  delta neighbours, and most of its targets are economics-driven.
* Zhejiang aims at 50 innovation consortia by 2027 (Guangxi more than 20,
  Beijing 20 and Hebei 10 by 2025) (seed 002).  The ``provincial`` preset has
  50 targets at 10 Zhejiang clusters.
* About 12,000 "little giant" firms have been named nationwide (seed 002).  The
  ``national`` preset has 15,000 actors, 58 % of them ``sme`` (about 8,700), so
  little giants are of the same order as in reality.  They get the incentives
  the source names: subsidies and a fast track to listing.
* The third-generation semiconductor consortium led by the National
  Third-Generation Semiconductor Technology Innovation Center (CETC) has 21
  members, among them nine state-owned and two private enterprises and two
  universities (seed 002).  A share of research-driven targets are such
  "flagship" consortia with 12-18 required members and a cap of 25, and
  ``max_state_share`` sits between 0.7 and 0.9 (9 state enterprises out of
  21 members is 0.43).
* Research-driven consortia are led by a research institute or national lab,
  economics-driven ones by an enterprise.  Every consortium unites a research
  institute or lab with a company (both ends of the innovation chain).
  Members sign contracts with goals, criteria and rewards.  Tasks are
  subcontracted to small specialised firms and put out to open bidding
  (seed 002).  This gives ``lead_types``, ``require_both_ends``, the requirements
  and the ``bids`` of "unveiling the list" targets.
* Institutes are rewarded for technical milestones and knowledge transfer, and
  state-owned enterprises are judged on R&D investment (seed 002).  Public
  procurement prefers domestic innovative products (seed 003).  These give
  the incentive instruments.
* Location matters: clusters (Shanghai builds 53 specialised parks and has
  linked 14 universities to them) put firms and institutes side by side
  (seed 002).  Ties are therefore concentrated inside clusters.
* Duplicate regional agendas ("regional protectionism trap") and SOE dominance
  that marginalises private firms (seed 000) give ``exclusive`` groups of
  near-identical targets of different sponsors, ``min_private_members`` and
  ``max_state_share``.  Chain chiefs began in Changsha in 2017 and reached all 31
  provinces by the end of 2023 (seed 001), so sponsors include provinces,
  cities and ministries.
* Chokepoints ("bottleneck technologies": semiconductors, key medical
  equipment, ...; seeds 000, 003, 004) are held by only a few domestic actors
  or by foreign ones only.

Assumptions made by this generator (not from the literature)
-------------------------------------------------------------
* Sites are real parks and clusters.  Their coordinates are approximate
  centroids (a few km off).  Each site has a cluster size and sector weights
  (Wuhan: photonics, Hefei: quantum/batteries, ...).  Actors lie 1-80 km from
  their home site (lognormal, median about 8-20 km, larger for big clusters),
  with the province code of that site.  The number of actors per site is
  proportional to the cluster size.
* Type shares: sme 58 %, enterprise 16 %, institute 12 %, university 11 %,
  lab 3 %.  Ownership: enterprises are 62 % state, 28 % private and 10 %
  foreign; smes 87 % private, 6 % state and 7 % foreign; institutes 90 %
  state; universities and labs are state.  About 6 % of actors are foreign.
* Each capability belongs to a sector and has a stage: "research" (low and mid
  readiness) or "production" (high readiness).  Research actors are strong on
  research capabilities (mean level about 6-7) and enterprises and smes on
  production ones (about 6-7).  Foreign actors are one level higher on
  average.  Actors hold 2-6 capabilities, mostly of their cluster's sectors,
  and 15 % of them hold one capability of a second sector.  The base
  capability names are real technologies; when more are needed they are
  numbered (``sic-substrate-2``).
* 15-20 % of the capabilities are chokepoints, and about a third of these are
  held only by foreign actors.  The others have 1-3 strong domestic holders
  (a few more at national scale), and every other domestic holder is capped
  at level 3.  A few targets (4 % in the larger presets) require a
  foreign-only chokepoint and so cannot be formed under
  ``chokepoints_domestic_only``.
* Costs are in CNY million per consortium (lognormal medians): enterprise 9,
  lab 8, institute 5, university 3.2, sme 2.2; foreign actors cost 30 % more.
  The lead fee is 30-60 % of the cost.  Only strong actors may lead:
  ``lead_cost`` is set for all labs, 40 % of institutes, 50 % of state, 35 %
  of private and 25 % of foreign enterprises, and 10 % of universities.  This
  also keeps the number of lead candidates per target low.  About 30 % of
  targets are open calls ("unveiling the list"), on which nearby capable
  actors bid 3-20 % below their cost.
* Every target is built around a concrete witness consortium: a lead and the
  cheapest members near its first site that meet its requirements and the
  policy rules (both ends, state share, private and outside members, size).
  Requirement levels are set so that the witness exists.  Its value is the
  witness spend times a lognormal factor (median 1.35), so most but not all
  targets are worth forming.  Target budgets (40 % of targets) are 5-50 %
  above the witness spend.  Sponsor budgets cover 50-85 % of the witness spend
  of their targets, and the total budget 55-75 % of all of it, so choices
  compete.  Every target is feasible on its own, except the blocked ones and
  the rare target for which no witness can be built at any radius (possible
  only with tiny overridden sizes).  Neither kind is ever mandatory.
* Mandatory targets (1 in small, 2 in provincial, 4 in national) have
  witnesses that share no actor, are in no exclusive group, conflict or
  forbidden pair, and fit inside every budget.  The joint mandatory plan is
  checked against every rule of the model (``consortium.solving.plan_check``)
  before the instance is returned.  If the
  check fails, the target is made optional.
* Distance limits are 150-1500 km (some absent).  At national scale a target's
  limit is shrunk until at most about 500 actors near its first site can
  deliver a requirement or lead it.  This keeps the solver's eligible
  (actor, target, site) triples at about 250k (70k of them deliverers).  See
  ``eligibility_stats``.
* ``national-dense`` (benchmarks of the decomposition on denser candidate
  pools): 55,000 actors, limits of 1,000-2,000 km or none, shrunk only above
  5,500 actors near the first site, so that a target reaches about 4,400
  actors (``eligibility_stats``' ``reach_mean``; about 400 in ``national``).
  ``national-xl``: 2,000 targets, 60,000 actors, 1,200 capabilities, limits
  from 80 km, shrunk to about 500 actors near the first site as in
  ``national``.
"""

from __future__ import annotations

from .generator import _generate, dumps_instance, eligibility_stats, generate, write_instance
from .presets import FORMAT, PRESETS, SECTORS, SITES

__all__ = ["FORMAT", "PRESETS", "SECTORS", "SITES", "_generate", "dumps_instance",
           "eligibility_stats",
           "generate", "write_instance"]
