"""A webhook receiver that checks signatures: ``python examples/webhook_receiver.py``.

Standard library only. Register it (``registerWebhook(input: {url:
"http://127.0.0.1:9000/hook"})``), then run it with the secret the registration showed:

    WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py 9000

It answers 2xx only for a valid signature with a fresh timestamp, and ignores an
event id it has already processed (delivery is at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["WEBHOOK_SECRET"]
seen: set[str] = set()  # keep processed event ids in your own database


def verified(secret: str, signature: str, body: bytes) -> bool:
    """Grassroots-Signature is "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + body>"."""
    ts, _, mac = signature.removeprefix("t=").partition(",v1=")
    expected = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return abs(time.time() - int(ts)) <= 300 and hmac.compare_digest(mac, expected)


class Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verified(SECRET, self.headers.get("Grassroots-Signature", "t=0,v1="), body):
            self.send_response(401)
            self.end_headers()
            return
        event_id = self.headers["Grassroots-Event-Id"]
        if event_id not in seen:
            seen.add(event_id)
            event = json.loads(body)
            print(f'{event["position"]:>8} {event["type"]:<32} {event["streamId"]}', flush=True)
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    HTTPServer(("127.0.0.1", port), Hook).serve_forever()
