"""Demo proposals: what the members of Atelier Commun propose, and their votes.

- an adopted proposal ("Work clothes for everyone"), its board answer and its follow-up;
- comments (a thread, and one hidden by the board with its reason) and a proposed change;
- an open secret yes/no/abstain poll on a proposal ("A second van for the cleaning team"),
  about a third of the members have voted, one through a proxy;
- a proposal open for support ("A bike shelter at the workshop") with a few supports;
- a submitted proposal waiting for the board.
Run by `portal.demo` between the votes of `portal.voting.demo`. Everything goes through the
services, as the board member marta.kowalska and the members.
"""

from __future__ import annotations

from datetime import timedelta

from portal.core.db import local_today, utcnow
from portal.proposals import amendments, comments
from portal.proposals import services as proposals
from portal.voting import services
from portal.voting.demo import DemoVotes, demo_setting, demo_user
from portal.voting.models import CastMode

VAN = proposals.ProposalData(
    title="A second van for the cleaning team",
    summary="We buy a second van, so the cleaning team can work on two sites on the same day.",
    what_changes=(
        "Cleaning: shorter days, less waiting for the van. Everyone: the van costs about "
        "18,000 euros, paid over four years from the cleaning contracts."
    ),
    body=(
        "## Why\n\nSince March we clean the offices of two new clients. With one van, a team "
        "waits up to two hours every day.\n\n## What we propose\n\n- buy a used electric van;\n"
        "- pay it over four years;\n- the board reports on the costs at the next general assembly."
    ),
)
BIKES = proposals.ProposalData(
    title="A bike shelter at the workshop",
    summary="We build a covered place for bikes in front of the furniture workshop.",
    what_changes="You can leave your bike dry and locked. The workshop team builds it with wood we have.",
    body="Ten people come by bike. When it rains, bikes get wet and two were stolen this year.",
)
CLOTHES = proposals.ProposalData(
    title="Work clothes for everyone",
    summary="The enterprise gives each worker two sets of work clothes and safety shoes.",
    what_changes="You no longer wear your own clothes at work. Ask for your size at the office.",
    body="Today everyone brings their own clothes. They wear out fast in the workshop.",
)
PAUSE = proposals.ProposalData(
    title="A longer lunch break on Fridays",
    summary="On Fridays, the lunch break lasts one hour instead of 45 minutes.",
    what_changes="You end 15 minutes later on Fridays.",
    body="We eat together on Fridays. 45 minutes is short to cook, eat and clean up.",
)


def load_demo_proposals() -> DemoVotes:
    """Four proposals, two of them put to the vote (one counted, one open)."""
    setting = demo_setting()
    if setting is None:
        return DemoVotes(0, 0)
    board, _ga, voters = setting
    ballots = 0

    # A proposal in vote, with an open poll: a third have voted, one through a proxy.
    van = proposals.create_proposal(demo_user("joao.silva") or board, VAN)
    proposals.transition_proposal(van.owner, van, "submit")
    poll = proposals.start_vote(board, van, proposals.VoteData(secret=True))
    poll.closes_at = utcnow() + timedelta(days=5)
    answers = ["yes", "yes", "no", "yes", "abstain", "yes", "no", "yes"]
    for index, member in enumerate(voters[:12]):
        services.cast_vote(member.user, poll, member, {"vote": answers[index % len(answers)]})
        ballots += 1
    principal, holder = voters[12], voters[13]
    services.give_proxy(principal.user, poll, principal, holder)
    services.cast_vote(holder.user, poll, principal, {"vote": "yes"}, mode=CastMode.PROXY)
    ballots += 1

    # A proposal open for support, and one waiting for the board.
    bikes = proposals.create_proposal(demo_user("amina.diallo") or board, BIKES)
    proposals.transition_proposal(bikes.owner, bikes, "submit")
    proposals.transition_proposal(board, bikes, "open_support")
    for member in voters[14:18]:
        proposals.support_proposal(member.user, bikes)
    pause = proposals.create_proposal(demo_user("mehmet.yilmaz") or board, PAUSE)
    proposals.transition_proposal(pause.owner, pause, "submit")

    # An adopted proposal: the vote said yes, the board answered and follows it up.
    clothes = proposals.create_proposal(demo_user("fatou.ndiaye") or board, CLOTHES)
    proposals.transition_proposal(clothes.owner, clothes, "submit")
    clothes_poll = proposals.start_vote(board, clothes, proposals.VoteData(secret=True))
    for index, member in enumerate(voters[:26]):
        answer = "no" if index % 6 == 5 else "yes"
        services.cast_vote(member.user, clothes_poll, member, {"vote": answer})
        ballots += 1
    services.close_poll(board, clothes_poll)
    proposals.settle_vote(board, clothes)
    proposals.answer_proposal(
        board,
        clothes,
        "Thank you. We ordered the clothes from a supplier that employs people with "
        "disabilities. Sizes are taken at the office until the end of the month.",
    )
    proposals.update_follow_up(
        board,
        clothes,
        "in_progress",
        voters[2].id,
        local_today() + timedelta(days=30),
        "Sizes taken for 18 people. Shoes ordered.",
    )

    # People discuss the van; the board hid one comment, with its reason.
    first = comments.add_comment(
        voters[0].user, van, "Good idea. The morning team waits every day for the van."
    )
    comments.add_comment(
        van.owner, van, "Yes, and with two vans we can take the Tuesday client too.", first
    )
    rude = comments.add_comment(voters[3].user, van, "Whoever drives the van now is too slow.")
    comments.hide_comment(board, rude, van, "About a person, not about the proposal.")
    comments.add_comment(voters[5].user, van, "Can the new van be electric?")

    # A change proposed to the bike shelter, waiting for its author; the board answers the
    # lunch break.
    amendments.propose_amendment(
        voters[6].user,
        bikes,
        amendments.AmendmentData(
            field="summary",
            text="We build a covered and locked place for bikes in front of the workshop.",
            reason="A roof is not enough: two bikes were stolen.",
        ),
    )
    proposals.answer_proposal(
        board,
        pause,
        "The board will discuss it on its next meeting, with the workshop and cleaning teams.",
    )
    return DemoVotes(polls=2, ballots=ballots, proposals=4)
