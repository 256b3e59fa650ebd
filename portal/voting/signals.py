"""What voting tells the other domains, as blinker signals (see docs: signals and registries).

Signals are synchronous: every receiver runs inside `send`, in the caller's request and
transaction, before `send` returns. A receiver may add and flush rows (they are committed or
rolled back with the caller's change) and may raise: the error reaches the caller's service
and nothing of the change is kept. Receivers are connected when the app registers its
blueprints (`portal._register_blueprints` imports each domain's `signals` module).

Listened to here: `members.signals.member_left` (their proxies in open polls are revoked).
"""

from __future__ import annotations

from blinker import Namespace

from portal.members.signals import member_left

signals = Namespace()

# A poll was closed and counted. Sender: the poll (its `result` set); keyword: actor.
# meetings enters an adopted poll that is not practice into the decisions register.
poll_counted = signals.signal("poll-counted")


@member_left.connect
def _revoke_proxies_of(member, actor=None, **_extra) -> None:
    """A member who left neither gives nor holds a proxy in a poll still open."""
    from portal.voting.services import revoke_proxies_of_leaver

    revoke_proxies_of_leaver(actor, member)
