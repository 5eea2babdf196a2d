"""Seeded generator of realistic ``consortium-instance/1`` instances.

``generate(preset=..., seed=...)`` returns a valid instance dict (SPEC section 2);
``write_instance`` writes it as deterministic JSON; ``generate_command`` is the
``consortium generate`` click command.  Same arguments give the same bytes (for
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
  checked against SPEC section 3 before the instance is returned.  If the
  check fails, the target is made optional.
* Distance limits are 150-1500 km (some absent).  At national scale a target's
  limit is shrunk until at most about 500 actors near its first site can
  deliver a requirement or lead it.  This keeps the solver's eligible
  (actor, target, site) triples at about 250k (70k of them deliverers).  See
  ``eligibility_stats``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import numpy as np

__all__ = [
    "FORMAT",
    "PRESETS",
    "SITES",
    "SECTORS",
    "generate",
    "write_instance",
    "dumps_instance",
    "eligibility_stats",
    "check_plan",
    "generate_command",
]

FORMAT = "consortium-instance/1"
EARTH_RADIUS_KM = 6371.0088
TYPES = ("enterprise", "sme", "institute", "university", "lab")
R_TYPES = ("institute", "university", "lab")
E_TYPES = ("enterprise", "sme")
RESEARCH, PRODUCTION = 0, 1

# ---------------------------------------------------------------------------
# Sites: (id, name, city, province code, lat, lon, cluster size, sector weights)
# ---------------------------------------------------------------------------
SITES: list[tuple[str, str, str, str, float, float, float, dict[str, float]]] = [
    ("beijing-zgc", "Zhongguancun Science Park, Beijing", "Beijing", "BJ", 39.9837, 116.3164, 10,
     {"ai": 3, "semiconductors": 2, "biopharma": 1.5, "quantum": 1, "meddevices": 1,
      "aerospace": 1}),
    ("shanghai-zhangjiang", "Zhangjiang Science City, Shanghai", "Shanghai", "SH", 31.2035,
     121.5897, 10, {"semiconductors": 3, "biopharma": 3, "ai": 2, "meddevices": 1}),
    ("shenzhen-nanshan", "Nanshan Science and Technology Park, Shenzhen", "Shenzhen", "GD",
     22.5405, 113.9530, 10, {"wearables": 3, "ai": 2, "semiconductors": 1.5, "quantum": 1,
                             "batteries": 1, "meddevices": 1}),
    ("suzhou-sip", "Suzhou Industrial Park", "Suzhou", "JS", 31.3166, 120.7220, 8,
     {"biopharma": 3, "semiconductors": 2, "photonics": 2, "wearables": 1.5, "materials": 1}),
    ("hefei-hitech", "Hefei High-tech Zone", "Hefei", "AH", 31.8206, 117.1270, 7,
     {"quantum": 3, "batteries": 2, "semiconductors": 2, "nev": 1.5, "ai": 1}),
    ("wuhan-optics-valley", "Wuhan East Lake High-tech Zone (Optics Valley)", "Wuhan", "HB",
     30.5050, 114.4000, 7, {"photonics": 4, "semiconductors": 2, "biopharma": 1, "nev": 1}),
    ("hangzhou-binjiang", "Hangzhou Hi-tech Zone (Binjiang)", "Hangzhou", "ZJ", 30.2084,
     120.2120, 6, {"ai": 3, "wearables": 1.5, "semiconductors": 1, "meddevices": 1}),
    ("guangzhou-science-city", "Guangzhou Science City, Huangpu", "Guangzhou", "GD", 23.1700,
     113.4500, 6, {"biopharma": 2, "nev": 2, "wearables": 1, "materials": 1}),
    ("chengdu-hitech", "Chengdu Hi-tech Zone", "Chengdu", "SC", 30.5460, 104.0660, 6,
     {"semiconductors": 2, "aerospace": 2, "biopharma": 1.5, "ai": 1}),
    ("xian-hitech", "Xi'an High-tech Zone", "Xi'an", "SN", 34.1935, 108.8870, 6,
     {"aerospace": 3, "semiconductors": 2, "photonics": 1.5}),
    ("nanjing-jiangbei", "Nanjing Jiangbei New Area", "Nanjing", "JS", 32.1580, 118.7140, 5,
     {"semiconductors": 2, "biopharma": 2, "rail": 1, "ai": 1}),
    ("chongqing-liangjiang", "Liangjiang New Area, Chongqing", "Chongqing", "CQ", 29.6700,
     106.6500, 5, {"nev": 3, "wearables": 1.5, "semiconductors": 1}),
    ("tianjin-binhai", "Tianjin Binhai New Area (TEDA)", "Tianjin", "TJ", 39.0450, 117.6950, 5,
     {"aerospace": 2, "biopharma": 2, "batteries": 1, "materials": 1}),
    ("wuxi-hitech", "Wuxi National Hi-tech Zone", "Wuxi", "JS", 31.5480, 120.3570, 5,
     {"semiconductors": 3, "wearables": 1, "biopharma": 1}),
    ("ningbo-hitech", "Ningbo National Hi-tech Zone", "Ningbo", "ZJ", 29.8830, 121.6300, 4,
     {"materials": 3, "nev": 1.5, "robotics": 1}),
    ("shenyang-hunnan", "Shenyang Hunnan Hi-tech Zone", "Shenyang", "LN", 41.7180, 123.4600, 4,
     {"robotics": 3, "aerospace": 2, "semiconductors": 1}),
    ("changsha-hitech", "Changsha Hi-tech Zone", "Changsha", "HN", 28.2260, 112.8810, 4,
     {"robotics": 2, "materials": 1.5, "rail": 1, "ai": 1}),
    ("jinan-hitech", "Jinan High-tech Zone", "Jinan", "SD", 36.6700, 117.1400, 4,
     {"quantum": 2, "ai": 1.5, "semiconductors": 1}),
    ("qingdao-west-coast", "Qingdao West Coast New Area", "Qingdao", "SD", 35.9600, 120.2000, 4,
     {"rail": 1.5, "materials": 1, "wearables": 1, "meddevices": 0.5}),
    ("shanghai-lingang", "Lingang Special Area, Shanghai", "Shanghai", "SH", 30.8990, 121.9230,
     4, {"nev": 2, "aerospace": 1.5, "semiconductors": 1, "ai": 1}),
    ("xiamen-torch", "Xiamen Torch Hi-tech Zone", "Xiamen", "FJ", 24.4900, 118.1800, 3,
     {"wearables": 2, "semiconductors": 1.5, "batteries": 1}),
    ("fuzhou-hitech", "Fuzhou High-tech Zone", "Fuzhou", "FJ", 26.0500, 119.2000, 3,
     {"photonics": 1.5, "wearables": 1, "ai": 1}),
    ("dalian-hitech", "Dalian Hi-tech Industrial Zone", "Dalian", "LN", 38.8600, 121.5300, 3,
     {"materials": 1.5, "robotics": 1, "batteries": 1, "ai": 0.5}),
    ("zhengzhou-airport", "Zhengzhou Airport Economy Zone", "Zhengzhou", "HA", 34.5270,
     113.8400, 3, {"wearables": 2, "nev": 1, "materials": 0.5}),
    ("changzhou-wujin", "Changzhou Wujin National Hi-tech Zone", "Changzhou", "JS", 31.7000,
     119.9500, 3, {"batteries": 3, "robotics": 1, "materials": 1}),
    ("changchun-hitech", "Changchun High-tech Zone", "Changchun", "JL", 43.8200, 125.3200, 3,
     {"photonics": 2, "nev": 2, "biopharma": 1}),
    ("dongguan-songshan-lake", "Songshan Lake Science City, Dongguan", "Dongguan", "GD",
     22.9200, 113.8900, 3, {"wearables": 2, "robotics": 1.5, "materials": 1}),
    ("kunming-hitech", "Kunming High-tech Zone", "Kunming", "YN", 25.0600, 102.6600, 2,
     {"biopharma": 2, "materials": 1, "photonics": 1}),
    ("ningde-dongqiao", "Ningde Dongqiao Economic Development Zone", "Ningde", "FJ", 26.6600,
     119.5500, 2, {"batteries": 4}),
    ("zhuzhou-hitech", "Zhuzhou Hi-tech Zone", "Zhuzhou", "HN", 27.8300, 113.1500, 2,
     {"rail": 3, "semiconductors": 1, "aerospace": 1}),
    ("harbin-hitech", "Harbin High-tech Zone", "Harbin", "HL", 45.7500, 126.6500, 2,
     {"aerospace": 2, "robotics": 1, "materials": 1}),
    ("foshan-shunde", "Shunde, Foshan", "Foshan", "GD", 22.8050, 113.2930, 2,
     {"robotics": 3, "wearables": 0.5}),
    ("mianyang-science-city", "Mianyang Science City", "Mianyang", "SC", 31.4700, 104.6800, 2,
     {"photonics": 1, "materials": 1, "wearables": 1}),
    ("nanchang-hitech", "Nanchang High-tech Zone", "Nanchang", "JX", 28.7000, 115.9700, 2,
     {"photonics": 1.5, "aerospace": 1, "biopharma": 0.5}),
    ("shijiazhuang-hitech", "Shijiazhuang High-tech Zone", "Shijiazhuang", "HE", 38.0400,
     114.6000, 2, {"biopharma": 3}),
    ("baotou-rare-earth", "Baotou Rare Earth Hi-tech Zone", "Baotou", "NM", 40.6300, 109.8400,
     1.5, {"materials": 3}),
    ("ganzhou-edz", "Ganzhou Economic Development Zone", "Ganzhou", "JX", 25.8300, 114.9300,
     1.5, {"materials": 2, "batteries": 1}),
    ("yibin-sanjiang", "Yibin Sanjiang New Area", "Yibin", "SC", 28.7700, 104.6400, 1.5,
     {"batteries": 3}),
    ("guiyang-guian", "Gui'an New Area, Guiyang", "Guiyang", "GZ", 26.4500, 106.4700, 1.5,
     {"ai": 2}),
    ("hangzhou-future-sci-tech", "Future Sci-Tech City, Hangzhou", "Hangzhou", "ZJ", 30.2870,
     120.0080, 4, {"ai": 2, "biopharma": 2, "wearables": 1}),
    ("shaoxing-binhai", "Shaoxing Binhai New Area", "Shaoxing", "ZJ", 30.1000, 120.7300, 2,
     {"semiconductors": 2, "biopharma": 1, "materials": 1}),
    ("jiaxing-xiuzhou", "Jiaxing Xiuzhou Hi-tech Zone", "Jiaxing", "ZJ", 30.7700, 120.7100, 2,
     {"photonics": 1, "materials": 1, "wearables": 1}),
    ("huzhou-moganshan", "Moganshan High-tech Zone, Huzhou", "Huzhou", "ZJ", 30.5500, 119.9800,
     2, {"batteries": 1, "nev": 1, "ai": 0.5}),
    ("wenzhou-hitech", "Wenzhou High-tech Zone", "Wenzhou", "ZJ", 27.9900, 120.7000, 2,
     {"meddevices": 1.5, "robotics": 1, "nev": 1}),
    ("jinhua-yiwu", "Yiwu, Jinhua", "Jinhua", "ZJ", 29.3060, 120.0750, 1.5,
     {"wearables": 1, "nev": 1, "photonics": 0.5}),
    ("taizhou-bay", "Taizhou Bay New Area", "Taizhou", "ZJ", 28.6600, 121.5000, 1.5,
     {"biopharma": 2, "nev": 1}),
    ("quzhou-smart-city", "Quzhou Intelligent Manufacturing New City", "Quzhou", "ZJ", 28.9700,
     118.8700, 1.5, {"materials": 2, "batteries": 1}),
]

PROVINCES = {
    "BJ": "Beijing", "SH": "Shanghai", "TJ": "Tianjin", "CQ": "Chongqing", "JS": "Jiangsu",
    "ZJ": "Zhejiang", "GD": "Guangdong", "AH": "Anhui", "HB": "Hubei", "SC": "Sichuan",
    "SN": "Shaanxi", "LN": "Liaoning", "HN": "Hunan", "SD": "Shandong", "FJ": "Fujian",
    "HA": "Henan", "JL": "Jilin", "YN": "Yunnan", "HL": "Heilongjiang", "JX": "Jiangxi",
    "HE": "Hebei", "NM": "Inner Mongolia", "GZ": "Guizhou",
}
MUNICIPALITIES = {"BJ", "SH", "TJ", "CQ"}
# Cities that run programmes of their own (Suzhou's 13 consortia, seed 002).
CITY_SPONSORS = {
    "Suzhou", "Shenzhen", "Hefei", "Wuhan", "Hangzhou", "Ningbo", "Changsha", "Chengdu",
    "Xi'an", "Guangzhou", "Nanjing", "Wuxi", "Qingdao", "Xiamen", "Changzhou",
}
MINISTRIES = {
    "miit": "Ministry of Industry and Information Technology",
    "most": "Ministry of Science and Technology",
    "ndrc": "National Development and Reform Commission",
}

# ---------------------------------------------------------------------------
# Sectors: capability catalogue (id, name, stage, chokepoint-prone)
# ---------------------------------------------------------------------------
_R, _P = RESEARCH, PRODUCTION
SECTORS: dict[str, dict[str, Any]] = {
    "semiconductors": {
        "title": "Third-generation semiconductor", "field": "Semiconductors",
        "words": ["Semiconductor", "Microelectronics", "Silicon", "Chip"],
        "caps": [
            ("sic-substrate", "6-inch SiC substrate", _P, False),
            ("gan-epitaxy", "GaN epitaxy", _R, False),
            ("sic-epitaxy", "SiC epitaxial wafer", _P, False),
            ("gan-hemt", "GaN HEMT device", _P, False),
            ("ga2o3-wafer", "Gallium oxide wafer", _R, False),
            ("euv-photoresist", "EUV photoresist", _R, True),
            ("arf-photoresist", "ArF immersion photoresist", _P, True),
            ("lithography-optics", "Lithography projection optics", _R, True),
            ("eda-analog", "Analog EDA toolchain", _R, True),
            ("eda-digital", "Digital EDA sign-off", _R, True),
            ("cmp-slurry", "CMP slurry", _P, False),
            ("sputter-target", "High-purity sputtering target", _P, False),
            ("specialty-gas", "Electronic specialty gas", _P, True),
            ("advanced-packaging", "2.5D advanced packaging", _P, False),
            ("chiplet-interconnect", "Chiplet interconnect", _R, False),
            ("silicon-wafer-12in", "12-inch silicon wafer", _P, True),
            ("power-module-packaging", "Power module packaging", _P, False),
            ("plasma-etch-tool", "Plasma etch tool", _P, True),
            ("mocvd-reactor", "MOCVD reactor", _P, False),
            ("wafer-metrology", "Wafer metrology", _P, True),
        ],
    },
    "biopharma": {
        "title": "Biopharmaceutical", "field": "Biomedicine",
        "words": ["Biologics", "Pharmaceutical", "Biotech", "Life Sciences"],
        "caps": [
            ("mab-cell-line", "Monoclonal antibody cell line", _R, False),
            ("bispecific-design", "Bispecific antibody design", _R, False),
            ("adc-linker", "ADC linker-payload", _R, False),
            ("mrna-lnp", "mRNA-LNP delivery", _R, True),
            ("car-t-vector", "CAR-T vector design", _R, False),
            ("ai-protein-design", "AI protein design", _R, False),
            ("preclinical-pkpd", "Preclinical PK/PD", _R, False),
            ("cell-culture-media", "Cell culture media", _P, True),
            ("single-use-bioreactor", "Single-use bioreactor", _P, True),
            ("chromatography-resin", "Chromatography resin", _P, True),
            ("protein-a-resin", "Protein A resin", _P, True),
            ("viral-vector-cmc", "Viral vector manufacturing", _P, False),
            ("aseptic-fill-finish", "Aseptic fill-finish", _P, False),
            ("biosimilar-analytics", "Biosimilar analytics", _P, False),
            ("cdmo-scale-up", "CDMO scale-up", _P, False),
            ("complex-api-synthesis", "Complex API synthesis", _P, False),
        ],
    },
    "photonics": {
        "title": "High-power laser", "field": "Optics and Photonics",
        "words": ["Photonics", "Laser", "Optoelectronics", "Optics"],
        "caps": [
            ("high-power-diode-laser", "High-power semiconductor laser", _P, False),
            ("laser-crystal", "Nonlinear laser crystal", _R, False),
            ("ultrafast-laser", "Ultrafast laser", _R, True),
            ("silicon-photonics", "Silicon photonics", _R, False),
            ("photonic-ic-design", "Photonic IC design", _R, False),
            ("infrared-fpa", "Infrared focal-plane detector", _R, True),
            ("fiber-laser-pump", "Fiber laser pump module", _P, False),
            ("vcsel-array", "VCSEL array", _P, False),
            ("precision-optical-coating", "Precision optical coating", _P, False),
            ("optical-transceiver-800g", "800G optical transceiver", _P, False),
            ("lidar-module", "LiDAR module", _P, False),
            ("beam-delivery-optics", "Beam delivery optics", _P, False),
            ("laser-welding-head", "Laser welding head", _P, False),
            ("gan-on-si-led", "GaN-on-Si LED epitaxy", _P, False),
        ],
    },
    "materials": {
        "title": "Advanced materials", "field": "Materials Science",
        "words": ["New Materials", "Advanced Materials", "Composites", "Alloy"],
        "caps": [
            ("ceramic-matrix-composite", "Ceramic matrix composite", _R, True),
            ("graphene-film", "Graphene film", _R, False),
            ("high-entropy-alloy", "High-entropy alloy", _R, False),
            ("perovskite-film", "Perovskite thin film", _R, False),
            ("carbon-fiber-t1000", "T1000 carbon fiber", _P, True),
            ("aramid-fiber", "Aramid fiber", _P, False),
            ("superalloy-casting", "Nickel superalloy casting", _P, True),
            ("ndfeb-magnet", "NdFeB rare-earth magnet", _P, False),
            ("polyimide-film", "Polyimide film", _P, True),
            ("uhmwpe-fiber", "UHMWPE fiber", _P, False),
            ("optical-fiber-preform", "Optical fiber preform", _P, False),
            ("titanium-alloy-powder", "Titanium alloy powder", _P, False),
            ("ultrathin-glass", "Ultra-thin specialty glass", _P, False),
            ("fluoropolymer-resin", "Fluoropolymer resin", _P, False),
            ("rare-earth-separation", "Rare-earth separation", _P, False),
        ],
    },
    "batteries": {
        "title": "Power battery", "field": "Energy Storage",
        "words": ["New Energy", "Battery", "Energy Storage", "Power Technology"],
        "caps": [
            ("solid-state-electrolyte", "Solid-state electrolyte", _R, False),
            ("sodium-ion-cathode", "Sodium-ion cathode", _R, False),
            ("silicon-carbon-anode", "Silicon-carbon anode", _R, False),
            ("lithium-metal-anode", "Lithium-metal anode", _R, False),
            ("flow-battery-stack", "Vanadium flow battery stack", _R, False),
            ("lfp-cathode", "LFP cathode", _P, False),
            ("high-nickel-cathode", "High-nickel cathode", _P, False),
            ("separator-film", "Battery separator film", _P, False),
            ("lipf6-electrolyte", "LiPF6 electrolyte", _P, False),
            ("battery-management-system", "Battery management system", _P, False),
            ("cell-to-pack", "Cell-to-pack integration", _P, False),
            ("battery-recycling", "Hydrometallurgical recycling", _P, False),
            ("pem-fuel-cell-stack", "PEM fuel cell stack", _P, True),
            ("proton-exchange-membrane", "Proton exchange membrane", _P, True),
        ],
    },
    "wearables": {
        "title": "Wearable technology", "field": "Information Devices",
        "words": ["Smart Devices", "Electronics", "Display", "Sensing"],
        "caps": [
            ("ppg-biosensor", "PPG biosensor algorithm", _R, False),
            ("flexible-oled", "Flexible OLED panel", _P, False),
            ("mems-imu", "MEMS inertial sensor", _P, False),
            ("ar-waveguide", "AR waveguide optics", _R, False),
            ("micro-led", "Micro-LED display", _R, False),
            ("flexible-micro-battery", "Flexible micro-battery", _R, False),
            ("ble-soc", "Low-power BLE SoC", _P, False),
            ("flexible-pcb", "Flexible PCB", _P, False),
            ("haptic-actuator", "Linear haptic actuator", _P, False),
            ("wearable-assembly", "Wearable device assembly", _P, False),
            ("mems-microphone", "MEMS microphone", _P, False),
            ("oled-emitter", "OLED emitter material", _P, True),
        ],
    },
    "aerospace": {
        "title": "Aerospace", "field": "Aeronautics and Astronautics",
        "words": ["Aerospace", "Aviation", "Space Technology", "Aero-Engine"],
        "caps": [
            ("hall-thruster", "Hall-effect thruster", _R, False),
            ("thermal-protection", "Hypersonic thermal protection", _R, False),
            ("flight-control-law", "Flight control law", _R, False),
            ("star-tracker", "Star tracker", _R, False),
            ("turbine-blade-casting", "Single-crystal turbine blade", _P, True),
            ("composite-fuselage", "Composite fuselage panel", _P, False),
            ("avionics-bus", "Avionics data bus", _P, True),
            ("small-satellite-bus", "Small-satellite bus", _P, False),
            ("titanium-forging", "Titanium forging", _P, False),
            ("landing-gear", "Landing gear system", _P, False),
            ("aero-engine-bearing", "Aero-engine main bearing", _P, True),
            ("solid-rocket-motor", "Solid rocket motor", _P, False),
        ],
    },
    "ai": {
        "title": "Artificial intelligence", "field": "Artificial Intelligence",
        "words": ["Intelligence", "Data", "Software", "Computing"],
        "caps": [
            ("large-model-training", "Large-model training", _R, False),
            ("ai-compiler", "AI compiler stack", _R, False),
            ("neuromorphic-chip", "Neuromorphic chip", _R, False),
            ("federated-learning", "Federated learning", _R, False),
            ("ai-accelerator", "AI accelerator chip", _P, True),
            ("industrial-os", "Industrial operating system", _P, False),
            ("cae-solver", "CAE solver", _P, True),
            ("industrial-tsdb", "Industrial time-series database", _P, False),
            ("machine-vision-software", "Machine-vision software", _P, False),
            ("speech-recognition", "Speech recognition engine", _P, False),
            ("gpu-server", "GPU server integration", _P, False),
        ],
    },
    "robotics": {
        "title": "Intelligent equipment", "field": "Robotics and Intelligent Manufacturing",
        "words": ["Robotics", "Intelligent Equipment", "Precision Machinery", "Automation"],
        "caps": [
            ("embodied-ai-control", "Embodied-AI control", _R, False),
            ("dexterous-hand", "Dexterous robot hand", _R, False),
            ("force-control", "Force-control algorithm", _R, False),
            ("harmonic-reducer", "Harmonic reducer", _P, False),
            ("rv-reducer", "RV reducer", _P, True),
            ("servo-drive", "Servo motor and drive", _P, False),
            ("cnc-controller", "High-end CNC controller", _P, True),
            ("five-axis-machine-tool", "Five-axis machine tool", _P, True),
            ("precision-bearing", "Precision bearing", _P, True),
            ("industrial-robot-arm", "Industrial robot arm", _P, False),
            ("six-axis-ft-sensor", "Six-axis force/torque sensor", _P, False),
            ("hydraulic-valve", "High-pressure hydraulic valve", _P, False),
        ],
    },
    "nev": {
        "title": "New-energy vehicle", "field": "Vehicle Engineering",
        "words": ["Automotive", "New Energy Vehicle", "Auto Parts", "Mobility"],
        "caps": [
            ("autonomous-driving-stack", "Autonomous driving stack", _R, False),
            ("cv2x-protocol", "C-V2X protocol stack", _R, False),
            ("sic-inverter-design", "SiC traction inverter design", _R, False),
            ("automotive-mcu", "Automotive-grade MCU", _P, True),
            ("integrated-e-axle", "Integrated e-axle", _P, False),
            ("automotive-igbt", "Automotive IGBT module", _P, False),
            ("heat-pump-thermal", "Heat-pump thermal management", _P, False),
            ("steer-by-wire", "Steer-by-wire system", _P, False),
            ("type4-hydrogen-tank", "Type IV hydrogen tank", _P, False),
            ("hairpin-drive-motor", "Hairpin drive motor", _P, False),
            ("domain-controller", "Domain controller", _P, False),
        ],
    },
    "meddevices": {
        "title": "High-end medical equipment", "field": "Biomedical Engineering",
        "words": ["Medical", "Medical Devices", "Healthcare Technology", "Imaging"],
        "caps": [
            ("surgical-robot", "Surgical robot", _R, False),
            ("pet-scintillator", "PET scintillation crystal", _R, False),
            ("ecmo-membrane", "ECMO oxygenator membrane", _R, True),
            ("photon-counting-ct", "Photon-counting CT detector", _R, True),
            ("mri-magnet", "Superconducting MRI magnet", _P, True),
            ("ct-detector", "CT detector module", _P, False),
            ("ultrasound-transducer", "Ultrasound transducer", _P, False),
            ("interventional-catheter", "Interventional catheter", _P, False),
            ("endoscope-optics", "Endoscope optics", _P, False),
            ("ivd-reagent", "IVD reagent", _P, False),
        ],
    },
    "quantum": {
        "title": "Quantum and communications", "field": "Quantum Information",
        "words": ["Quantum", "Communications", "RF Technology", "Information Technology"],
        "caps": [
            ("superconducting-qubit", "Superconducting qubit", _R, False),
            ("qkd-system", "Quantum key distribution", _R, False),
            ("snspd", "Superconducting single-photon detector", _R, False),
            ("cold-atom-sensor", "Cold-atom sensor", _R, False),
            ("dilution-refrigerator", "Dilution refrigerator", _R, True),
            ("baw-rf-filter", "BAW RF filter", _P, True),
            ("phased-array-antenna", "Phased-array antenna", _P, False),
            ("mmwave-front-end", "Millimeter-wave front end", _P, False),
            ("optical-switch", "Optical switch", _P, False),
            ("gan-rf-pa", "GaN RF power amplifier", _P, False),
        ],
    },
    "rail": {
        "title": "Rail transit equipment", "field": "Rail Transit",
        "words": ["Rail Transit", "Locomotive", "Heavy Industry", "Transportation Equipment"],
        "caps": [
            ("maglev-levitation", "Maglev levitation control", _R, False),
            ("wheel-rail-dynamics", "Wheel-rail dynamics", _R, False),
            ("traction-igbt", "Traction IGBT", _P, False),
            ("high-speed-bogie", "High-speed bogie", _P, False),
            ("shield-tunneling-machine", "Shield tunnelling machine", _P, False),
            ("pm-traction-motor", "Permanent-magnet traction motor", _P, False),
            ("high-speed-brake", "High-speed brake system", _P, True),
            ("cbtc-train-control", "CBTC train control", _P, False),
            ("pantograph", "High-speed pantograph", _P, False),
        ],
    },
}

# ---------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------
_INCENTIVES = {
    "institute": (0.20, ["milestone bonus", "knowledge-transfer reward"]),
    "lab": (0.15, ["major-project funding", "milestone bonus"]),
    "university": (0.12, ["knowledge-transfer reward", "talent evaluation credit"]),
    "enterprise": (0.08, ["R&D evaluation credit", "procurement preference"]),
    "sme": (0.15, ["subsidy", "listing fast track"]),
}

PRESETS: dict[str, dict[str, Any]] = {
    "small": {
        "description": "Suzhou-style city programme (13 consortia by 2023, seed 002)",
        "targets": 4, "actors": 40, "capabilities": 20, "sites": 4,
        "site_order": ["suzhou-sip", "shanghai-zhangjiang", "wuxi-hitech", "hangzhou-binjiang"],
        "sectors": ["semiconductors", "biopharma", "photonics", "wearables"],
        "ministries": ["miit"],
        "research_share": 0.35, "flagship_share": 0.0, "duplicates": 1, "blocked_share": 0.0,
        "open_share": 0.5, "mandatory": 1, "fixed": "full", "pool_cap": None,
        "distances": ([150, 200, 300, 500, 800, 1500, None],
                      [0.15, 0.15, 0.2, 0.15, 0.1, 0.1, 0.15]),
        "sponsor_frac": (0.6, 0.85), "total_frac": 0.75,
        "policy": {"max_state_share": 0.8, "min_private_members": 1, "min_outside_members": 1,
                   "foreign_can_lead": False,
                   "lead_types": {"research": ["institute", "lab"], "economic": ["enterprise"]},
                   "incentive_scale": 1.0},
    },
    "provincial": {
        "description": "Zhejiang-style provincial programme (50 consortia by 2027, seed 002)",
        "targets": 50, "actors": 2000, "capabilities": 100, "sites": 10,
        "site_order": ["hangzhou-binjiang", "hangzhou-future-sci-tech", "ningbo-hitech",
                       "shaoxing-binhai", "jiaxing-xiuzhou", "huzhou-moganshan",
                       "wenzhou-hitech", "jinhua-yiwu", "taizhou-bay", "quzhou-smart-city"],
        "sectors": None, "ministries": [],
        "research_share": 0.4, "flagship_share": 0.1, "duplicates": None, "blocked_share": 0.04,
        "open_share": 0.3, "mandatory": 2, "fixed": "forbidden", "pool_cap": None,
        "distances": ([150, 200, 300, 500, 800, 1000, 1500, None],
                      [0.15, 0.15, 0.2, 0.15, 0.1, 0.05, 0.05, 0.15]),
        "sponsor_frac": (0.5, 0.8), "total_frac": 0.6,
        "policy": {"max_state_share": 0.7, "min_private_members": 1, "min_outside_members": 0,
                   "foreign_can_lead": True,
                   "lead_types": {"research": ["institute", "lab"], "economic": ["enterprise"]},
                   "incentive_scale": 1.0},
    },
    "national": {
        "description": "National programme: hundreds of consortia across 35 clusters",
        "targets": 500, "actors": 15000, "capabilities": 300, "sites": 35,
        "site_order": [], "sectors": None, "ministries": ["miit", "most", "ndrc"],
        "research_share": 0.45, "flagship_share": 0.12, "duplicates": None,
        "blocked_share": 0.04, "open_share": 0.3, "mandatory": 4, "fixed": None,
        "pool_cap": 500,
        "distances": ([150, 200, 250, 300, 400, 500, 800, 1000, 1500, None],
                      [0.14, 0.14, 0.12, 0.14, 0.12, 0.1, 0.08, 0.06, 0.05, 0.05]),
        "sponsor_frac": (0.5, 0.8), "total_frac": 0.55,
        "policy": {"max_state_share": 0.9, "min_private_members": 0, "min_outside_members": 0,
                   "foreign_can_lead": False,
                   # names one mode only: the economic mode keeps its default
                   "lead_types": {"research": ["institute", "lab", "university"]},
                   "incentive_scale": 0.9},
    },
}

_TYPE_SHARES = {"sme": 0.58, "enterprise": 0.16, "institute": 0.12, "university": 0.11,
                "lab": 0.03}
_OWNERSHIP = {  # type -> (state, private, foreign)
    "enterprise": (0.62, 0.28, 0.10), "sme": (0.06, 0.87, 0.07),
    "institute": (0.90, 0.10, 0.0), "university": (1.0, 0.0, 0.0), "lab": (1.0, 0.0, 0.0),
}
_NCAPS = {  # type -> (values, probabilities)
    "sme": ([2, 3, 4], [0.45, 0.35, 0.20]),
    "enterprise": ([3, 4, 5, 6], [0.25, 0.30, 0.25, 0.20]),
    "institute": ([3, 4, 5, 6], [0.30, 0.30, 0.25, 0.15]),
    "university": ([2, 3, 4, 5], [0.25, 0.35, 0.25, 0.15]),
    "lab": ([3, 4, 5, 6], [0.20, 0.30, 0.30, 0.20]),
}
_STAGE_PREF = {  # type -> weight of (research, production) capabilities
    "sme": (0.5, 3.0), "enterprise": (1.0, 3.0), "institute": (3.0, 1.0),
    "university": (3.0, 1.0), "lab": (3.0, 0.8),
}
_LEVEL_MEAN = {  # (type, stage) -> mean readiness level
    ("institute", _R): 6.2, ("institute", _P): 4.2, ("university", _R): 5.8,
    ("university", _P): 3.8, ("lab", _R): 7.0, ("lab", _P): 4.5,
    ("enterprise", _R): 4.8, ("enterprise", _P): 7.0, ("sme", _R): 4.0, ("sme", _P): 6.3,
}
_COST = {  # type -> (median CNY million, sigma)
    "enterprise": (9.0, 0.4), "sme": (2.2, 0.4), "institute": (5.0, 0.35),
    "university": (3.2, 0.35), "lab": (8.0, 0.3),
}
_MAX_CONSORTIA = {
    "enterprise": ([2, 3], [0.5, 0.5]), "sme": ([1, 2], [0.6, 0.4]),
    "institute": ([2, 3], [0.6, 0.4]), "university": ([1, 2, 3], [0.3, 0.4, 0.3]),
    "lab": ([2, 3], [0.4, 0.6]),
}

_BRANDS = ["Huarui", "Xinyuan", "Tianhe", "Hengtong", "Ruike", "Jingwei", "Zhongcheng",
           "Boyuan", "Lianchuang", "Kaixin", "Mingyang", "Yongxin", "Haiguang", "Changxin",
           "Shengda", "Anxin", "Dingtai", "Weixing", "Jiahe", "Ronghua", "Xinghe", "Guoxin",
           "Huachuang", "Ziguang", "Tongfang", "Jinpan", "Yuanjing", "Zhihui", "Qianfan",
           "Lingyun"]
_STATE_PREFIX = ["China", "Sino", "National", "Guoke", "Zhongke", "CETC", "AVIC", "CASC"]
_FOREIGN = ["Nordtek", "Alpenwerk", "Kitano", "Hanseong", "Vexar", "Lumicore", "Brightmoor",
            "Sakurai", "Delacroix", "Rheinfeld", "Oakridge", "Valmont"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def _ceil2(x: float) -> float:
    return math.ceil(x * 100.0 - 1e-9) / 100.0


def _r2(x: float) -> float:
    return float(round(float(x), 2))


def _quota(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder apportionment of ``total`` by ``weights``."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(weights)
    exact = w / w.sum() * total
    base = np.floor(exact).astype(int)
    rem = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    for i in order[:rem]:
        base[i] += 1
    return [int(v) for v in base]


def _slug(s: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in s)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def _pick(rng: np.random.Generator, values, probs):
    """One draw from ``values`` with (unnormalised) ``probs``."""
    u = rng.random() * float(sum(probs))
    acc = 0.0
    for v, p in zip(values, probs):
        acc += p
        if u < acc:
            return v
    return values[-1]


def _pick_many(rng: np.random.Generator, values, probs, n: int) -> np.ndarray:
    """``n`` independent draws from ``values`` with (unnormalised) ``probs``."""
    p = np.asarray(probs, dtype=float)
    cum = np.cumsum(p / p.sum())
    idx = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(values) - 1)
    return np.asarray(values, dtype=object)[idx] if n else np.asarray([], dtype=object)


# ---------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------
class _Gen:
    def __init__(self, preset: str, cfg: dict[str, Any], seed: int, name: str):
        self.preset = preset
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)
        self.name = name
        self.T = int(cfg["targets"])
        self.N = int(cfg["actors"])
        self.C = int(cfg["capabilities"])
        self.S = int(cfg["sites"])

    # -- sites, sectors, capabilities ------------------------------------
    def make_sites(self) -> None:
        order = list(self.cfg["site_order"]) + [s[0] for s in SITES]
        seen: list[str] = []
        for sid in order:
            if sid not in seen:
                seen.append(sid)
        by_id = {s[0]: s for s in SITES}
        self.sites = [by_id[sid] for sid in seen[: self.S]]
        self.site_w = np.array([s[6] for s in self.sites], dtype=float)
        self.site_lat = np.array([s[4] for s in self.sites])
        self.site_lon = np.array([s[5] for s in self.sites])

    def make_sectors(self) -> None:
        if self.cfg.get("sectors"):
            cand = list(self.cfg["sectors"])
        else:
            tot = {k: 0.0 for k in SECTORS}
            for s in self.sites:
                for k, w in s[7].items():
                    tot[k] += s[6] * w
            cand = [k for k in sorted(SECTORS, key=lambda k: (-tot[k], list(SECTORS).index(k)))
                    if tot[k] > 0]
        n = max(1, min(len(cand), self.C // 5))
        self.sectors = cand[:n]
        # per-site sector weights restricted to active sectors (uniform fallback)
        K = len(self.sectors)
        self.site_sec = np.zeros((self.S, K))
        for i, s in enumerate(self.sites):
            for j, k in enumerate(self.sectors):
                self.site_sec[i, j] = s[7].get(k, 0.0)
            if self.site_sec[i].sum() <= 0:
                self.site_sec[i] = 0.3
        self.sector_w = (self.site_sec * self.site_w[:, None]).sum(axis=0)

    def make_capabilities(self) -> None:
        rng = self.rng
        K = len(self.sectors)
        counts = _quota(self.C, list(np.sqrt(self.sector_w)))
        if self.C >= 2 * K:  # at least two capabilities per sector
            while min(counts) < 2:
                i, j = int(np.argmin(counts)), int(np.argmax(counts))
                counts[i] += 1
                counts[j] -= 1
        caps: list[tuple[str, str, int, bool, int]] = []  # id, name, stage, prior, sector
        for j, k in enumerate(self.sectors):
            table = SECTORS[k]["caps"]
            # the first three entries are the sector's signature technologies
            # (SiC substrate, mAb cell line, high-power laser, ...): always kept
            head = min(3, len(table))
            perm = np.concatenate([np.arange(head), head + rng.permutation(len(table) - head)])
            for m in range(counts[j]):
                cid, cname, stage, prior = table[int(perm[m % len(table)])]
                gen = m // len(table) + 1
                if gen > 1:
                    cid, cname = f"{cid}-{gen}", f"{cname}, variant {gen}"
                caps.append((cid, cname, stage, prior, j))
        self.caps = caps
        C = len(caps)
        self.cap_sector = np.array([c[4] for c in caps], dtype=int)
        self.cap_stage = np.array([c[2] for c in caps], dtype=int)
        self.cap_pop = rng.gamma(2.0, 1.0, size=C) + 0.2
        # chokepoints: 15-20 %, preferring the historically chokepoint-prone ones
        n_ch = int(round(rng.uniform(0.15, 0.20) * C)) if C >= 3 else 0
        w = np.array([20.0 if c[3] else 1.0 for c in caps])
        self.choke = np.zeros(C, dtype=bool)
        self.foreign_only = np.zeros(C, dtype=bool)
        if n_ch:
            ch = rng.choice(C, size=n_ch, replace=False, p=w / w.sum())
            self.choke[ch] = True
            for c in ch:
                self.foreign_only[c] = rng.random() < 0.35

    # -- actors ------------------------------------------------------------
    def make_actors(self) -> None:
        rng, N = self.rng, self.N
        site_counts = _quota(N, list(self.site_w))
        home = np.repeat(np.arange(self.S), site_counts)
        types = np.array(sum(([t] * n for t, n in zip(
            _TYPE_SHARES, _quota(N, list(_TYPE_SHARES.values())))), []), dtype=object)
        rng.shuffle(types)
        # every site with 3+ actors gets both ends of the chain
        for s in range(self.S):
            idx = np.flatnonzero(home == s)
            if len(idx) < 3:
                continue
            for want in (R_TYPES, E_TYPES):
                if not any(types[i] in want for i in idx):
                    donors = [i for i in range(N) if home[i] != s and types[i] in want]
                    if donors:
                        d = donors[int(rng.integers(len(donors)))]
                        j = idx[int(rng.integers(len(idx)))]
                        types[d], types[j] = types[j], types[d]
        perm = rng.permutation(N)
        home, types = home[perm], types[perm]
        self.home, self.types = home, types
        own = np.empty(N, dtype=object)
        for t in TYPES:
            idx = np.flatnonzero(types == t)
            own[idx] = _pick_many(rng, ["state", "private", "foreign"], _OWNERSHIP[t], len(idx))
        self.own = own
        self.foreign = own == "foreign"
        self.is_R = np.isin(types, R_TYPES)
        self.is_E = ~self.is_R
        self.state_ent = self.is_E & (own == "state")
        self.private = own == "private"
        self.region = np.array([self.sites[h][3] for h in home], dtype=object)
        # location: lognormal distance from the home site, bigger clusters spread wider
        med = 8.0 + 1.2 * self.site_w[home]
        d = np.clip(med * np.exp(rng.normal(0.0, 0.7, size=N)), 1.0, 80.0)
        bearing = rng.uniform(0.0, 2.0 * np.pi, size=N)
        lat0, lon0 = self.site_lat[home], self.site_lon[home]
        self.lat = np.round(lat0 + d * np.cos(bearing) / 111.2, 4)
        self.lon = np.round(lon0 + d * np.sin(bearing) / (111.2 * np.cos(np.radians(lat0))), 4)
        # sector and capabilities
        K = len(self.sectors)
        C = len(self.caps)
        sec = np.empty(N, dtype=int)
        for s in range(self.S):
            idx = np.flatnonzero(home == s)
            sec[idx] = _pick_many(rng, list(range(K)), self.site_sec[s], len(idx)).astype(int)
        self.sector = sec
        ncap = np.empty(N, dtype=int)
        for t in TYPES:
            idx = np.flatnonzero(types == t)
            ncap[idx] = _pick_many(rng, *_NCAPS[t], len(idx)).astype(int)
        second = rng.random(N) < 0.15  # one capability from a second sector
        other_sec = _pick_many(rng, list(range(K)), self.sector_w, N).astype(int)
        noise = rng.normal(0.0, 1.1, size=(N, 6))
        lev = np.zeros((N, C), dtype=np.int8)
        caps_of_sector = [np.flatnonzero(self.cap_sector == j) for j in range(K)]
        # per (type, sector) sampling weights of capabilities
        prefs = {}
        for t in TYPES:
            for j in range(K):
                pool = caps_of_sector[j]
                p = self.cap_pop[pool] * np.array(_STAGE_PREF[t])[self.cap_stage[pool]]
                prefs[(t, j)] = np.log(p) if len(pool) else p
        for i in range(N):
            t = types[i]
            pool = caps_of_sector[sec[i]]
            if len(pool) == 0:
                continue
            k = min(len(pool), int(ncap[i]))
            # weighted sampling without replacement (Gumbel top-k)
            keys = prefs[(t, sec[i])] + rng.gumbel(size=len(pool))
            chosen = [int(c) for c in pool[np.argsort(-keys, kind="stable")[:k]]]
            if K > 1 and second[i] and other_sec[i] != sec[i]:
                opool = [int(c) for c in caps_of_sector[other_sec[i]] if c not in chosen]
                if opool:
                    chosen[-1] = opool[int(rng.integers(len(opool)))]
            bonus = 0.8 if self.foreign[i] else 0.0
            for m, c in enumerate(chosen):
                mu = _LEVEL_MEAN[(t, int(self.cap_stage[c]))] + bonus
                lev[i, c] = min(9, max(1, int(round(mu + noise[i, m]))))
        # chokepoints: few strong domestic holders (or none), foreign holders strong
        foreign_idx = np.flatnonzero(self.foreign)
        for c in np.flatnonzero(self.choke):
            dom = np.flatnonzero((lev[:, c] > 0) & ~self.foreign)
            keep: set[int] = set()
            if not self.foreign_only[c] and len(dom):
                n_keep = min(len(dom), int(rng.integers(1, 4)) + N // 5000)
                order = dom[np.argsort(-lev[dom, c], kind="stable")]
                keep = set(int(a) for a in order[:n_keep])
                for a in keep:
                    lev[a, c] = max(int(lev[a, c]), int(rng.integers(6, 8)))
            for a in dom:
                if int(a) not in keep:
                    lev[a, c] = min(int(lev[a, c]), int(rng.integers(2, 4)))
            if len(foreign_idx):
                room = foreign_idx[(lev[foreign_idx] > 0).sum(axis=1) < 6]  # keep 2-6 each
                same = room[sec[room] == self.cap_sector[c]]
                src = same if len(same) else room
                nf = min(len(src), int(rng.integers(1, 4)))
                for a in rng.choice(src, size=nf, replace=False):
                    lev[a, c] = max(int(lev[a, c]), int(rng.integers(7, 10)))
        self.lev = lev
        self.scaps = [np.flatnonzero(self.cap_sector == j) for j in range(K)]
        self.lev_sec = [np.ascontiguousarray(lev[:, sc]) for sc in self.scaps]
        # costs and capacities
        med = np.array([_COST[t][0] for t in types])
        sig = np.array([_COST[t][1] for t in types])
        z = rng.normal(0.0, 1.0, size=N)
        cost = np.maximum(0.3, np.round(med * np.exp(sig * z) * np.where(self.foreign, 1.3, 1.0),
                                        2))
        # only strong actors may lead: all labs, some institutes, the larger
        # ("chain master") enterprises, a few universities
        p_lead = np.zeros(N)
        p_lead[types == "lab"] = 1.0
        p_lead[types == "institute"] = 0.4
        p_lead[types == "university"] = 0.1
        ent = types == "enterprise"
        for o, p in (("state", 0.5), ("private", 0.35), ("foreign", 0.25)):
            p_lead[ent & (own == o)] = p
        can = rng.random(N) < p_lead
        frac = rng.uniform(0.3, 0.6, size=N)
        lead_cost = np.where(can, np.maximum(0.1, np.round(cost * frac, 2)), np.nan)
        two = rng.random(N) < 0.4
        maxc = np.empty(N, dtype=int)
        for t in TYPES:
            idx = np.flatnonzero(types == t)
            maxc[idx] = _pick_many(rng, *_MAX_CONSORTIA[t], len(idx)).astype(int)
        maxl = np.where(can & np.isin(types, ["enterprise", "lab"]) & two, 2, 1)
        maxl = np.minimum(maxl, maxc)
        self.cost, self.lead_cost, self.maxc, self.maxl = cost, lead_cost, maxc, maxl
        self.names = [self._actor_name(i) for i in range(N)]
        self.dist = _haversine(self.site_lat[:, None], self.site_lon[:, None],
                               self.lat[None, :], self.lon[None, :])  # S x N

    def _actor_name(self, i: int) -> str:
        rng = self.rng
        city = self.sites[self.home[i]][2]
        prov = PROVINCES[self.sites[self.home[i]][3]]
        sec = SECTORS[self.sectors[self.sector[i]]]
        word = sec["words"][int(rng.integers(len(sec["words"])))]
        brand = _BRANDS[int(rng.integers(len(_BRANDS)))]
        t, o = self.types[i], self.own[i]
        if o == "foreign":
            f = _FOREIGN[int(rng.integers(len(_FOREIGN)))]
            return f"{f} {word} ({city}) Co., Ltd."
        if t == "enterprise":
            if o == "state":
                pre = _STATE_PREFIX[int(rng.integers(len(_STATE_PREFIX)))]
                return f"{pre} {word} Group ({city}) Co."
            return f"{brand} {word} Co., Ltd."
        if t == "sme":
            return f"{city} {brand} {word} Technology Co., Ltd."
        field = sec["field"]
        if t == "institute":
            form = int(rng.integers(3))
            if form == 0:
                return f"{city} Institute of {field}"
            if form == 1:
                return f"CAS {city} Institute of {field}"
            return f"{prov} Academy of {field}"
        if t == "university":
            if int(rng.integers(2)):
                return f"{city} University ({field} school)"
            return f"{city} University of Science and Technology"
        return f"{field} National Laboratory ({city} base)"

    # -- policy --------------------------------------------------------------
    def make_policy(self) -> None:
        p = self.cfg["policy"]
        scale = p.get("incentive_scale", 1.0)
        self.incentives = {t: {"bonus_rate": round(r * scale, 3), "instruments": list(ins)}
                           for t, (r, ins) in _INCENTIVES.items()}
        self.rate = np.array([self.incentives[t]["bonus_rate"] for t in self.types])
        lt = {"research": ["institute", "lab"], "economic": ["enterprise"]}
        lt.update(p["lead_types"])
        has = ~np.isnan(self.lead_cost)
        fcl = bool(p["foreign_can_lead"])
        self.may_lead = {m: has & np.isin(self.types, lt[m]) & (fcl | ~self.foreign) for m in lt}
        self.policy = {
            "total_budget": None,  # filled in later
            "require_both_ends": True,
            "no_free_riders": True,
            "max_state_share": p["max_state_share"],
            "min_private_members": p["min_private_members"],
            "min_outside_members": p["min_outside_members"],
            "chokepoints_domestic_only": True,
            "foreign_can_lead": fcl,
            "lead_types": {m: list(v) for m, v in p["lead_types"].items()},
            "weights": {"value": 1.0, "cost": 1.0, "distance": 0.001, "ties": 0.1},
            "incentives": self.incentives,
        }

    # -- sponsors ----------------------------------------------------------
    def make_sponsor_candidates(self) -> None:
        self.sponsor_defs: dict[str, dict[str, Any]] = {}
        for s in self.sites:
            city, prov = s[2], s[3]
            if city in CITY_SPONSORS:
                sid = _slug(city)
                self.sponsor_defs.setdefault(sid, {"id": sid, "name": f"{city} Municipal "
                                                   "Government", "region": prov})
            pid = _slug(PROVINCES[prov])
            kind = "Municipal" if prov in MUNICIPALITIES else "Provincial"
            self.sponsor_defs.setdefault(pid, {"id": pid, "name": f"{PROVINCES[prov]} {kind} "
                                               "Government", "region": prov})
        for m in self.cfg["ministries"]:
            self.sponsor_defs[m] = {"id": m, "name": MINISTRIES[m]}

    def pick_sponsor(self, site: int) -> str | None:
        s = self.sites[site]
        opts, w = [], []
        if s[2] in CITY_SPONSORS:
            opts.append(_slug(s[2]))
            w.append(0.45)
        opts.append(_slug(PROVINCES[s[3]]))
        w.append(0.35 if len(opts) == 2 else 0.8)
        for m in self.cfg["ministries"]:
            opts.append(m)
            w.append(0.17 / len(self.cfg["ministries"]))
        if self.cfg["ministries"]:
            opts.append(None)
            w.append(0.03)
        return _pick(self.rng, opts, w)

    # -- targets -------------------------------------------------------------
    def _requirements(self, tinfo, pool, dup_caps):
        """Pick requirements that the pool can meet.  Returns list of (c, L, r)."""
        rng = self.rng
        j, mode, flagship = tinfo["sector"], tinfo["mode"], tinfo["flagship"]
        scaps = self.scaps[j]
        if len(pool) == 0 or len(scaps) == 0:
            return None
        sub = self.lev_sec[j][pool]
        allowed = ~(self.choke[scaps][None, :] & self.foreign[pool][:, None])
        ok = (sub >= 4) & allowed
        supply = ok.sum(axis=0)
        avail = np.flatnonzero(supply > 0)
        if len(avail) == 0:
            return None
        if flagship:
            n_req = int(_pick(rng, [5, 6], [0.5, 0.5]))
        elif mode == "research":
            n_req = int(_pick(rng, [3, 4, 5, 6], [0.3, 0.35, 0.25, 0.1]))
        else:
            n_req = int(_pick(rng, [2, 3, 4, 5], [0.25, 0.35, 0.25, 0.15]))
        n_req = min(n_req, len(avail))
        stage_w = (np.array([3.0, 1.0]) if mode == "research" else np.array([1.0, 3.0]))
        w = stage_w[self.cap_stage[scaps[avail]]] * np.sqrt(supply[avail])
        if dup_caps:
            w = w * np.array([10.0 if int(scaps[a]) in dup_caps else 1.0 for a in avail])
        # a chokepoint with domestic holders nearby is a natural agenda item
        ch = [a for a in avail if self.choke[scaps[a]]]
        first: list[int] = []
        if ch and rng.random() < (0.5 if mode == "research" else 0.3):
            first = [ch[int(rng.integers(len(ch)))]]
        rest = [a for a in avail if a not in first]
        wr = np.array([w[list(avail).index(a)] for a in rest])
        n_more = min(len(rest), n_req - len(first))
        more = list(rng.choice(rest, size=n_more, replace=False, p=wr / wr.sum())) if n_more else []
        reqs = []
        for a in first + more:
            c = int(scaps[a])
            col = sub[:, a][ok[:, a]]
            lv = np.sort(col)[::-1]
            if flagship:
                r = int(_pick(rng, [1, 2, 3], [0.3, 0.5, 0.2]))
            else:
                r = int(_pick(rng, [1, 2, 3], [0.6, 0.32, 0.08]))
            if self.choke[c]:
                r = 1
            r = max(1, min(r, len(lv)))
            slack = int(rng.integers(0, 3))
            cap_lv = int(lv[min(len(lv) - 1, r - 1 + slack)])
            if self.cap_stage[c] == RESEARCH:
                want = int(rng.integers(4, 8))
            else:
                want = int(rng.integers(5, 9))
            L = int(min(8, max(4, min(want, cap_lv))))
            reqs.append((c, L, r))
        return reqs

    def _blocked_req(self, j):
        fo = np.flatnonzero((self.cap_sector == j) & self.foreign_only)
        if len(fo) == 0:
            return None
        return (int(fo[int(self.rng.integers(len(fo)))]), int(self.rng.integers(5, 8)), 1)

    def _elig(self, reqs, pool):
        out = []
        for c, L, _ in reqs:
            m = self.lev[pool, c] >= L
            if self.choke[c]:
                m &= ~self.foreign[pool]
            out.append(pool[m])
        return out

    def _witness(self, tinfo, reqs, elig, pool, sponsor_region, ec):
        """Cheapest consortium around the primary site meeting every rule; or None."""
        rng = self.rng
        pol = self.policy
        mode = tinfo["mode"]
        leads = pool[self.may_lead[mode][pool]]
        if len(leads) == 0:
            return None
        req_caps = [c for c, _, _ in reqs]
        deliv = np.zeros(len(leads))
        for e in elig:
            deliv += np.isin(leads, e)
        insector = (self.lev[np.ix_(leads, req_caps)] > 0).any(axis=1) if req_caps else 0
        score = 3.0 * deliv + 2.0 * insector + rng.gumbel(0.0, 1.0, size=len(leads))
        lead = int(leads[int(np.argmax(score))])
        members = [lead]
        mset = {lead}
        eset = [set(int(a) for a in e) for e in elig]
        by_cost = [sorted((int(a) for a in e), key=lambda a: (ec[a], a)) for e in elig]
        assign: list[list[int]] = [[] for _ in reqs]
        for k in sorted(range(len(reqs)), key=lambda k: (len(elig[k]), k)):
            r = reqs[k][2]
            chosen = [a for a in members if a in eset[k]][:r]
            for a in by_cost[k]:
                if len(chosen) >= r:
                    break
                if a not in mset:
                    chosen.append(a)
                    members.append(a)
                    mset.add(a)
            if len(chosen) < r:
                return None
            assign[k] = chosen
        union = sorted({a for e in eset for a in e}, key=lambda a: (ec[a], a))

        def add(pred) -> bool:
            for a in union:
                if a not in mset and pred(a):
                    members.append(a)
                    mset.add(a)
                    k = next(k for k in range(len(reqs)) if a in eset[k])
                    assign[k].append(a)
                    return True
            return False

        share = pol["max_state_share"]

        def share_ok(extra_state: int = 0, extra: int = 0) -> bool:
            n_state = sum(1 for a in members if self.state_ent[a]) + extra_state
            return n_state <= share * (len(members) + extra) + 1e-9

        if not any(self.is_R[a] for a in members) and not add(lambda a: self.is_R[a]):
            return None
        if not any(self.is_E[a] for a in members) and not add(
                lambda a: self.is_E[a] and not self.state_ent[a]) and not add(
                lambda a: self.is_E[a]):
            return None
        while sum(1 for a in members if self.private[a]) < pol["min_private_members"]:
            if not add(lambda a: self.private[a]):
                return None
        if sponsor_region is not None:
            while sum(1 for a in members
                      if self.region[a] != sponsor_region) < pol["min_outside_members"]:
                if not add(lambda a: self.region[a] != sponsor_region
                           and not self.state_ent[a]) and not add(
                        lambda a: self.region[a] != sponsor_region):
                    return None
        while not share_ok():
            if not add(lambda a: not self.state_ent[a]):
                return None
        # size
        if tinfo["flagship"]:
            min_m = int(rng.integers(12, 19))
        else:
            min_m = int(_pick(rng, [0, 2, 3, 3, 4, 5], [0.1, 0.2, 0.3, 0.15, 0.15, 0.1]))
        while len(members) < min_m:
            if not add(lambda a: share_ok(int(self.state_ent[a]), 1)):
                break
        min_m = min(min_m, len(members))
        spend = float(sum(ec[a] for a in members))
        spend += (1.0 + self.rate[lead]) * self.lead_cost[lead]
        return {"lead": lead, "members": members, "assign": assign, "spend": float(spend),
                "min_members": min_m, "site": tinfo["primary"]}

    def make_targets(self) -> None:
        rng, cfg = self.rng, self.cfg
        T = self.T
        K = len(self.sectors)
        dvals, dprobs = cfg["distances"]
        dvals = list(dvals)
        finite = sorted(v for v in dvals if v is not None)
        ladder = finite + ([None] if None in dvals else [])
        n_dup = cfg["duplicates"]
        if n_dup is None:
            n_dup = int(round(0.06 * T))
        n_dup = min(n_dup, T // 2) if T >= 3 else 0
        dup_slots = set(int(x) for x in (rng.choice(np.arange(1, T), size=n_dup, replace=False)
                                         if n_dup else []))
        n_block = int(round(cfg["blocked_share"] * T))
        block_slots = set(int(x) for x in (rng.choice(T, size=n_block, replace=False)
                                           if n_block else []))
        n_res = int(round(cfg["research_share"] * T))
        research_slots = set(int(x) for x in rng.permutation(T)[:n_res])
        self.targets: list[dict[str, Any]] = []
        self.bids: dict[int, dict[str, float]] = {}
        self.exclusive: list[list[int]] = []
        width = max(3, len(str(T)))
        for ti in range(T):
            tid = f"t{ti + 1:0{width}d}"
            dup_of = None
            if ti in dup_slots:
                cands = [u for u in range(ti) if self.targets[u]["witness"] is not None
                         and not self.targets[u]["blocked"]]
                if cands:
                    dup_of = cands[int(rng.integers(len(cands)))]
            if dup_of is not None:
                src = self.targets[dup_of]
                j, mode, flagship = src["sector"], src["mode"], False
            else:
                j = int(rng.choice(K, p=self.sector_w / self.sector_w.sum()))
                mode = "research" if ti in research_slots else "economic"
                flagship = mode == "research" and rng.random() < cfg["flagship_share"]
            sw = self.site_w * self.site_sec[:, j]
            if sw.sum() <= 0:
                sw = self.site_w.copy()
            if dup_of is not None and (sw > 0).sum() > 1:
                sw = sw.copy()
                sw[self.targets[dup_of]["primary"]] = 0.0
            primary = int(rng.choice(self.S, p=sw / sw.sum()))
            sponsor = self.pick_sponsor(primary)
            if dup_of is not None and sponsor == self.targets[dup_of]["sponsor"]:
                sponsor = self.pick_sponsor(primary)
            sreg = self.sponsor_defs[sponsor].get("region") if sponsor else None
            D = _pick(rng, dvals, dprobs)
            tinfo = {"id": tid, "sector": j, "mode": mode, "flagship": flagship,
                     "primary": primary, "sponsor": sponsor, "dup_of": dup_of,
                     "blocked": ti in block_slots}
            dup_caps = (set(c for c, _, _ in self.targets[dup_of]["reqs"])
                        if dup_of is not None else set())
            open_call = rng.random() < cfg["open_share"]
            result = None
            cap = cfg["pool_cap"]

            def attempt(D, capped):
                """Build the target at radius D: ("ok", result), ("over", None) or
                ("fail", None)."""
                pool = (np.arange(self.N) if D is None
                        else np.flatnonzero(self.dist[primary] <= D - 0.01))
                reqs = self._requirements(tinfo, pool, dup_caps)
                if reqs is None:
                    return "fail", None
                elig = self._elig(reqs, pool)
                reach = set().union(*[set(e.tolist()) for e in elig])
                if capped and cap is not None:
                    n_any = len(reach | set(pool[self.may_lead[mode][pool]].tolist()))
                    if n_any > cap:
                        return "over", None
                bids = {}
                if open_call:
                    bidders = sorted(reach)
                    u_b = rng.random(len(bidders))
                    for a, u in zip(bidders, u_b):
                        if u < 0.3 and self.types[a] != "university" and len(bids) < 12:
                            bids[a] = max(0.1, _r2(self.cost[a] * rng.uniform(0.8, 0.97)))
                base = self.cost.copy()
                for a, b in bids.items():
                    base[a] = b
                ec = (1.0 + self.rate) * base
                wit = self._witness(tinfo, reqs, elig, pool, sreg, ec)
                if wit is None:
                    return "fail", None
                return "ok", (D, reqs, wit, bids)

            # shrink the radius while too many actors are in reach, widen it when
            # no witness exists; as a last resort accept the smallest over-cap radius
            tried: set[Any] = set()
            over: list[Any] = []
            for _attempt in range(8):
                tried.add(D)
                status, res = attempt(D, True)
                pos = ladder.index(D)
                if status == "ok":
                    result = res
                    break
                if status == "over":
                    over.append(D)
                    nxt = [v for v in ladder[:pos][::-1] if v not in tried][:1]
                else:
                    nxt = [v for v in ladder[pos + 1:] if v not in tried][:1]
                if not nxt:
                    break
                D = nxt[0]
            if result is None and over:
                D = min(over, key=lambda v: math.inf if v is None else v)
                status, res = attempt(D, False)
                if status == "ok":
                    result = res
            if result is None:
                # unformable fallback target: requirements from the sector catalogue
                scaps = np.flatnonzero(self.cap_sector == j)
                n = min(len(scaps), int(rng.integers(2, 5)))
                chosen = rng.choice(scaps, size=n, replace=False) if n else []
                reqs = [(int(c), int(rng.integers(4, 9)), 1) for c in chosen]
                wit, bids = None, {}
            else:
                D, reqs, wit, bids = result
            if tinfo["blocked"]:
                br = self._blocked_req(j)
                if br is not None and br[0] not in [c for c, _, _ in reqs]:
                    reqs = reqs + [br]
                else:
                    tinfo["blocked"] = False
            for a, b in bids.items():
                self.bids.setdefault(a, {})[tid] = b
            # candidate sites
            n_sites = int(_pick(rng, [1, 2, 3], [0.45, 0.35, 0.2]))
            others = [s for s in range(self.S) if s != primary and self.site_sec[s, j] > 0]
            sites = [primary]
            if others and n_sites > 1:
                w = np.array([self.site_w[s] * self.site_sec[s, j]
                              * (3.0 if self.sites[s][3] == self.sites[primary][3] else 1.0)
                              for s in others])
                extra = rng.choice(others, size=min(len(others), n_sites - 1), replace=False,
                                   p=w / w.sum())
                sites += [int(s) for s in extra]
            tinfo.update({"reqs": reqs, "witness": wit, "D": D, "sites": sites,
                          "blocked": tinfo["blocked"]})
            if dup_of is not None:
                grp = next((g for g in self.exclusive if dup_of in g), None)
                if grp is None:
                    self.exclusive.append([dup_of, ti])
                else:
                    grp.append(ti)
            self.targets.append(tinfo)
        # every ministry of the preset sponsors something (dropping a sponsor
        # region only relaxes min_outside_members, so witnesses stay valid)
        used = {t["sponsor"] for t in self.targets}
        for m in self.cfg["ministries"]:
            regional = [i for i, t in enumerate(self.targets)
                        if t["sponsor"] is not None and t["sponsor"] not in MINISTRIES]
            if m not in used and len(regional) > 1:
                self.targets[regional[int(rng.integers(len(regional)))]]["sponsor"] = m
                used.add(m)
        # value, budget, size bounds
        spends = [t["witness"]["spend"] for t in self.targets if t["witness"] is not None]
        typical = float(np.median(spends)) if spends else 30.0
        for t in self.targets:
            w = t["witness"]
            base_spend = w["spend"] if w is not None else typical
            factor = math.exp(rng.normal(0.3, 0.35))
            if t["flagship"]:
                factor *= 1.15
            t["value"] = _r2(base_spend * factor)
            t["budget"] = (_ceil2(base_spend * rng.uniform(1.05, 1.5))
                           if rng.random() < 0.4 else None)
            size = len(w["members"]) if w is not None else 1
            min_m = w["min_members"] if w is not None else 2
            if t["flagship"]:
                max_m = max(25, size)
            elif rng.random() < 0.85:
                max_m = max(size, min_m) + int(rng.integers(2, 11))
            else:
                max_m = None
            t["min_members"] = min_m
            t["max_members"] = max_m

    # -- mandatory, ties, conflicts, fixed --------------------------------
    def make_mandatory(self) -> None:
        rng = self.rng
        in_excl = {u for g in self.exclusive for u in g}
        cands = [i for i, t in enumerate(self.targets)
                 if t["witness"] is not None and not t["blocked"] and i not in in_excl]
        cands = [cands[int(k)] for k in rng.permutation(len(cands))]
        chosen: list[int] = []
        used: set[int] = set()
        for i in cands:
            if len(chosen) >= self.cfg["mandatory"]:
                break
            mem = set(self.targets[i]["witness"]["members"])
            if mem & used:
                continue
            chosen.append(i)
            used |= mem
        self.mandatory = chosen
        for i in chosen:
            self.targets[i]["mandatory"] = True

    def make_ties(self) -> None:
        rng, N = self.rng, self.N
        self.ties: list[tuple[int, int, float]] = []
        if N < 2:
            return
        n_ties = int(round(1.2 * N))
        by_site: dict[int, np.ndarray] = {s: np.flatnonzero(self.home == s)
                                          for s in range(self.S)}
        by_site_sec: dict[tuple[int, int], np.ndarray] = {}
        for s in range(self.S):
            for j in range(len(self.sectors)):
                by_site_sec[(s, j)] = by_site[s][self.sector[by_site[s]] == j]
        by_sec = {j: np.flatnonzero(self.sector == j) for j in range(len(self.sectors))}
        M = 3 * n_ties
        A = rng.integers(0, N, size=M)
        U = rng.random(M)
        V = rng.random(M)
        W = np.round(rng.uniform(0.5, 3.0, size=M), 1)
        seen: set[tuple[int, int]] = set()
        for m in range(M):
            if len(self.ties) >= n_ties:
                break
            a = int(A[m])
            if U[m] < 0.55:
                grp = by_site_sec[(int(self.home[a]), int(self.sector[a]))]
            elif U[m] < 0.85:
                grp = by_site[int(self.home[a])]
            else:
                grp = by_sec[int(self.sector[a])]
            if len(grp) < 2:
                continue
            b = int(grp[int(V[m] * len(grp))])
            if a == b:
                continue
            key = (min(a, b), max(a, b))
            if key in seen:
                continue
            seen.add(key)
            self.ties.append((a, b, float(W[m])))
        self.tie_pairs = seen

    def _witness_pairs_ok(self, a: int, b: int) -> bool:
        return not (self.in_wit.get(a, set()) & self.in_wit.get(b, set()))

    def make_conflicts(self) -> None:
        rng, N = self.rng, self.N
        self.in_wit: dict[int, set[int]] = {}
        for i, t in enumerate(self.targets):
            if t["witness"] is not None:
                for a in t["witness"]["members"]:
                    self.in_wit.setdefault(a, set()).add(i)
        self.conflicts: list[tuple[int, int]] = []
        if N < 2:
            return
        n_conf = max(2, int(round(0.004 * N)))
        seen: set[tuple[int, int]] = set()
        for _ in range(60 * n_conf):
            if len(self.conflicts) >= n_conf:
                break
            a = int(rng.integers(N))
            grp = np.flatnonzero((self.home == self.home[a]) & (self.sector == self.sector[a]))
            if len(grp) < 2:
                grp = np.arange(N)
            b = int(grp[int(rng.integers(len(grp)))])
            key = (min(a, b), max(a, b))
            if a == b or key in seen or key in self.tie_pairs:
                continue
            if not self._witness_pairs_ok(a, b):
                continue
            seen.add(key)
            self.conflicts.append((a, b))

    def make_fixed(self) -> None:
        rng = self.rng
        mode = self.cfg["fixed"]
        self.fixed: dict[str, Any] | None = None
        if not mode:
            return
        fixed: dict[str, Any] = {}
        if mode == "full" and self.mandatory:
            t = self.targets[self.mandatory[0]]
            w = t["witness"]
            fixed["leads"] = {t["id"]: w["lead"]}
            others = [a for a in w["members"] if a != w["lead"]]
            if others:
                fixed["members"] = [[t["id"], others[0]]]
        # forbidden pairs: an eligible actor kept out of a target (not its witness)
        forb = []
        n_forb = 2 if mode == "full" else 3
        order = [int(i) for i in rng.permutation(len(self.targets))]
        for i in order:
            if len(forb) >= n_forb:
                break
            t = self.targets[i]
            if t["witness"] is None:
                continue
            pool = (np.arange(self.N) if t["D"] is None
                    else np.flatnonzero(self.dist[t["primary"]] <= t["D"]))
            elig = set().union(*[set(e.tolist()) for e in self._elig(t["reqs"], pool)])
            cand = sorted(elig - set(t["witness"]["members"]))
            if cand:
                forb.append([t["id"], cand[int(rng.integers(len(cand)))]])
        fixed["forbidden"] = forb
        outside = [a for a in range(self.N) if a not in self.in_wit]
        fa = []
        if mode != "full" or self.N > 20:
            # an actor in no witness, ideally one that holds something useful
            useful = [a for a in outside if self.lev[a].max() >= 5]
            src = useful or outside
            if src:
                fa.append(src[int(rng.integers(len(src)))])
        fixed["forbidden_actors"] = fa
        self.fixed = fixed

    # -- budgets and assembly --------------------------------------------
    def make_budgets(self) -> None:
        rng = self.rng
        lo, hi = self.cfg["sponsor_frac"]
        by_sp: dict[str, list[int]] = {}
        for i, t in enumerate(self.targets):
            if t["sponsor"] is not None:
                by_sp.setdefault(t["sponsor"], []).append(i)
        first_ministry = self.cfg["ministries"][0] if self.cfg["ministries"] else None
        self.sponsor_budget: dict[str, float | None] = {}
        for sp, idx in by_sp.items():
            if sp == first_ministry:
                self.sponsor_budget[sp] = None
                continue
            sp_sp = [self.targets[i]["witness"]["spend"] for i in idx
                     if self.targets[i]["witness"] is not None]
            mand = sum(self.targets[i]["witness"]["spend"] for i in idx if i in self.mandatory)
            tot = sum(sp_sp)
            b = max(rng.uniform(lo, hi) * tot, 1.02 * max(sp_sp, default=0.0), 1.02 * mand, 1.0)
            self.sponsor_budget[sp] = _ceil2(b)
        all_sp = [t["witness"]["spend"] for t in self.targets if t["witness"] is not None]
        mand = sum(self.targets[i]["witness"]["spend"] for i in self.mandatory)
        tb = max(self.cfg["total_frac"] * sum(all_sp), 1.02 * max(all_sp, default=0.0),
                 1.02 * mand, 1.0)
        self.policy["total_budget"] = _ceil2(tb)

    def assemble(self) -> dict[str, Any]:
        aw = max(3, len(str(self.N)))
        aid = [f"a{i + 1:0{aw}d}" for i in range(self.N)]
        site_ids = [s[0] for s in self.sites]
        caps = []
        for c, (cid, cname, _stage, _prior, _sec) in enumerate(self.caps):
            caps.append({"id": cid, "name": cname, "chokepoint": bool(self.choke[c])})
        sites = [{"id": s[0], "name": s[1], "lat": s[4], "lon": s[5]} for s in self.sites]
        used_sp = []
        for t in self.targets:
            if t["sponsor"] is not None and t["sponsor"] not in used_sp:
                used_sp.append(t["sponsor"])
        sponsors = []
        for sid in self.sponsor_defs:  # stable definition order
            if sid not in used_sp:
                continue
            d = self.sponsor_defs[sid]
            sp: dict[str, Any] = {"id": sid, "name": d["name"]}
            if self.sponsor_budget.get(sid) is not None:
                sp["budget"] = self.sponsor_budget[sid]
            if d.get("region"):
                sp["region"] = d["region"]
            sponsors.append(sp)
        tid = [t["id"] for t in self.targets]
        actors = []
        cap_ids = [c[0] for c in self.caps]
        for i in range(self.N):
            held = np.flatnonzero(self.lev[i])
            a: dict[str, Any] = {
                "id": aid[i], "name": self.names[i], "type": str(self.types[i]),
                "ownership": str(self.own[i]), "region": str(self.region[i]),
                "lat": float(self.lat[i]), "lon": float(self.lon[i]),
                "capabilities": {cap_ids[c]: int(self.lev[i, c]) for c in held},
                "cost": float(self.cost[i]),
                "lead_cost": None if np.isnan(self.lead_cost[i]) else float(self.lead_cost[i]),
                "max_consortia": int(self.maxc[i]),
            }
            if not np.isnan(self.lead_cost[i]):
                a["max_lead"] = int(self.maxl[i])
            if i in self.bids:
                a["bids"] = {t: float(b) for t, b in sorted(self.bids[i].items())}
            actors.append(a)
        targets = []
        for t in self.targets:
            sec = SECTORS[self.sectors[t["sector"]]]
            city = self.sites[t["primary"]][2]
            main_cap = self.caps[t["reqs"][0][0]][1] if t["reqs"] else sec["title"]
            if t["flagship"]:
                name = f"{sec['title']} innovation consortium ({city})"
            elif t["mode"] == "research":
                name = f"{main_cap} breakthrough ({city})"
            else:
                name = f"{main_cap} industrialisation ({city})"
            td: dict[str, Any] = {"id": t["id"], "name": name, "mode": t["mode"]}
            if t["sponsor"] is not None:
                td["sponsor"] = t["sponsor"]
            td["value"] = t["value"]
            td["mandatory"] = bool(t.get("mandatory", False))
            if t["budget"] is not None:
                td["budget"] = t["budget"]
            td["sites"] = [site_ids[s] for s in t["sites"]]
            if t["D"] is not None:
                td["max_distance_km"] = int(t["D"])
            if t["min_members"] > 1:
                td["min_members"] = int(t["min_members"])
            if t["max_members"] is not None:
                td["max_members"] = int(t["max_members"])
            td["requirements"] = [{"capability": cap_ids[c], "level": int(L), "redundancy": int(r)}
                                  for c, L, r in t["reqs"]]
            targets.append(td)
        ties = [{"a": aid[a], "b": aid[b], "weight": w} for a, b, w in self.ties]
        conflicts = [{"a": aid[a], "b": aid[b]} for a, b in self.conflicts]
        exclusive = [[tid[u] for u in g] for g in self.exclusive]
        inst: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "currency": "CNY million",
            "capabilities": caps,
            "sites": sites,
            "sponsors": sponsors,
            "actors": actors,
            "targets": targets,
            "ties": ties,
            "conflicts": conflicts,
            "exclusive": exclusive,
            "policy": self.policy,
        }
        if self.fixed is not None:
            fx: dict[str, Any] = {}
            if "leads" in self.fixed:
                fx["leads"] = {t: aid[a] for t, a in self.fixed["leads"].items()}
            if "members" in self.fixed:
                fx["members"] = [[t, aid[a]] for t, a in self.fixed["members"]]
            fx["forbidden"] = [[t, aid[a]] for t, a in self.fixed["forbidden"]]
            fx["forbidden_actors"] = [aid[a] for a in self.fixed["forbidden_actors"]]
            inst["fixed"] = fx
        self.aid = aid
        return inst

    def witnesses(self) -> dict[str, dict[str, Any]]:
        """Witness consortia per target id (instance ids), for checks and tests."""
        out = {}
        site_ids = [s[0] for s in self.sites]
        cap_ids = [c[0] for c in self.caps]
        for t in self.targets:
            w = t["witness"]
            if w is None or t["blocked"]:
                continue
            out[t["id"]] = {
                "site": site_ids[w["site"]], "lead": self.aid[w["lead"]],
                "members": [self.aid[a] for a in w["members"]],
                "deliveries": {cap_ids[c]: [self.aid[a] for a in w["assign"][k]]
                               for k, (c, _, _) in enumerate(t["reqs"])
                               if k < len(w["assign"])},
                "spend": w["spend"],
            }
        return out

    def run(self) -> dict[str, Any]:
        self.make_sites()
        self.make_sectors()
        self.make_capabilities()
        self.make_actors()
        self.make_policy()
        self.make_sponsor_candidates()
        self.make_targets()
        self.make_mandatory()
        self.make_ties()
        self.make_conflicts()
        self.make_fixed()
        self.make_budgets()
        inst = self.assemble()
        # The joint mandatory plan (with the fixed decisions) must satisfy SPEC section 3.
        wits = self.witnesses()
        plan = [dict(target=self.targets[i]["id"], **wits[self.targets[i]["id"]])
                for i in self.mandatory]
        errors = check_plan(inst, plan)
        if errors:  # should not happen; degrade gracefully rather than emit an infeasible file
            mand = {p["target"] for p in plan}
            for t in inst["targets"]:
                if t["id"] in mand:
                    t["mandatory"] = False
            if "fixed" in inst:
                inst["fixed"].pop("leads", None)
                inst["fixed"].pop("members", None)
            self.mandatory = []
        self.plan_errors = errors
        return inst


# ---------------------------------------------------------------------------
# a compact checker of SPEC section 3 for a partial plan (used for mandatory targets)
# ---------------------------------------------------------------------------
def check_plan(inst: dict[str, Any], plan: list[dict[str, Any]]) -> list[str]:
    """Check consortia ``plan`` (target, site, lead, members, deliveries) against
    SPEC section 3, with every target not in the plan unformed.  Returns the
    list of violations (empty = feasible)."""
    errs: list[str] = []
    pol = inst.get("policy", {})
    lt = {"research": ["institute", "lab"], "economic": ["enterprise"]}
    lt.update(pol.get("lead_types", {}))
    inc = pol.get("incentives", {})
    A = {a["id"]: a for a in inst["actors"]}
    T = {t["id"]: t for t in inst["targets"]}
    S = {s["id"]: s for s in inst["sites"]}
    C = {c["id"]: c for c in inst.get("capabilities", [])}
    SP = {s["id"]: s for s in inst.get("sponsors", [])}
    dom_only = pol.get("chokepoints_domestic_only", True)
    conflicts = {frozenset((c["a"], c["b"])) for c in inst.get("conflicts", [])}
    formed = {p["target"] for p in plan}
    for t in inst["targets"]:
        if t.get("mandatory") and t["id"] not in formed:
            errs.append(f"mandatory {t['id']} not formed")
    count: dict[str, int] = {}
    leads: dict[str, int] = {}
    sp_spend: dict[str, float] = {}
    total = 0.0

    def rate(a):
        return inc.get(a["type"], {}).get("bonus_rate", 0.0)

    for p in plan:
        t = T[p["target"]]
        tid = t["id"]
        if p["site"] not in t["sites"]:
            errs.append(f"{tid}: site not a candidate")
        s = S[p["site"]]
        mem = p["members"]
        lead = A[p["lead"]]
        if p["lead"] not in mem or len(set(mem)) != len(mem):
            errs.append(f"{tid}: lead not a member or duplicate members")
        may_lead = (lead.get("lead_cost") is not None and lead["type"] in lt[t["mode"]]
                    and (lead["ownership"] != "foreign" or pol.get("foreign_can_lead", False)))
        if not may_lead:
            errs.append(f"{tid}: lead may not lead")
        md = t.get("max_distance_km")
        for m in mem:
            a = A[m]
            d = float(_haversine(a["lat"], a["lon"], s["lat"], s["lon"]))
            if md is not None and d > md * (1 + 1e-6):
                errs.append(f"{tid}: {m} too far ({d:.1f} km)")
        delivering: set[str] = set()
        for r in t["requirements"]:
            k, lvl, red = r["capability"], r.get("level", 1), r.get("redundancy", 1)
            ds = p["deliveries"].get(k, [])
            ok = [m for m in set(ds) if m in mem and A[m]["capabilities"].get(k, 0) >= lvl
                  and not (C[k].get("chokepoint") and A[m]["ownership"] == "foreign"
                           and dom_only)]
            if len(ok) < red:
                errs.append(f"{tid}: requirement {k} delivered by {len(ok)} < {red}")
            delivering |= set(ok)
        if pol.get("no_free_riders", True):
            for m in mem:
                if m != p["lead"] and m not in delivering:
                    errs.append(f"{tid}: free rider {m}")
        types = [A[m]["type"] for m in mem]
        if pol.get("require_both_ends", True):
            if not any(x in R_TYPES for x in types) or not any(x in E_TYPES for x in types):
                errs.append(f"{tid}: both ends missing")
        n = len(mem)
        if not (t.get("min_members", 1) <= n <= (t.get("max_members") or n)):
            errs.append(f"{tid}: size {n} outside bounds")
        n_state = sum(1 for m in mem if A[m]["type"] in E_TYPES and A[m]["ownership"] == "state")
        if n_state > pol.get("max_state_share", 1.0) * n + 1e-9:
            errs.append(f"{tid}: state share {n_state}/{n}")
        if sum(1 for m in mem if A[m]["ownership"] == "private") < pol.get(
                "min_private_members", 0):
            errs.append(f"{tid}: too few private members")
        sp = SP.get(t.get("sponsor")) if t.get("sponsor") else None
        if sp is not None and sp.get("region") is not None:
            n_out = sum(1 for m in mem if A[m]["region"] != sp["region"])
            if n_out < pol.get("min_outside_members", 0):
                errs.append(f"{tid}: too few outside members")
        for i, x in enumerate(mem):
            for y in mem[i + 1:]:
                if frozenset((x, y)) in conflicts:
                    errs.append(f"{tid}: conflict {x} {y}")
        spend = 0.0
        for m in mem:
            a = A[m]
            spend += (1 + rate(a)) * a.get("bids", {}).get(tid, a["cost"])
            count[m] = count.get(m, 0) + 1
        spend += (1 + rate(lead)) * lead["lead_cost"] if lead.get("lead_cost") else 0.0
        leads[p["lead"]] = leads.get(p["lead"], 0) + 1
        if t.get("budget") is not None and spend > t["budget"] * (1 + 1e-6):
            errs.append(f"{tid}: spend {spend:.2f} > budget {t['budget']}")
        if t.get("sponsor"):
            sp_spend[t["sponsor"]] = sp_spend.get(t["sponsor"], 0.0) + spend
        total += spend
    for m, k in count.items():
        if k > A[m].get("max_consortia", 1):
            errs.append(f"{m}: joins {k} consortia")
    for m, k in leads.items():
        if k > A[m].get("max_lead", 1):
            errs.append(f"{m}: leads {k} consortia")
    for sid, v in sp_spend.items():
        b = SP[sid].get("budget")
        if b is not None and v > b * (1 + 1e-6):
            errs.append(f"sponsor {sid}: spend {v:.2f} > {b}")
    tb = pol.get("total_budget")
    if tb is not None and total > tb * (1 + 1e-6):
        errs.append(f"total spend {total:.2f} > {tb}")
    for g in inst.get("exclusive", []):
        if len(formed & set(g)) > 1:
            errs.append(f"exclusive group {g} violated")
    fx = inst.get("fixed") or {}
    byt = {p["target"]: p for p in plan}
    for t, a in fx.get("leads", {}).items():
        if t not in byt or byt[t]["lead"] != a:
            errs.append(f"fixed lead {t}:{a} not honoured")
    for t, a in fx.get("members", []):
        if t not in byt or a not in byt[t]["members"]:
            errs.append(f"fixed member {t}:{a} not honoured")
    for t, a in fx.get("forbidden", []):
        if t in byt and a in byt[t]["members"]:
            errs.append(f"forbidden {t}:{a} violated")
    for a in fx.get("forbidden_actors", []):
        if a in count:
            errs.append(f"forbidden actor {a} joins")
    return errs


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def _resolve(preset: str, targets, actors, capabilities, sites, seed) -> tuple[dict, str]:
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r} (choose from {', '.join(PRESETS)})")
    cfg = dict(PRESETS[preset])
    over = {"targets": targets, "actors": actors, "capabilities": capabilities, "sites": sites}
    tags = []
    for key, val in over.items():
        if val is None:
            continue
        val = int(val)
        lo = 0 if key == "targets" else 1
        if val < lo:
            raise ValueError(f"{key} must be >= {lo}, got {val}")
        if key == "sites" and val > len(SITES):
            raise ValueError(f"sites must be <= {len(SITES)} (the built-in site table), got {val}")
        if val != cfg[key]:
            tags.append(f"{key[0]}{val}")
        cfg[key] = val
    if int(seed) < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    name = "-".join([preset] + tags + [f"seed{int(seed)}"])
    return cfg, name


def _generate(*, preset: str = "small", targets: int | None = None, actors: int | None = None,
              capabilities: int | None = None, sites: int | None = None,
              seed: int = 0) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Like :func:`generate`, also returning the witness consortium of every
    formable target (target id -> site, lead, members, deliveries, spend)."""
    cfg, name = _resolve(preset, targets, actors, capabilities, sites, seed)
    g = _Gen(preset, cfg, int(seed), name)
    inst = g.run()
    return inst, g.witnesses()


def generate(*, preset: str = "small", targets: int | None = None, actors: int | None = None,
             capabilities: int | None = None, sites: int | None = None,
             seed: int = 0) -> dict[str, Any]:
    """Generate a valid ``consortium-instance/1`` dict.

    ``preset`` is one of :data:`PRESETS` (``small``, ``provincial``, ``national``);
    ``targets``, ``actors``, ``capabilities`` and ``sites`` override its sizes.
    Same arguments give the same instance.
    """
    return _generate(preset=preset, targets=targets, actors=actors,
                     capabilities=capabilities, sites=sites, seed=seed)[0]


def dumps_instance(inst: dict[str, Any]) -> str:
    """Deterministic JSON text: insertion key order, indent=1, no NaN, final newline."""
    return json.dumps(inst, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_instance(inst: dict[str, Any], path) -> None:
    """Write ``inst`` to ``path`` as deterministic JSON (see :func:`dumps_instance`)."""
    Path(path).write_text(dumps_instance(inst), encoding="utf-8")


def eligibility_stats(inst: dict[str, Any]) -> dict[str, Any]:
    """Count the eligible (actor, target, site) triples of an instance.

    ``deliver``: actor within the target's distance of the site and able to
    deliver at least one requirement; ``any``: ``deliver`` or able to lead it.
    """
    actors = inst["actors"]
    N = len(actors)
    cap_idx = {c["id"]: i for i, c in enumerate(inst.get("capabilities", []))}
    lev = np.zeros((N, max(1, len(cap_idx))), dtype=np.int8)
    for i, a in enumerate(actors):
        for k, v in a.get("capabilities", {}).items():
            lev[i, cap_idx[k]] = v
    lat = np.array([a["lat"] for a in actors], dtype=float)
    lon = np.array([a["lon"] for a in actors], dtype=float)
    foreign = np.array([a["ownership"] == "foreign" for a in actors])
    types = np.array([a["type"] for a in actors], dtype=object)
    has_lead = np.array([a.get("lead_cost") is not None for a in actors])
    pol = inst.get("policy", {})
    lt = {"research": ["institute", "lab"], "economic": ["enterprise"]}
    lt.update(pol.get("lead_types", {}))
    fcl = pol.get("foreign_can_lead", False)
    dom_only = pol.get("chokepoints_domestic_only", True)
    choke = {c["id"]: bool(c.get("chokepoint", False)) for c in inst.get("capabilities", [])}
    sites = {s["id"]: s for s in inst["sites"]}
    deliver_total = any_total = 0
    per_target = []
    for t in inst["targets"]:
        can = np.zeros(N, dtype=bool)
        for r in t["requirements"]:
            k = r["capability"]
            m = lev[:, cap_idx[k]] >= r.get("level", 1)
            if choke[k] and dom_only:
                m &= ~foreign
            can |= m
        lead = has_lead & np.isin(types, lt[t["mode"]]) & (fcl | ~foreign)
        md = t.get("max_distance_km")
        nd = na = 0
        for sid in t["sites"]:
            s = sites[sid]
            near = (np.ones(N, dtype=bool) if md is None
                    else _haversine(lat, lon, s["lat"], s["lon"]) <= md * (1 + 1e-6))
            nd += int((near & can).sum())
            na += int((near & (can | lead)).sum())
        deliver_total += nd
        any_total += na
        per_target.append(nd)
    pt = np.array(per_target) if per_target else np.zeros(1)
    return {"targets": len(inst["targets"]), "deliver": deliver_total, "any": any_total,
            "per_target_median": float(np.median(pt)), "per_target_max": int(pt.max())}


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
@click.command("generate")
@click.option("--preset", type=click.Choice(list(PRESETS)), default="small", show_default=True,
              help="Size and flavour: small (Suzhou-style city), provincial (Zhejiang-style), "
                   "national.")
@click.option("--targets", type=click.IntRange(min=0), default=None,
              help="Number of targets (overrides the preset).")
@click.option("--actors", type=click.IntRange(min=1), default=None,
              help="Number of actors (overrides the preset).")
@click.option("--capabilities", type=click.IntRange(min=1), default=None,
              help="Number of capabilities (overrides the preset).")
@click.option("--sites", type=click.IntRange(min=1, max=len(SITES)), default=None,
              help="Number of sites (overrides the preset).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed; same arguments give a byte-identical file.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Instance file to write (JSON).")
def generate_command(preset, targets, actors, capabilities, sites, seed, output):
    """Generate a realistic, seeded innovation-consortium instance."""
    try:
        inst = generate(preset=preset, targets=targets, actors=actors,
                        capabilities=capabilities, sites=sites, seed=seed)
    except ValueError as exc:  # pragma: no cover - click ranges catch most of it
        raise click.UsageError(str(exc)) from exc
    write_instance(inst, output)
    n_mand = sum(1 for t in inst["targets"] if t.get("mandatory"))
    click.echo(
        f"wrote {output}: {inst['name']}: {len(inst['targets'])} targets "
        f"({n_mand} mandatory), {len(inst['actors'])} actors, "
        f"{len(inst['capabilities'])} capabilities, {len(inst['sites'])} sites, "
        f"{len(inst['sponsors'])} sponsors, {len(inst['ties'])} ties")
