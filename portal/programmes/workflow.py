"""Who may do what with a programme, as data: the permissions of its four states.

A programme is planned, then running, then finished; or cancelled before it ends. Nobody holds a
role on it through the sharing screen: the roles come from what it is (`policies.programme_roles`):

- Programme trainer: a trainer named on the programme (an active account that keeps the trainer
  role). They run its sessions: roll-call, check-in codes, signatures, the sheet, practice polls
  and meetings, and they confirm the evidence of its learning outcomes;
- Participant: a member enrolled in it (not withdrawn). They see it, their own attendance only,
  say "I can't come", check in, sign and give feedback;
- board and counsellor: read it, its sheets (for a funder) and its reports;
- board and admin: set programmes up and name their trainers.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import DynamicRole, GlobalRole, Permission
from portal.core.workflow import State, Transition, Workflow

P = Permission
TRAINER = DynamicRole.PROGRAMME_TRAINER
PARTICIPANT = DynamicRole.PARTICIPANT
BOARD, COUNSELLOR, ADMIN = GlobalRole.BOARD, GlobalRole.COUNSELLOR, GlobalRole.ADMIN

PLANNED, RUNNING, FINISHED, CANCELLED = "planned", "running", "finished", "cancelled"


def roles(*names) -> frozenset[str]:
    return frozenset(str(name) for name in names)


def _open(extra: dict | None = None) -> dict:
    """The permissions of a programme that has not ended."""
    return {
        P.VIEW: roles(TRAINER, PARTICIPANT, BOARD, COUNSELLOR, ADMIN),
        P.EDIT: roles(TRAINER, BOARD, ADMIN),
        P.MANAGE_TRAINERS: roles(BOARD, ADMIN),
        P.ENROL: roles(TRAINER, BOARD, ADMIN),
        P.RUN_SESSIONS: roles(TRAINER),
        P.READ_SHEETS: roles(TRAINER, BOARD, COUNSELLOR),
        P.ATTEND: roles(PARTICIPANT),
        P.CONFIRM_EVIDENCE: roles(TRAINER),
        **(extra or {}),
    }


def _closed() -> dict:
    """A finished programme: its record is read, corrected with a reason, and attested."""
    return {
        P.VIEW: roles(TRAINER, PARTICIPANT, BOARD, COUNSELLOR, ADMIN),
        P.RUN_SESSIONS: roles(TRAINER),  # corrections with a reason, the trainer's signature
        P.READ_SHEETS: roles(TRAINER, BOARD, COUNSELLOR),
        P.ATTEND: roles(PARTICIPANT),  # feedback on the last session, its late signatures
        P.CONFIRM_EVIDENCE: roles(TRAINER),
        P.MANAGE_TRAINERS: roles(BOARD, ADMIN),  # to run it again
    }


PROGRAMME_WORKFLOW = Workflow(
    name="programme",
    initial=PLANNED,
    states={
        PLANNED: State(
            PLANNED, _l("Planned"), _open(), _l("Being prepared: sessions and participants.")
        ),
        RUNNING: State(RUNNING, _l("Running"), _open(), _l("Its sessions are taking place.")),
        FINISHED: State(
            FINISHED, _l("Finished"), _closed(), _l("Over. Its sheets and hours are kept.")
        ),
        CANCELLED: State(
            CANCELLED,
            _l("Cancelled"),
            {
                P.VIEW: roles(TRAINER, PARTICIPANT, BOARD, COUNSELLOR, ADMIN),
                P.READ_SHEETS: roles(TRAINER, BOARD, COUNSELLOR),
            },
            _l("Stopped before its end. What took place is kept."),
        ),
    },
    transitions={
        "start": Transition("start", _l("Start"), frozenset({PLANNED}), RUNNING, P.EDIT),
        "finish": Transition(
            "finish", _l("Mark as finished"), frozenset({RUNNING}), FINISHED, P.EDIT
        ),
        "cancel": Transition(
            "cancel",
            _l("Cancel the programme"),
            frozenset({PLANNED, RUNNING}),
            CANCELLED,
            P.EDIT,
            comment_required=True,
        ),
        "reopen": Transition(
            "reopen", _l("Run it again"), frozenset({FINISHED}), RUNNING, P.MANAGE_TRAINERS
        ),
    },
)
