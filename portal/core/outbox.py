"""The e-mail outbox: messages are stored first and sent later, so none is lost.

`queue_mail` adds a message in the caller's transaction. `flask portal send-mail` drains the
outbox over SMTP; a message that fails stays queued, with the error and a later retry time.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db

log = logging.getLogger(__name__)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body_text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    def __repr__(self) -> str:
        state = "sent" if self.sent_at else f"queued, {self.attempts} attempts"
        return f"<OutboxMessage {self.id} to={self.to_address!r} {state}>"


def queue_mail(to_address: str, subject: str, body_text: str) -> OutboxMessage:
    """Queue one message; it is sent by `flask portal send-mail`."""
    message = OutboxMessage(to_address=to_address, subject=subject[:200], body_text=body_text)
    db.session.add(message)
    db.session.flush()
    return message


def _build(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    email.set_content(message.body_text)
    return email


def _connect(config) -> smtplib.SMTP:
    timeout = config["MAIL_TIMEOUT_SECONDS"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(
            config["MAIL_SERVER"],
            config["MAIL_PORT"],
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def retry_delay(attempts: int) -> timedelta:
    """Back off: 1, 2, 4 … minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def send_pending(config, limit: int = 500, now: datetime | None = None) -> tuple[int, int]:
    """Send due messages; returns (sent, failed). Commits after each message.

    This is a command, not a request service: each message is committed on its own so a crash
    half-way never sends a message twice nor forgets one that was sent.
    """
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts < config["MAIL_MAX_ATTEMPTS"],
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    smtp = None
    for message in due:
        try:
            if smtp is None:
                smtp = _connect(config)
            smtp.send_message(_build(message, config["MAIL_DEFAULT_SENDER"]))
        except (OSError, smtplib.SMTPException) as error:
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:500]
            message.next_attempt_at = utcnow() + retry_delay(message.attempts)
            failed += 1
            log.warning("Could not send message %s: %s", message.id, message.last_error)
            if smtp is not None:
                try:
                    smtp.close()
                finally:
                    smtp = None
        else:
            message.attempts += 1
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
        db.session.commit()
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return sent, failed
