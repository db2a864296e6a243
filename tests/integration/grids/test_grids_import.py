"""``grassroots grids import``: the whole file is validated first (every bad row by its line),
then each grid is recorded through the domain with the file's digest as its reason, once."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg

from api.auth import mint
from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import Role
from tests.integration.support import commands, req

ROOT = Path(__file__).resolve().parents[3]
SECRET = "grid-import-secret-" + "x" * 20


async def grassroots(dsn: str, data_dir: Path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": dsn, "GRASSROOTS_DATA_DIR": str(data_dir), "GRASSROOTS_JWT_SECRET": SECRET}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "api.cli.main", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def communities(pool: asyncpg.Pool) -> dict[str, Any]:
    cmds = commands(pool)
    K = OrganizationKind
    district = (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "兴隆台区委", None)).id
    street = (await cmds.establish_organization(req(), K.STREET_WORKING_COMMITTEE, "振兴街道党工委", district,
                                                "211102004000")).id
    east = (await cmds.establish_organization(req(), K.COMMUNITY_COMMITTEE, "兴盛社区党委", street, "211102004001")).id
    west = (await cmds.establish_organization(req(), K.COMMUNITY_COMMITTEE, "惠宾社区党委", street, "211102004002")).id
    return {"east": east, "west": west}


def square(west: float, south: float) -> dict[str, Any]:
    ring = [[west, south], [west + 0.01, south], [west + 0.01, south + 0.01], [west, south + 0.01], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


async def test_every_bad_row_is_reported_by_its_line_and_nothing_is_recorded(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    await communities(pool)
    bowtie = json.dumps({"type": "Polygon", "coordinates": [[[122.0, 41.0], [122.1, 41.1], [122.1, 41.0],
                                                             [122.0, 41.1], [122.0, 41.0]]]})
    rows = [
        "code,name,kind,households,buildings,boundary",
        '211102004001001,兴盛一网格,RESIDENTIAL,320,1栋;2栋,',
        '211102009009001,无社区网格,RESIDENTIAL,100,,',
        '211102004001002,兴盛二网格,FARM,abc,3栋;3栋,',
        '211102004001003,兴盛三网格,MIXED,,,"' + bowtie.replace('"', '""') + '"',
        '211102004001001,重复网格,RESIDENTIAL,,,',
    ]
    path = tmp_path / "兴盛社区网格.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = await pool.fetchval("SELECT count(*) FROM events")
    code, err = await grassroots(dsn, tmp_path, "grids", "import", str(path))
    assert code == 1, err
    for line, says in ((3, "no community"), (4, "kind"), (5, "not a valid geometry"), (6, "listed on line 2")):
        assert f"line {line}:" in err and says in err, (line, err)
    assert "line 2:" not in err
    assert await pool.fetchval("SELECT count(*) FROM events") == before


async def test_a_geojson_file_is_recorded_once_with_its_digest_as_the_reason(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    ids = await communities(pool)
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square(122.00, 41.10),
         "properties": {"code": "211102004001001", "name": "兴盛一网格", "kind": "RESIDENTIAL", "households": 320,
                        "buildings": ["1栋", "2栋"]}},
        {"type": "Feature", "geometry": square(122.01, 41.10),
         "properties": {"code": "211102004001002", "name": "兴盛二网格", "kind": "MIXED", "population": 950}},
    ]}
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False, indent=2), encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    secretary = mint(SECRET, subject="east-secretary", name="兴盛社区书记", roles=[Role.COMMUNITY_SECRETARY],
                     scope=ids["east"], ttl_seconds=600)
    code, err = await grassroots(dsn, tmp_path, "grids", "import", str(path), "--token", secretary)
    assert code == 0, err
    assert "2 grid(s) registered" in err
    events = await pool.fetch("SELECT event_type, actor, reason, payload FROM events WHERE stream_type = 'Grid'"
                              " ORDER BY position")
    assert [e["event_type"] for e in events] == ["Grid.Registered", "Grid.Registered"]
    assert {e["actor"] for e in events} == {"east-secretary"}
    assert all(digest in e["reason"] for e in events)
    payload = events[0]["payload"]
    assert (json.loads(payload) if isinstance(payload, str) else payload)["buildings"] == ["1栋", "2栋"]

    code, err = await grassroots(dsn, tmp_path, "grids", "import", str(path), "--token", secretary)
    assert code == 0, err
    assert "0 grid(s) registered, 2 already imported" in err
    assert await pool.fetchval("SELECT count(*) FROM events WHERE stream_type = 'Grid'") == 2

    west = mint(SECRET, subject="west-secretary", name="惠宾社区书记", roles=[Role.COMMUNITY_SECRETARY],
                scope=ids["west"], ttl_seconds=600)
    code, err = await grassroots(dsn, tmp_path, "grids", "import", str(path), "--token", west)
    assert code == 1
    assert "line 4:" in err and "line 44:" in err and "outside your scope" in err, err
