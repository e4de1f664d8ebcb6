"""Serves the web chat page from the Rasa server itself, at /webchat/.

Same origin as the socket.io channel, so the page needs no CORS exception and no
secret: it only ever talks to the public channel endpoints.

Only a fixed list of files is served (the page, its script and style, an icon, and the
socket.io client that `npm ci` in web/ installs into web/node_modules), plus facts.json
(the emergency numbers, from the content): nothing else under web/ (package files,
node_modules) is reachable from a browser.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request

from rasa.core.channels.channel import InputChannel, UserMessage

from knowledge.facts import emergency_dial_codes, emergency_numbers

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
WEB_ROOT = ROOT / "web"
SOCKET_IO_CLIENT = Path("node_modules") / "socket.io-client" / "dist" / "socket.io.min.js"

# URL path under /webchat/ -> (file under web/, content type)
FILES: Dict[str, tuple] = {
    "": ("index.html", "text/html; charset=utf-8"),
    "index.html": ("index.html", "text/html; charset=utf-8"),
    "app.js": ("app.js", "application/javascript; charset=utf-8"),
    "style.css": ("style.css", "text/css; charset=utf-8"),
    "icon.svg": ("icon.svg", "image/svg+xml"),
    "summary.css": ("summary.css", "text/css; charset=utf-8"),
    "vendor/socket.io.min.js": (str(SOCKET_IO_CLIENT), "application/javascript; charset=utf-8"),
    "vendor/socket.io.min.js.map": (str(SOCKET_IO_CLIENT) + ".map", "application/json"),
}

MISSING_CLIENT = (
    "/* The socket.io client is not installed: run `npm ci` in web/ (make serve does it). */\n"
    "window.UNKNOT_MISSING_CLIENT = true;\n"
)

_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def security_headers(host: Optional[str]) -> Dict[str, str]:
    """Everything from this origin only; the socket may use ws(s):// to the same host."""
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Content-Security-Policy": (
            f"default-src 'self'; connect-src {connect}; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'"),
    }


_SUMMARY = re.compile(r"^(?P<id>[0-9a-f]{32})\.(?P<kind>html|pdf|fhir\.json)$")
SUMMARY_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "fhir.json": "application/fhir+json"}
_ENGINE: Dict[str, Any] = {}


def _database():
    """The knowledge database, read with plain SQL (the Rasa process does not import the
    SQLAlchemy 2.x knowledge layer)."""
    if "engine" not in _ENGINE:
        import sqlalchemy as sa
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / '.state' / 'unknot.db'}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        _ENGINE["engine"] = sa.create_engine(url, hide_parameters=True, pool_pre_ping=True)
    return _ENGINE["engine"]


def may_read(request: Request, conversation_hash: str) -> bool:
    """The holder of the conversation id, or of the API token."""
    token = os.environ.get("RASA_API_TOKEN")
    auth = request.headers.get("authorization", "")
    if token and auth.startswith("Bearer ") and hmac.compare_digest(auth[7:], token):
        return True
    conversation = request.args.get("conversation") or request.headers.get("x-conversation-id") or ""
    digest = hashlib.sha256(conversation.encode("utf-8")).hexdigest()
    return bool(conversation) and hmac.compare_digest(digest, conversation_hash)


def summary_response(request: Request, name: str, headers: Dict[str, str]):
    """A summary for a clinician, to its owner only; 404 for anything else (no hint of
    whether a summary exists)."""
    import sqlalchemy as sa
    match = _SUMMARY.match(name)
    not_found = response.text("not found", status=404, headers=headers)
    if not match:
        return not_found
    column = {"html": "html", "pdf": "pdf", "fhir.json": "fhir"}[match.group("kind")]
    try:
        with _database().connect() as connection:
            row = connection.execute(sa.text(f"SELECT conversation_hash, {column} FROM user_summary WHERE id = :id"),
                                     {"id": match.group("id")}).first()
    except Exception:  # noqa: BLE001 - the table may not exist yet
        logger.exception("reading a summary failed")
        return not_found
    if row is None or not may_read(request, row[0]):
        return not_found
    body = row[1]
    headers = {**headers, "Content-Type": SUMMARY_TYPES[match.group("kind")], "Cache-Control": "no-store"}
    if match.group("kind") == "pdf":
        headers["Content-Disposition"] = 'inline; filename="unknot-summary.pdf"'
        return response.raw(bytes(body), headers=headers)
    return response.text(body, headers=headers)


class WebChatPage(InputChannel):
    """Static files only; conversations go through the socket.io channel."""

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> "WebChatPage":
        return cls()

    def url_prefix(self) -> Text:
        return "/webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webchat = Blueprint("webchat_page", __name__)
        if not (WEB_ROOT / SOCKET_IO_CLIENT).is_file():
            logger.warning("web chat: %s is missing; run `npm ci` in web/", WEB_ROOT / SOCKET_IO_CLIENT)

        @webchat.route("/", methods=["GET"])
        async def index(request: Request):
            return await self._file(request, "")

        @webchat.route("/<name:path>", methods=["GET"])
        async def asset(request: Request, name: str):
            return await self._file(request, name)

        return webchat

    @staticmethod
    async def _file(request: Request, name: str):
        headers = {**security_headers(request.headers.get("host")), "Cache-Control": "no-cache"}
        if name.startswith("summary/"):
            return summary_response(request, name[len("summary/"):], headers)
        if name.strip("/") == "facts.json":
            # The emergency numbers the page shows first, from the same content as the replies.
            return response.json({"emergency_numbers": emergency_numbers(), "dial": list(emergency_dial_codes())},
                                 headers=headers)
        entry = FILES.get(name.strip("/") if name != "" else "")
        if entry is None:
            return response.text("not found", status=404, headers=headers)
        relative, content_type = entry
        path = (WEB_ROOT / relative).resolve()
        if not path.is_file():
            if relative == str(SOCKET_IO_CLIENT):
                return response.text(MISSING_CLIENT, headers={**headers, "Content-Type": content_type})
            return response.text("not found", status=404, headers=headers)
        return await response.file(str(path), headers={**headers, "Content-Type": content_type})
