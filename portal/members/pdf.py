"""The welcome sheet: a printable PDF in the member's language, with their setup code."""

from __future__ import annotations

from datetime import date

import segno
from flask import render_template
from flask_babel import force_locale

from portal.accounts.models import SetupCode
from portal.accounts.services import format_setup_code
from portal.members import bodies
from portal.members.models import Member


def welcome_sheet_pdf(
    member: Member, code: SetupCode, plain_code: str, setup_url: str, today: date
) -> bytes:
    """What a new member takes home: who they are here, how to log in, what they can do."""
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    link = f"{setup_url}?code={plain_code}"
    qr_svg = segno.make(link, error="m").svg_data_uri(scale=6, border=2)
    with force_locale(member.preferred_language):
        html = render_template(
            "members/welcome_sheet.html",
            member=member,
            user=code.user,
            code=format_setup_code(plain_code),
            expires_at=code.expires_at,
            setup_url=setup_url,
            qr_svg=qr_svg,
            mandates=bodies.mandates_of_member(member, today),
            voting_bodies=[
                body
                for body in bodies.bodies()
                if any(v.member_id == member.id for v in bodies.electorate(body, today))
            ],
        )
    return HTML(string=html, base_url=setup_url).write_pdf()
