"""The PostgreSQL/PostGIS test server really runs: SQLAlchemy + psycopg connect, PostGIS answers, a GiST-indexed
geometry(Point, 4326) column round-trips a point and ST_Contains works."""

import pytest
from pg_server import pg_url  # noqa: F401  (session fixture)
from sqlalchemy import create_engine, text


@pytest.fixture
def engine(pg_url):  # noqa: F811
    eng = create_engine(pg_url)
    yield eng
    eng.dispose()


@pytest.mark.slow
def test_url_is_a_local_psycopg_url(pg_url):  # noqa: F811
    assert pg_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert pg_url.endswith("/ktxh_test")


@pytest.mark.slow
def test_postgis_point_round_trip_and_contains(engine):
    with engine.begin() as conn:
        assert conn.execute(text("SELECT current_database()")).scalar_one() == "ktxh_test"
        assert engine.dialect.driver == "psycopg"
        version = conn.execute(text("SELECT postgis_version()")).scalar_one()
        assert version.split()[0].startswith("3.")

        conn.execute(text("DROP TABLE IF EXISTS pg_smoke_objects"))
        conn.execute(
            text(
                "CREATE TABLE pg_smoke_objects ("
                " id serial PRIMARY KEY, name text NOT NULL, geom geometry(Point, 4326) NOT NULL)"
            )
        )
        conn.execute(text("CREATE INDEX pg_smoke_objects_geom_idx ON pg_smoke_objects USING gist (geom)"))
        conn.execute(
            text("INSERT INTO pg_smoke_objects (name, geom) VALUES (:name, ST_GeomFromText(:wkt, 4326))"),
            {"name": "Cụm công nghiệp Đồng Đinh", "wkt": "POINT(106.1234 21.5123)"},
        )

    with engine.connect() as conn:
        row = conn.execute(text("SELECT name, ST_AsText(geom), ST_SRID(geom) FROM pg_smoke_objects")).one()
        assert row == ("Cụm công nghiệp Đồng Đinh", "POINT(106.1234 21.5123)", 4326)

        index = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'pg_smoke_objects_geom_idx'")
        ).scalar_one()
        assert "USING gist" in index

        inside = "POLYGON((106.0 21.4, 106.3 21.4, 106.3 21.6, 106.0 21.6, 106.0 21.4))"
        outside = "POLYGON((105.0 20.0, 105.1 20.0, 105.1 20.1, 105.0 20.1, 105.0 20.0))"
        contains = text("SELECT count(*) FROM pg_smoke_objects WHERE ST_Contains(ST_GeomFromText(:poly, 4326), geom)")
        assert conn.execute(contains, {"poly": inside}).scalar_one() == 1
        assert conn.execute(contains, {"poly": outside}).scalar_one() == 0
        # The planner can use the GiST index for the spatial predicate.
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + contains.text), {"poly": inside}))
        assert "pg_smoke_objects_geom_idx" in plan
