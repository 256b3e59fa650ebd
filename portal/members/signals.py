"""What the register tells the other domains, as blinker signals.

Signals are synchronous: every receiver runs inside `send`, in the caller's request and
transaction, before `send` returns; what a receiver writes is committed or rolled back with the
caller's change, and an error it raises reaches the caller. Receivers are connected when the
app registers its blueprints (`portal._register_blueprints` imports each domain's `signals`).
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

# A member left the cooperative (their membership ended). Sender: the member; keywords:
# actor, effective_on. voting revokes the proxies they gave or held in polls still open.
member_left = signals.signal("member-left")
