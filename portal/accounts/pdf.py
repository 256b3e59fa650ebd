"""The printable setup-code sheet (PDF, in the person's language, with a QR code)."""

from __future__ import annotations

import segno
from flask import current_app, render_template
from flask_babel import force_locale

from portal.accounts.models import SetupCode, User
from portal.accounts.services import format_setup_code


def setup_sheet_pdf(user: User, code: SetupCode, plain_code: str, setup_url: str) -> bytes:
    """Render the sheet a person takes home: their username, the code, a QR code, the steps."""
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    link = f"{setup_url}?code={plain_code}"
    qr_svg = segno.make(link, error="m").svg_data_uri(scale=6, border=2)
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        html = render_template(
            "accounts/setup_sheet.html",
            user=user,
            code=format_setup_code(plain_code),
            expires_at=code.expires_at,
            setup_url=setup_url,
            qr_svg=qr_svg,
        )
    return HTML(string=html, base_url=setup_url).write_pdf()
