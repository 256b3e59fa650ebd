"""Who may do what with a poll, as named predicates built on `core.security.can`: the page asks
them (as Jinja globals) so it offers a step exactly when the service would take it."""

from __future__ import annotations

from portal.core.security import Permission, can
from portal.voting.workflow import RUN_PRACTICE


def can_record_room_count(user, poll) -> bool:
    """May `user` enter the counts of `poll` now: an in-room poll, open, and `user` manages
    polls (site-wide and on this poll), as `services.record_room_count` requires. (The author
    of a practice vote counts it from the session's practice page: `can_manage_practice_poll`.)"""
    return (
        poll.in_room
        and poll.state == "open"
        and can(user, Permission.MANAGE_POLLS, poll)
        and can(user, Permission.MANAGE_POLLS)
    )


def can_manage_practice_poll(user, poll) -> bool:
    """May `user` run this practice vote (open, count in the room, close, cancel) as its
    author, without managing polls: a practice poll, prepared or open, that `user` created.
    Never true for a real poll. The board manages practice polls as any other (Manage polls)."""
    return bool(poll.practice) and can(user, RUN_PRACTICE, poll)
