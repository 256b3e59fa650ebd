"""Demo pages: the statutes, the house rules, how our general assembly works, and news."""

from __future__ import annotations

import sqlalchemy as sa

from portal.content import services
from portal.content.models import Page
from portal.core.workflow import apply_transition
from portal.extensions import db

STATUTES = """\
These are the main rules of our cooperative, in short. The full text signed at the founding
is kept at the office: ask the secretary to read it.

## Who we are

**Atelier Commun** is a work integration social enterprise. We clean offices, cook for
canteens and repair and resell furniture. We give a job and a training to people who had
trouble finding work.

## Who is a member

- Every worker with a contract of at least three months can become a member.
- Permanent staff, volunteers and supporting members can become members too.
- The board admits new members. A refusal is explained in writing.

## How we decide

- The **general assembly** is all the members. It meets at least once a year.
- Each member has **one vote**.
- The general assembly elects the **board** for two years.
- The board meets every month and reports to the general assembly.

## Money

Profits stay in the enterprise. They pay for jobs, training and tools. Nobody gets a share
of the profits.
"""

HOUSE_RULES = """\
Rules for working well together. They were voted by the workers' council.

## Time

- Arrive on time. If you are late or sick, call your team leader **before** the start.
- Breaks: 15 minutes in the morning, 45 minutes for lunch.

## Safety

- Wear your safety shoes and gloves at the workshop.
- Never use a machine you were not trained on.
- Tell your team leader about any accident, even a small one.

## Respect

- We speak to each other with respect. No insult, no threat, no discrimination.
- A problem with a colleague? Talk to your team leader or your counsellor.
"""

GENERAL_ASSEMBLY = """\
The general assembly (GA) is the meeting of **all the members**. This is where we decide
the big things together.

## What the GA decides

- It approves the accounts of the year.
- It elects the board.
- It changes the statutes.
- It votes on proposals from members.

## Before the GA

- You receive an invitation **15 days before**, on paper or by e-mail.
- The invitation says the date, the place and the list of subjects (the *agenda*).
- You can ask your counsellor or a trainer to explain a subject.

## During the GA

- To decide, enough members must be there: this is the *quorum*.
- Each member has one vote.
- If you cannot come, you can give a **proxy**: another member votes for you.
- A proposal is adopted when more than half of the votes say yes.

## After the GA

The secretary writes the *minutes*: what was said and decided. The board approves them, then
everyone can read them here.
"""

NEWS = """\
The workshop in rue des Tanneurs reopens on Monday. Thank you to the repair team who painted
the walls and fixed the lights.

The new opening hours are **8:00 to 16:30**, Monday to Friday.
"""

DEMO_PAGES = [
    # title, summary, body, kind, public, published
    ("Our statutes", "The main rules of our cooperative, in short.", STATUTES, "page", True, True),
    ("House rules", "How we work well and safely together.", HOUSE_RULES, "page", False, True),
    (
        "How our general assembly works",
        "What the general assembly is, and how you take part.",
        GENERAL_ASSEMBLY,
        "page",
        True,
        True,
    ),
    (
        "The workshop reopens on Monday",
        "New opening hours: 8:00 to 16:30.",
        NEWS,
        "news",
        False,
        True,
    ),
    (
        "Draft: training plan for next year",
        "A first draft, not published yet.",
        "The board is writing this plan.",
        "page",
        False,
        False,
    ),
]


def load_demo_pages(author) -> int:
    """Create the demo pages once, written and published by `author`. The caller commits."""
    created = 0
    for title, summary, body, kind, public, published in DEMO_PAGES:
        if db.session.scalar(sa.select(Page.id).where(Page.title == title)):
            continue
        page = services.create_page(author, services.PageData(title, summary, body, kind, public))
        if published:
            apply_transition(page, "publish", author, "demo content")
        created += 1
    return created
