"""Statements compiled by SQLAlchemy and run on the driver (bots/storage/sql_driver.py): same rows as SQLAlchemy writes."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bots.storage.sql_driver import Prepared, driver_cursor, insert_row

metadata = sa.MetaData()
things = sa.Table(
    "things", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("extra", sa.JSON, nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("when", sa.DateTime, nullable=True),
)


@pytest.fixture
def engine(tmp_path):
    from knowledge.db_store import engine_for

    engine = engine_for(f"sqlite:///{tmp_path / 'things.sqlite3'}")
    metadata.create_all(engine)
    return engine


def test_rows_inserted_on_the_driver_read_back_as_sqlalchemys(engine):
    row = {"name": "狗牌", "active": True, "extra": {"kb": ["afcd"], "n": 1}, "score": 0.5, "when": dt.datetime(2026, 11, 22, 9, 30)}
    insert_row(engine, Prepared(things.insert(), engine.dialect, column_keys=list(row)), row)
    with engine.begin() as connection:
        connection.execute(things.insert(), row)
        first, second = connection.execute(sa.select(things).order_by(things.c.id)).mappings().all()
    assert {k: v for k, v in first.items() if k != "id"} == {k: v for k, v in second.items() if k != "id"} == row


def test_a_failing_block_rolls_back(engine):
    statement = Prepared(things.insert(), engine.dialect, column_keys=["name", "active"])
    with pytest.raises(RuntimeError):
        with driver_cursor(engine) as cursor:
            cursor.execute(statement.sql, statement.params({"name": "kept?", "active": False}))
            raise RuntimeError("after the insert")
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(things)).scalar() == 0
