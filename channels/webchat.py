"""Serves the web chat page from the Rasa server itself, at /webchat/.

Same origin as the socket.io channel, so the page needs no CORS exception and no
secret: it only ever talks to the public channel endpoints.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request

from rasa.core.channels.channel import InputChannel, UserMessage

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "application/javascript",
                 ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json",
                 ".map": "application/json"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'",
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

        @webchat.route("/", methods=["GET"])
        async def index(request: Request):
            return await self._file("index.html")

        @webchat.route("/<name:path>", methods=["GET"])
        async def asset(request: Request, name: str):
            return await self._file(name)

        return webchat

    @staticmethod
    async def _file(name: str):
        root = WEB_ROOT.resolve()
        path = (root / name).resolve()
        if root not in path.parents and path != root or not path.is_file():
            return response.text("not found", status=404)
        return await response.file(str(path), headers={
            **SECURITY_HEADERS, "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            "Cache-Control": "no-cache"})
