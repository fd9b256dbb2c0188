"""Sign-in with a one-time link, sign-out, and who is signed in for each request.

A sign-in link (`meetings account link NAME`) opens a page whose button redeems it: a link that mail
scanners or previews fetch is not used up by the fetch. Redeeming starts a session in a signed, HttpOnly,
SameSite=Lax cookie holding only the account's name; the account is looked up on every request, so
revoking it ends its sessions at once. With `--trust-proxy-header`, the header names the account instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from exports.web import accounts, context

bp = Blueprint("auth", __name__)
LOOPBACK = frozenset({"127.0.0.1", "::1"})
F = TypeVar("F", bound=Callable[..., Any])


@bp.before_app_request
def load_viewer() -> None:
    """g.viewer: the signed-in account, or None."""
    ctx = context()
    g.viewer = None
    g.via_proxy = False
    # The proxy must run on this machine: a header from anywhere else is anyone's claim.
    if ctx.proxy_user_header and request.remote_addr in LOOPBACK:
        name = request.environ.get(ctx.proxy_user_header, "").strip()
        if name:
            g.viewer = accounts.by_name(ctx.ledger, name)
            g.via_proxy = g.viewer is not None
            return
    name = session.get("account")
    if isinstance(name, str) and name:
        g.viewer = accounts.by_name(ctx.ledger, name)
        if g.viewer is None:  # revoked or removed since: the session ends here
            session.clear()


def login_required(view: F) -> F:
    """The rule said once: a form is for a signed-in account."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        if g.viewer is None:
            flash("Sign in first: ask an organizer for a sign-in link.", "error")
            return redirect(request.referrer or url_for("pages.index"), code=303)
        return view(**kwargs)

    return wrapped  # type: ignore[return-value]


@bp.get("/sign-in")
@bp.get("/sign-in/<token>")
def sign_in_page(token: str = "") -> Any:
    token = token or request.args.get("token", "")
    if not token or len(token) > 256:
        abort(404)
    response = render_template("sign_in.html", token=token)
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/sign-in")
def sign_in() -> Any:
    viewer = accounts.redeem_sign_in(context().ledger, request.form.get("token", ""))
    if viewer is None:
        body = render_template("sign_in.html", token="", refused=True)
        return body, 403, {"Cache-Control": "no-store"}
    session.clear()  # nothing from before the sign-in carries over
    session["account"] = viewer.name
    session.permanent = True
    flash(f"Signed in as {viewer.name}.", "info")
    return redirect(url_for("pages.index"), code=303)


@bp.post("/sign-out")
def sign_out() -> Any:
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("pages.index"), code=303)
