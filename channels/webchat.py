"""Serves the web chat page from the Rasa server itself, at /webchat/.

Same origin as the socket.io channel, so the page needs no CORS exception and no
secret: it only ever talks to the public channel endpoints.

Only a fixed list of files is served (the page, its script and style, an icon, and the
socket.io client that `npm ci` in web/ installs into web/node_modules), plus facts.json
(the emergency numbers, from the content): nothing else under web/ (package files,
node_modules) is reachable from a browser.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request

from rasa.core.channels.channel import InputChannel, UserMessage

from knowledge.facts import emergency_dial_codes, emergency_numbers

logger = logging.getLogger(__name__)

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
SOCKET_IO_CLIENT = Path("node_modules") / "socket.io-client" / "dist" / "socket.io.min.js"

# URL path under /webchat/ -> (file under web/, content type)
FILES: Dict[str, tuple] = {
    "": ("index.html", "text/html; charset=utf-8"),
    "index.html": ("index.html", "text/html; charset=utf-8"),
    "app.js": ("app.js", "application/javascript; charset=utf-8"),
    "style.css": ("style.css", "text/css; charset=utf-8"),
    "icon.svg": ("icon.svg", "image/svg+xml"),
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
