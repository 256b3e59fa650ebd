"""The e-mail outbox: nothing is lost while the mail server is down."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from portal.core.db import utcnow
from portal.core.outbox import OutboxMessage, queue_mail, retry_delay


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture()
def smtp_port(config, monkeypatch):
    """A free port, set as MAIL_PORT for this test (chosen now, so not an `options` marker)."""
    port = free_port()
    monkeypatch.setitem(config, "MAIL_PORT", port)
    return port


def test_messages_wait_while_the_server_is_down_and_leave_when_it_is_up(app, db, smtp_port):
    message = queue_mail("amina@example.org", "Hello", "Bonjour Amina,\nÇa va ?")
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["portal", "send-mail"])
    assert result.exit_code == 1
    assert "1 could not be sent" in result.output
    db.session.expire_all()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "ConnectionRefused" in message.last_error
    assert message.next_attempt_at > utcnow()

    # Not due yet: the command does not try again before the back-off time.
    result = runner.invoke(args=["portal", "send-mail"])
    assert "Sent 0 message(s); 0 could not be sent" in result.output

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        result = runner.invoke(args=["portal", "send-mail"])
        assert result.exit_code == 0, result.output
        assert "Sent 1 message(s)" in result.output
    finally:
        controller.stop()
    db.session.expire_all()
    assert message.sent_at is not None and message.last_error is None
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["amina@example.org"]
    assert (
        "Ça va ?" in envelope.content.decode("utf-8") or "=C3=87a va" in envelope.content.decode()
    )

    # Sent messages are not sent again.
    result = runner.invoke(args=["portal", "send-mail"])
    assert "Sent 0 message(s)" in result.output


def test_messages_stop_after_the_maximum_number_of_attempts(app, db, smtp_port):
    message = queue_mail("x@example.org", "S", "B")
    message.attempts = app.config["MAIL_MAX_ATTEMPTS"]
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["portal", "send-mail"])
    assert "Sent 0 message(s); 0 could not be sent" in result.output
    assert (
        db.session.scalar(sa.select(OutboxMessage.sent_at).where(OutboxMessage.id == message.id))
        is None
    )


def test_retry_delay_grows_and_is_capped():
    assert retry_delay(1) == timedelta(minutes=1)
    assert retry_delay(3) == timedelta(minutes=4)
    assert retry_delay(30) == timedelta(hours=6)
