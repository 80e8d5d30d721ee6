"""A community's settings for holding its operators to account, with the defaults a community starts from.

Stored in ``communities.accountability`` as JSON; a key a community has not set takes its default here (documented
in the README), so a new setting needs no migration.

- ``answer_days`` (7): the days community staff have to answer a complaint before it is flagged overdue.
- ``weights``: each part's weight in the monthly score (percent of the score when every part has data):
  resident ratings 30, upheld complaints 20, fulfilment 20, the inspection 20, donations paid on time 10.
- ``stars``: the year's mean monthly score at or above which an operator earns 5, 4 and 3 stars (9.0, 8.0, 6.0);
  below the three-star line it earns none.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.models import SCORE_PARTS, Community

DEFAULT_ANSWER_DAYS = 7
DEFAULT_WEIGHTS = {"ratings": 30, "complaints": 20, "fulfilment": 20, "inspection": 20, "donations": 10}
DEFAULT_STAR_LINES = {5: 90, 4: 80, 3: 60}
"""The year's mean score, in tenths, at or above which an operator earns that many stars."""
PASSING_TENTHS = 60
"""Under 6.0 a month is failed: a warning, and the third failed month in a row proposes the operator's exit."""

assert tuple(DEFAULT_WEIGHTS) == SCORE_PARTS


@dataclass(frozen=True)
class Settings:
    answer_days: int = DEFAULT_ANSWER_DAYS
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    star_lines: dict[int, int] = field(default_factory=lambda: dict(DEFAULT_STAR_LINES))


def of(community: Community) -> Settings:
    """The community's settings, each unset one at its default."""
    stored = community.accountability or {}
    weights = {**DEFAULT_WEIGHTS, **stored.get("weights", {})}
    lines = {**DEFAULT_STAR_LINES, **{int(stars): tenths for stars, tenths in stored.get("star_lines", {}).items()}}
    return Settings(stored.get("answer_days", DEFAULT_ANSWER_DAYS), weights, lines)
