"""Who may do what with a poll, as named predicates built on `core.security.can`: the page asks
them (as Jinja globals) so it offers a step exactly when the service would take it."""

from __future__ import annotations

from portal.core.security import Permission, can


def can_record_room_count(user, poll) -> bool:
    """May `user` enter the counts of `poll` now: an in-room poll, open, and `user` manages
    polls (site-wide and on this poll), as `services.record_room_count` requires."""
    return (
        poll.in_room
        and poll.state == "open"
        and can(user, Permission.MANAGE_POLLS, poll)
        and can(user, Permission.MANAGE_POLLS)
    )
