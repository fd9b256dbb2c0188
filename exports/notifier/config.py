"""Where mail goes: `MEETINGS_SMTP_URL` and `MEETINGS_MAIL_FROM`, else what `meetings notify configure` stored.

The SMTP password is a secret and is never stored in the ledger's database (whoever reads the
database could read it, and a key kept beside it would hide nothing): give it in the URL of
the environment, or in `MEETINGS_SMTP_PASSWORD`. It is never printed or logged; `shown` is the
URL without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from ledger.errors import BadInputError

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpUrl:
    scheme: str
    host: str
    port: int
    user: str
    password: str

    @property
    def shown(self) -> str:
        """The URL without its password: what status and logs show."""
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(value: str) -> SmtpUrl:
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise BadInputError(
            f"the SMTP URL must start smtp://, smtp+starttls:// or smtps://, not {scheme or value!r}://"
        )
    if not parts.hostname:
        raise BadInputError("the SMTP URL needs a host: smtp://host:port")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError:
        raise BadInputError("bad port in the SMTP URL") from None
    return SmtpUrl(scheme, parts.hostname, port, unquote(parts.username or ""), unquote(parts.password or ""))


@dataclass(frozen=True)
class MailConfig:
    smtp: SmtpUrl
    sender: str
    base_url: str | None  # where the web pages are, for the unsubscribe link


def load(stored: dict[str, str | None]) -> MailConfig | None:
    """The settings in force: the environment's, else the stored ones; None when no SMTP URL is set."""
    url = os.environ.get("MEETINGS_SMTP_URL") or stored.get("smtp-url")
    if not url:
        return None
    smtp = parse_smtp_url(url)
    password = smtp.password or os.environ.get("MEETINGS_SMTP_PASSWORD", "")
    smtp = SmtpUrl(smtp.scheme, smtp.host, smtp.port, smtp.user, password)
    sender = os.environ.get("MEETINGS_MAIL_FROM") or stored.get("mail-from") or ""
    if not sender or "@" not in sender:
        raise BadInputError("set MEETINGS_MAIL_FROM (or `meetings notify configure --from`) to the sender's address")
    base = os.environ.get("MEETINGS_BASE_URL") or stored.get("base-url") or None
    return MailConfig(smtp, sender, base.rstrip("/") if base else None)
