"""What meetings listens to (it emits no signal yet).

Receivers run synchronously inside the sender's `send`, in its request and transaction: what
they write is kept or rolled back with the sender's change. Connected when the app registers
its blueprints (`portal._register_blueprints` imports each domain's `signals` module).
"""

from __future__ import annotations

from portal.voting.signals import poll_counted


@poll_counted.connect
def _register_decision(poll, actor=None, **_extra) -> None:
    """An adopted poll that is not practice enters the decisions register once, when counted."""
    from portal.meetings.decisions import record_poll_decision

    record_poll_decision(actor, poll)
