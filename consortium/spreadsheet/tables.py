"""The tables of a workbook (one sheet or CSV file each): their columns, what each
holds and the README sheet's text; the policy keys and fixed-decision kinds."""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- the tables

# kind of a column: str, float, int, bool, list (";"-separated text), any
# (policy values: typed by key). ``req`` = the column must exist in a non-empty
# table. The texts are the README sheet of the template.
@dataclass(frozen=True)
class Col:
    name: str
    kind: str
    req: bool
    help: str
    default: str = ""


TABLES: dict[str, list[Col]] = {
    "meta": [
        Col("name", "str", False, "name of the instance (shown in reports)",
            "the output file name"),
        Col("currency", "str", False,
            "money unit of every cost, budget and reward, e.g. CNY million", "none"),
    ],
    "policy": [
        Col("key", "str", True, "policy setting; nested keys with dots: weights.cost, "
            "incentives.sme.bonus_rate, incentives.sme.instruments, lead_types.research "
            "(see the policy rows below)"),
        Col("value", "any", True,
            "its value; lists (instruments, lead_types) as text separated by ';'; "
            "blank = the default", "the default"),
    ],
    "capabilities": [
        Col("id", "str", True, "capability id (unique), used in cap:<id> columns and requirements"),
        Col("name", "str", False, "readable name", "none"),
        Col("chokepoint", "bool", False, "TRUE if the technology is under foreign chokehold",
            "FALSE"),
    ],
    "sites": [
        Col("id", "str", True, "site id (unique): an industrial park or cluster"),
        Col("name", "str", False, "readable name", "none"),
        Col("lat", "float", True, "latitude, degrees in [-90, 90]"),
        Col("lon", "float", True, "longitude, degrees in [-180, 180]"),
    ],
    "sponsors": [
        Col("id", "str", True, "sponsor id (unique): a province, city or ministry"),
        Col("name", "str", False, "readable name", "none"),
        Col("budget", "float", False, "cap on the spend of all its targets (>= 0)", "no cap"),
        Col("region", "str", False, "home region code, for policy min_outside_members", "none"),
        Col("budget:<year>", "float", False,
            "one column per programme year, e.g. budget:2027: the most it pays in that year "
            "(budget_by_year; needs the programme sheet); blank = no yearly cap", "no yearly cap"),
    ],
    "actors": [
        Col("id", "str", True, "actor id (unique)"),
        Col("name", "str", False, "readable name", "none"),
        Col("type", "str", True, "enterprise, sme, institute, university or lab"),
        Col("ownership", "str", True, "state, private or foreign"),
        Col("region", "str", True, "region code (province), e.g. JS"),
        Col("lat", "float", True, "latitude, degrees in [-90, 90]"),
        Col("lon", "float", True, "longitude, degrees in [-180, 180]"),
        Col("cost", "float", True, "what it must be paid to join one consortium (>= 0)"),
        Col("lead_cost", "float", False, "extra coordination fee if it leads; blank = cannot lead",
            "cannot lead"),
        Col("max_consortia", "int", False, "how many consortia it can join (leading one counts)",
            "1"),
        Col("max_lead", "int", False, "how many it can lead", "1"),
        Col("cap:<id>", "int", False,
            "one column per capability: the level (1..9) the actor holds; "
            "blank or 0 = does not hold it. Alternatively use the actor_capabilities sheet",
            "none"),
    ],
    "actor_capabilities": [
        Col("actor", "str", True, "actor id (long form of the cap:<id> columns of actors)"),
        Col("capability", "str", True, "capability id"),
        Col("level", "int", True, "level held, 1..9"),
    ],
    "bids": [
        Col("actor", "str", True, "actor id"),
        Col("target", "str", True, "target id"),
        Col("bid", "float", True, "its cost for that target (replaces the actor's cost there)"),
    ],
    "targets": [
        Col("id", "str", True, "target id (unique)"),
        Col("name", "str", False, "readable name", "none"),
        Col("mode", "str", True, "research (research-driven) or economic (economics-driven)"),
        Col("sponsor", "str", False, "sponsor id", "none"),
        Col("value", "float", False, "value of forming this consortium", "0"),
        Col("mandatory", "bool", False, "TRUE = must be formed", "FALSE"),
        Col("budget", "float", False, "cap on this target's spend", "no cap"),
        Col("sites", "list", True, "candidate site ids, separated by ';' (at least one)"),
        Col("max_distance_km", "float", False,
            "every member within this distance of the chosen site", "no limit"),
        Col("min_members", "int", False, "fewest members, the lead included", "1"),
        Col("max_members", "int", False, "most members, the lead included", "no cap"),
        Col("min_regions", "int", False,
            "fewest distinct member regions (overrides policy min_regions)", "the policy's"),
        Col("duration", "int", False, "years the consortium runs (needs the programme sheet)",
            "1"),
        Col("earliest", "int", False, "earliest start year (needs the programme sheet)",
            "the programme's start"),
        Col("latest", "int", False, "latest start year (needs the programme sheet)",
            "the last year it still ends inside the programme"),
        Col("after", "list", False,
            "target ids, separated by ';', that must have delivered before it starts "
            "(needs the programme sheet)", "none"),
    ],
    "composition": [
        Col("target", "str", False,
            "blank = a rule of the policy (every target); a target id = that target's own "
            "rules, which replace the policy's (a row with the target alone and no types or "
            "ownership: the target has no composition rule)", "the policy"),
        Col("types", "list", False, "actor types the rule counts, ';'-separated", "all types"),
        Col("ownership", "list", False, "ownerships the rule counts (state, private, foreign), "
            "';'-separated", "all ownerships"),
        Col("min", "int", False, "fewest matching members, the lead included", "0"),
        Col("max", "int", False, "most matching members, the lead included", "no cap"),
    ],
    "programme": [
        Col("start", "int", True, "first year of a multi-year programme, e.g. 2026"),
        Col("years", "int", True, "number of years (>= 1)"),
        Col("discount_rate", "float", False,
            "yearly discount rate of value and spend (>= 0)", "0"),
    ],
    "milestones": [
        Col("year", "int", True, "a programme year"),
        Col("min_formed", "int", True, "fewest targets formed with a start by that year"),
    ],
    "requirements": [
        Col("target", "str", True, "target id"),
        Col("capability", "str", True, "capability id (one row per target and capability)"),
        Col("level", "int", False, "minimum level the deliverer must hold, 1..9", "1"),
        Col("redundancy", "int", False, "how many distinct members must deliver it (>= 1)", "1"),
    ],
    "ties": [
        Col("a", "str", True, "actor id"),
        Col("b", "str", True, "actor id: a and b collaborated before (undirected)"),
        Col("weight", "float", False, "strength of the tie (> 0)", "1"),
    ],
    "conflicts": [
        Col("a", "str", True, "actor id"),
        Col("b", "str", True, "actor id: a and b may not sit in the same consortium"),
    ],
    "exclusive": [
        Col("group", "str", True,
            "group label: of the targets sharing a label at most one is formed"),
        Col("target", "str", True, "target id"),
    ],
    "fixed": [
        Col("kind", "str", True, "lead (actor must lead target), member (actor must join target), "
            "forbidden (actor may not join target), forbidden_actor (actor joins nothing; "
            "target blank) or start (target starts in year; actor blank)"),
        Col("target", "str", False, "target id"),
        Col("actor", "str", True, "actor id (blank for a start)"),
        Col("year", "int", False, "start year of a fixed start (needs the programme sheet)",
            "none"),
    ],
}

# Sheet order in written workbooks (README first).
ORDER = ["meta", "programme", "milestones", "policy", "composition", "capabilities", "sites",
         "sponsors", "actors", "actor_capabilities", "bids", "targets", "requirements", "ties",
         "conflicts", "exclusive", "fixed"]

_POLICY_KINDS = {
    "total_budget": "float",
    "require_both_ends": "bool",
    "no_free_riders": "bool",
    "max_state_share": "float",
    "min_private_members": "int",
    "min_outside_members": "int",
    "chokepoints_domestic_only": "bool",
    "foreign_can_lead": "bool",
    "min_regions": "int",
}
_POLICY_HELP = {
    "total_budget": ("cap on the total spend", "no cap"),
    "require_both_ends": ("every consortium has a research-end and a market-end member", "TRUE"),
    "no_free_riders": ("every member other than the lead delivers something", "TRUE"),
    "max_state_share": ("most state enterprises per consortium, as a share of its members (0..1)",
                        "1"),
    "min_private_members": ("fewest private members per consortium", "0"),
    "min_outside_members": ("fewest members from outside the sponsor's region", "0"),
    "chokepoints_domestic_only": ("foreign actors may not deliver chokepoint capabilities", "TRUE"),
    "foreign_can_lead": ("foreign actors may lead", "FALSE"),
    "min_regions": ("fewest distinct regions among a consortium's members (>= 1)", "1"),
    "total_budget_by_year.<year>": ("the most the programme pays in that year, e.g. "
                                    "total_budget_by_year.2027 (needs the programme sheet)",
                                    "no yearly cap"),
    "lead_types.research": ("actor types that may lead research targets, ';'-separated",
                            "institute; lab"),
    "lead_types.economic": ("actor types that may lead economic targets, ';'-separated",
                            "enterprise"),
    "weights.value": ("objective weight of the value of formed targets", "1"),
    "weights.cost": ("objective weight of the total spend", "1"),
    "weights.distance": ("objective weight of member-to-site kilometres", "0"),
    "weights.ties": ("objective weight of prior ties inside consortia", "0"),
    "incentives.<type>.bonus_rate": ("bonus on base + lead fee for actors of that type (>= 0)",
                                     "0"),
    "incentives.<type>.instruments": ("incentive instruments for that type, ';'-separated", "none"),
}
_FIXED_KINDS = {
    "lead": "lead", "leads": "lead",
    "member": "member", "members": "member",
    "forbidden": "forbidden",
    "forbidden_actor": "forbidden_actor", "forbidden_actors": "forbidden_actor",
    "start": "start", "starts": "start",
}
