"""Follow the event log by polling the HTTP feed (GET /events), resuming from a saved cursor.

    python examples/poll.py --url http://127.0.0.1:8000 --token "$TOKEN" \
        [--after 0] [--event-type Member.TransferAccepted] [--state cursor.txt] [--once]

Standard library only. Prints one JSON line per event; after each page it stores
``next`` (the position to continue after) in the state file, so a restart neither
skips nor, beyond the last unsaved page, repeats events. Deduplicate by ``eventId``.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path


def page(url: str, token: str, after: int, limit: int, params: list[tuple[str, str]]) -> dict:
    query = urllib.parse.urlencode([("after", after), ("limit", limit), *params])
    request = urllib.request.Request(f"{url}/events?{query}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True)
    parser.add_argument("--after", type=int, default=None)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--stream-type", action="append", default=[])
    parser.add_argument("--event-type", action="append", default=[])
    parser.add_argument("--within")
    parser.add_argument("--state", type=Path, help="file that keeps the cursor")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="seconds between polls at the head")
    parser.add_argument("--once", action="store_true",
                        help="stop at the head instead of polling on")
    args = parser.parse_args()
    after = args.after
    if after is None:
        after = int(args.state.read_text()) if args.state and args.state.exists() else 0
    params = [("stream_type", s) for s in args.stream_type]
    params += [("event_type", e) for e in args.event_type]
    if args.within:
        params.append(("within", args.within))
    while True:
        body = page(args.url, args.token, after, args.limit, params)
        for event in body["events"]:
            print(json.dumps(event, ensure_ascii=False), flush=True)
        after = body["next"]
        if args.state is not None:
            args.state.write_text(str(after))
        if len(body["events"]) < args.limit:  # at the head
            if args.once:
                return
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
