"""Follow the event log over GraphQL subscriptions (graphql-transport-ws), resuming on reconnect.

    pip install websockets
    python examples/subscribe.py --url ws://127.0.0.1:8000/graphql --token "$TOKEN" \
        [--after 0] [--event-type Member.TransferRequested] [--state last-position.txt]

Prints one JSON line per event. Stores the last position it processed in the state
file after each event and reconnects from it after a disconnect or when the server
closes the subscription for falling behind, so it receives every event at least once
and in order; deduplicate by ``eventId`` if your processing is not idempotent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import websockets

QUERY = """subscription($after: Int, $filter: EventFilterInput) {
  events(after: $after, filter: $filter) {
    position eventId type streamId streamType version recordedAt actor reason payload
  }
}"""


async def follow(url: str, token: str, after: int, flt: dict, state: Path | None) -> None:
    while True:
        try:
            async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send(json.dumps({"type": "connection_init",
                                          "payload": {"Authorization": f"Bearer {token}"}}))
                ack = json.loads(await ws.recv())
                if ack["type"] != "connection_ack":
                    raise SystemExit(f"refused: {ack}")
                await ws.send(json.dumps({"id": "log", "type": "subscribe", "payload": {
                    "query": QUERY, "variables": {"after": after, "filter": flt or None}}}))
                async for raw in ws:
                    msg = json.loads(raw)
                    if msg["type"] == "ping":
                        await ws.send('{"type": "pong"}')
                    elif msg["type"] == "next" and msg["payload"].get("errors"):
                        error = msg["payload"]["errors"][0]
                        # SUBSCRIBER_FELL_BEHIND: resume from our own last position.
                        print(json.dumps({"closed": error.get("message")}), flush=True)
                        break
                    elif msg["type"] == "next":
                        event = msg["payload"]["data"]["events"]
                        print(json.dumps(event, ensure_ascii=False), flush=True)
                        after = event["position"]
                        if state is not None:
                            await asyncio.to_thread(state.write_text, str(after))
                    elif msg["type"] in ("error", "complete"):
                        raise SystemExit(f"subscription ended: {msg}")
        except (OSError, websockets.ConnectionClosed) as exc:
            print(json.dumps({"disconnected": str(exc), "resume_after": after}), flush=True)
        await asyncio.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/graphql")
    parser.add_argument("--token", required=True)
    parser.add_argument("--after", type=int, default=None,
                        help="start after this position (default: the state file, else 0)")
    parser.add_argument("--stream-type", action="append", dest="stream_types")
    parser.add_argument("--event-type", action="append", dest="event_types")
    parser.add_argument("--within", help="organization subtree root")
    parser.add_argument("--state", type=Path, help="file that keeps the last position")
    args = parser.parse_args()
    after = args.after
    if after is None:
        after = int(args.state.read_text()) if args.state and args.state.exists() else 0
    flt = {k: v for k, v in (("streamTypes", args.stream_types), ("eventTypes", args.event_types),
                             ("within", args.within)) if v}
    asyncio.run(follow(args.url, args.token, after, flt, args.state))


if __name__ == "__main__":
    main()
