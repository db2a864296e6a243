"""Issue 11's "done means", over real HTTP, a WebSocket and the command line.

A community secretary, as a new user would, imports her community's grids from a GeoJSON
file, appoints a leader, workers and an instructor, splits one grid in two and merges two
others, and sees on ``gridMap`` the new grids, on ``grids(filter: {understaffed: true})``
the one left without a worker, and in ``history`` who did each step and why; the street
admin moves a grid to the next community and its old code shows as retired. The city's
grid command centre (an integration token over the district) receives every one of those
events, in order, on its ``events`` subscription.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from api.auth import mint
from domain.shared.permissions import Role
from tests.e2e.conftest import SECRET, Server
from tests.e2e.test_transfer_walkthrough import build_tree
from tests.e2e.ws import EVENTS, connect

ROOT = Path(__file__).resolve().parents[2]
EAST = "320508019001"
WEST = "320508019002"
GRID = "... on GridPayload { assignmentId grid { id code understaffed } } ... on Error { code message field }"
REDRAWN = ("... on RedrawingPayload { grids { id code } retired { id code status } staff { assignmentId"
           " newAssignmentId } } ... on Error { code message field }")


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


async def mutate(server: Server, token: str, mutation: str, selection: str, **fields: Any) -> dict[str, Any]:
    kind = mutation[0].upper() + mutation[1:]
    data = await server.ok(token, f"mutation($input: {kind}Input!) {{ {mutation}(input: $input) {{ __typename"
                                  f" {selection} }} }}", {"input": fields})
    result: dict[str, Any] = data[mutation]
    assert "code" not in result, result
    return result


async def grassroots(dsn: str, data_dir: Path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": dsn, "GRASSROOTS_DATA_DIR": str(data_dir), "GRASSROOTS_JWT_SECRET": SECRET}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "api.cli.main", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_a_secretary_imports_staffs_splits_and_merges_and_the_street_moves_a_grid(
    server: Server, dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    district, street, east, west = await build_tree(server, admin)
    secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")
    centre = server.token(Role.INTEGRATION, scope=district, subject="grid-command-centre")
    start = await pool.fetchval("SELECT max(position) FROM events")

    async with connect(server, centre) as feed:
        await feed.subscribe(EVENTS, {"after": start, "filter": {"streamTypes": ["Grid"]}})

        # 1. The import, from the file the community keeps.
        features = [
            {"type": "Feature", "geometry": box(120.60, 31.30, 120.62, 31.31),
             "properties": {"code": EAST + "001", "name": "平江一网格", "kind": "RESIDENTIAL", "households": 640,
                            "buildings": ["1幢", "2幢", "3幢"]}},
            {"type": "Feature", "geometry": box(120.62, 31.30, 120.63, 31.31),
             "properties": {"code": EAST + "002", "name": "平江二网格", "kind": "RESIDENTIAL", "households": 210,
                            "buildings": ["4幢"]}},
            {"type": "Feature", "geometry": box(120.63, 31.30, 120.64, 31.31),
             "properties": {"code": EAST + "003", "name": "平江三网格", "kind": "MIXED", "households": 180,
                            "buildings": ["5幢"]}},
        ]
        path = tmp_path / "平江新村网格.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1),
                        encoding="utf-8")
        code, err = await grassroots(dsn, tmp_path, "grids", "import", str(path), "--token", secretary)
        assert code == 0, err
        found = await server.ok(secretary, "{ grids { edges { node { id code } } } }")
        ids = {e["node"]["code"][-3:]: e["node"]["id"] for e in found["grids"]["edges"]}
        assert sorted(ids) == ["001", "002", "003"]

        # 2. One leader, two workers, an instructor (一长两员), and the other grids' staff.
        async def appoint(grid: str, role: str, name: str, phone: str) -> str:
            made = await mutate(server, secretary, "appointGridStaff", GRID, gridId=ids[grid], role=role,
                                reason="社区两委会议决定", name=name, phone=phone)
            return str(made["assignmentId"])
        leader = await appoint("001", "LEADER", "王建华", "13912340001")
        workers = [await appoint("001", "WORKER", "李娜", "13912340002"),
                   await appoint("001", "WORKER", "张伟", "13912340003")]
        instructor = await appoint("001", "INSTRUCTOR", "陈静", "13912340004")
        merged_staff = [await appoint("002", "LEADER", "刘洋", "13912340005"),
                        await appoint("002", "WORKER", "周敏", "13912340006"),
                        await appoint("003", "LEADER", "吴磊", "13912340007"),
                        await appoint("003", "WORKER", "赵丽", "13912340008")]

        # 3. Split 001 in two: the west half keeps the staff, the east half gets a new leader only.
        split = await mutate(server, secretary, "splitGrid", REDRAWN, gridId=ids["001"], reason="户数增长，一格拆两格",
                             parts=[{"code": EAST + "004", "name": "平江一网格西片", "buildings": ["1幢"],
                                     "boundary": box(120.60, 31.30, 120.61, 31.31),
                                     "staffIds": [leader, *workers, instructor]},
                                    {"code": EAST + "005", "name": "平江一网格东片", "buildings": ["2幢", "3幢"],
                                     "boundary": box(120.61, 31.30, 120.62, 31.31)}])
        assert [g["code"] for g in split["grids"]] == [EAST + "004", EAST + "005"]
        assert all(s["newAssignmentId"] for s in split["staff"])
        east_half = split["grids"][1]["id"]
        await mutate(server, secretary, "appointGridStaff", GRID, gridId=east_half, role="LEADER", reason="新设网格",
                     name="孙涛", phone="13912340009")

        # 4. Merge 002 and 003; the second leader's post ends with the old grid.
        merged = await mutate(server, secretary, "mergeGrids", REDRAWN, gridIds=[ids["002"], ids["003"]],
                              reason="小区合并管理", into={"code": EAST + "006", "name": "平江二三网格",
                                                      "buildings": ["4幢", "5幢"],
                                                      "boundary": box(120.62, 31.30, 120.64, 31.31),
                                                      "staffIds": [s for i, s in enumerate(merged_staff) if i != 2]})
        assert [g["code"] for g in merged["retired"]] == [EAST + "002", EAST + "003"]

        # 5. What the secretary sees: the map, the understaffed grid, the history.
        seen = await server.ok(secretary, "query($e: ID!) { gridMap(within: $e)"
                                          " grids(filter: {understaffed: true}) { edges { node { code } } } }",
                               {"e": east})
        assert [f["properties"]["code"] for f in seen["gridMap"]["features"]] == [EAST + "004", EAST + "005",
                                                                                   EAST + "006"]
        assert [e["node"]["code"] for e in seen["grids"]["edges"]] == [EAST + "005"]  # a leader, no worker
        own = await server.ok(secretary, "query($e: ID!) { node(id: $e) { ... on Organization { grids {"
                                         " edges { node { code } } } } } }", {"e": east})
        assert [e["node"]["code"] for e in own["node"]["grids"]["edges"]] == [EAST + "004", EAST + "005", EAST + "006"]

        # 5b. A grid Party branch for the new grids: its own code, shaped like a grid code under the community.
        branch = ("mutation($input: EstablishOrganizationInput!) { establishOrganization(input: $input) { __typename"
                  " ... on OrganizationPayload { organization { id code } } ... on Error { code field } } }")
        bad = await server.ok(admin, branch, {"input": {"kind": "GRID_BRANCH", "name": "平江网格党支部",
                                                        "parentId": east, "code": "abc-not-a-grid-code"}})
        assert bad["establishOrganization"] == {"__typename": "InvalidGridBranchCode",
                                                "code": "INVALID_GRID_BRANCH_CODE", "field": "code"}
        good = await server.ok(admin, branch, {"input": {"kind": "GRID_BRANCH", "name": "平江网格党支部",
                                                         "parentId": east, "code": EAST + "004"}})
        assert good["establishOrganization"]["organization"]["code"] == EAST + "004"
        history = await server.ok(secretary, "query($id: ID!) { history(streamId: $id) { edges { node { type actor"
                                             " reason } } } }", {"id": ids["001"]})
        steps = [e["node"] for e in history["history"]["edges"]]
        assert steps[0]["type"] == "Grid.Registered" and "sha256" in steps[0]["reason"]
        assert {s["actor"] for s in steps} == {"east-secretary"}
        assert [s["reason"] for s in steps if s["type"] == "Grid.StaffAppointed"] == ["社区两委会议决定"] * 4
        assert steps[-1] == {"type": "Grid.Retired", "actor": "east-secretary", "reason": "户数增长，一格拆两格"}

        # 6. The street moves the merged grid to the next community: a new code there, the old one retired.
        moving = merged["grids"][0]["id"]
        refused = await server.ok(secretary, "mutation($input: MoveGridInput!) { moveGrid(input: $input) {"
                                             " __typename ... on Error { code } } }",
                                  {"input": {"gridId": moving, "toCommunityId": west, "code": WEST + "001",
                                             "reason": "区划调整"}})
        assert refused["moveGrid"]["__typename"] == "NotAuthorized"
        moved = await mutate(server, street_admin, "moveGrid", REDRAWN, gridId=moving, toCommunityId=west,
                             code=WEST + "001", reason="区划调整，划入钮家巷社区")
        old = await server.ok(street_admin, f'{{ gridByCode(code: "{EAST}006") {{ status endedOn successorIds }} }}')
        assert old["gridByCode"]["status"] == "RETIRED" and old["gridByCode"]["successorIds"] == [
            moved["grids"][0]["id"]]

        # 7. The command centre received every grid event, in order, exactly once.
        logged = await pool.fetch("SELECT position, event_type FROM events WHERE stream_type = 'Grid'"
                                  " ORDER BY position")
        received = await feed.events_until(logged[-1]["position"])
        assert [(e["position"], e["type"]) for e in received] == [(r["position"], r["event_type"]) for r in logged]
        assert {e["actor"] for e in received} == {"east-secretary", "street-admin"}

        # 8. A grid worker's grid-scoped token (grassroots token --grid): its grid, nothing else, in GraphQL and
        # in GET /events.
        worker = mint(SECRET, subject="grid-worker-005", name="网格员", roles=[Role.GRID_WORKER],
                      scope=UUID(east), grid=UUID(east_half))
        sees = await server.ok(worker, "{ me { grid } grids(filter: {retired: null}) { edges { node { id } } } }")
        assert sees == {"me": {"grid": east_half}, "grids": {"edges": [{"node": {"id": east_half}}]}}
        polled = await server.client.get(f"{server.url}/events", params={"after": 0, "limit": 1000},
                                         headers={"authorization": f"Bearer {worker}"})
        assert polled.status_code == 200, polled.text
        assert {e["streamId"] for e in polled.json()["events"]} == {east_half}

