"""Did-you-mean hints for messages: a misspelt id, type or field name gets the
nearest one the file (or the format) has, found with :mod:`difflib`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

# Above this many candidates difflib's pairwise ratios get slow (an actor id
# among 15,000); the cheap case-insensitive match still runs.
_MAX_CHOICES = 20_000


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` most likely means: the same text but for case,
    spaces, hyphens and underscores, else the closest by :mod:`difflib`
    (ratio 0.6 or more), else None."""
    pool = [c for c in choices if isinstance(c, str)]
    if not isinstance(word, str) or not pool:
        return None

    def norm(s: str) -> str:
        return re.sub(r"[\s_\-]+", "-", s.strip().lower())

    want = norm(word)
    same = [c for c in pool if norm(c) == want and c != word]
    if same:
        return same[0]
    if len(pool) > _MAX_CHOICES:
        return None
    close = difflib.get_close_matches(word, pool, n=1)
    return close[0] if close and close[0] != word else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the nearest choice, or ``""``."""
    near = nearest(word, choices)
    return f" (did you mean {near!r}?)" if near is not None else ""


_CHOICE = re.compile(r"input should be (.+) \(got '([^']*)'\)$", re.IGNORECASE)


def choice_hint(message: str) -> str:
    """A pydantic choice error (``input should be 'a', 'b' or 'c' (got 'B')``)
    with the allowed value it most likely means: ``...: did you mean 'b'?``,
    with a reminder when only the case or the spacing differs."""
    m = _CHOICE.search(message)
    if not m:
        return message
    allowed = re.findall(r"'([^']*)'", m.group(1))
    got = m.group(2)
    near = nearest(got, allowed)
    if near is None:
        return message
    norm = got.strip().lower().replace(" ", "-").replace("_", "-")
    if near.lower() == norm or near.replace("_", "-") == norm:
        return f"{message}: did you mean {near!r}? (these names are lowercase, as listed)"
    return f"{message}: did you mean {near!r}?"
