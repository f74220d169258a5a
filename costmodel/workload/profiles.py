"""Named hourly traffic profiles (relative weights per local hour 0..23), shared by the presets and the request
classes of a mix (the Calculator's class table picks one by name).

Stated assumptions, not measurements: office hours peak 09:00-17:00 with a lunch dip; evening (consumer) traffic
peaks 19:00-21:00; a nightly batch runs 22:00-06:00 at a constant rate; flat is the same every hour; office hours in
the strict sense (:data:`OFFICE_9_18`) are 09:00-18:00 on weekdays and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from costmodel.workload.scenario import Profile, Workload, flat_profile

__all__ = [
    "EVENING",
    "NAMED_PROFILES",
    "NIGHT",
    "OFFICE_9_18",
    "OFFICE_HOURS",
    "TRAFFIC_SHAPES",
    "ClassProfile",
    "profile_name",
    "traffic_shape",
]

OFFICE_HOURS: Profile = (1, 1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 10, 9, 10, 10, 10, 9, 7, 5, 4, 3, 2, 1, 1)
EVENING: Profile = (2, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 7, 8, 8, 7, 5, 3)
NIGHT: Profile = (10, 10, 10, 10, 10, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 10)
#: Office hours in the strict sense: the same rate from 09:00 to 18:00, nothing outside them.
OFFICE_9_18: Profile = (0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0)  # hours 9..17


@dataclass(frozen=True)
class ClassProfile:
    """When a class's requests come: weekday and weekend profiles and a weekend day's weight (× a weekday)."""

    weekday: Profile
    weekend: Profile
    weekend_day_weight: float

    def matches(self, w: Workload) -> bool:
        """``w`` has exactly this profile."""
        return (
            tuple(map(float, w.hourly_profile_weekday)) == tuple(map(float, self.weekday))
            and tuple(map(float, w.hourly_profile_weekend)) == tuple(map(float, self.weekend))
            and w.weekend_day_weight == self.weekend_day_weight
        )


#: Profile name -> profile, in the order offered.
NAMED_PROFILES: dict[str, ClassProfile] = {
    "flat": ClassProfile(flat_profile(), flat_profile(), 1.0),
    "business hours": ClassProfile(OFFICE_HOURS, OFFICE_HOURS, 0.2),
    "evening": ClassProfile(EVENING, EVENING, 1.0),
    "nightly batch": ClassProfile(NIGHT, NIGHT, 1.0),
}


def profile_name(w: Workload) -> str | None:
    """The name of ``w``'s profile in :data:`NAMED_PROFILES` (None when it is none of them)."""
    return next((name for name, p in NAMED_PROFILES.items() if p.matches(w)), None)


#: The Calculator's traffic shapes, in words (hours local to the workload's time zone), each stating every field it
#: sets: the weekday and weekend profiles and a weekend day's weight.
TRAFFIC_SHAPES: dict[str, ClassProfile] = {
    "office hours (Mon–Fri 9–18, no weekend)": ClassProfile(OFFICE_9_18, OFFICE_9_18, 0.0),
    "business hours with a tail (peak 9–17, weekends 0.2×)": NAMED_PROFILES["business hours"],
    "evening-heavy (consumer, peak 19–21, weekends as busy)": NAMED_PROFILES["evening"],
    "overnight batch window (22–06, every day)": NAMED_PROFILES["nightly batch"],
    "flat (every hour the same, every day)": NAMED_PROFILES["flat"],
}


def traffic_shape(w: Workload) -> str | None:
    """The name of ``w``'s shape in :data:`TRAFFIC_SHAPES` (None: a custom profile)."""
    return next((name for name, p in TRAFFIC_SHAPES.items() if p.matches(w)), None)
