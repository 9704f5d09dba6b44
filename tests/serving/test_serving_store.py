"""The score store: round trips, idempotent nights, atomicity under a crash, locking."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from serving_frames import NIGHT, night, scores

from forewarn.serving.locking import StoreLockTimeoutError, locked
from forewarn.serving.schema import COLUMNS, SCORE_SCHEMA
from forewarn.serving.store import CREATE_TABLE_SQL, SCHEMA_DOC, ScoreStore


def _three_nights(store: ScoreStore) -> None:
    store.write_night(scores({"a": 0.1, "b": 0.2}, as_of=night(-2)))
    store.write_night(scores({"a": 0.3, "b": None, "c": 0.5}, as_of=night(-1)))
    store.write_night(scores({"a": 0.4, "c": 0.6}, as_of=NIGHT))


def test_round_trip_keeps_values_and_types(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path / "store")
    frame = scores({"b": 0.2, "a": None, "c": 0.9}, drivers=["x rose", "y fell", "z ok"])
    store.write_night(frame)
    back = store.night(NIGHT)
    assert back.schema == SCORE_SCHEMA
    assert back.equals(frame.sort("asset_id"))
    assert back.filter(pl.col("asset_id") == "a")["top_drivers"].to_list() == [[]]


def test_parquet_export_matches_the_table_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path)
    path = store.write_night(scores({"a": 0.1, "b": 0.2}))
    assert path == tmp_path / "scores" / "as_of=2025-03-10T020000Z" / "scores.parquet"
    assert pl.read_parquet(path).sort("asset_id").equals(store.night(NIGHT))
    assert [p.name for p in path.parent.iterdir()] == ["scores.parquet"]


def test_rewriting_a_night_replaces_it_and_keeps_other_nights(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path)
    store.write_night(scores({"a": 0.1}, as_of=night(-1)))
    store.write_night(scores({"a": 0.1, "b": 0.2, "c": 0.3}))
    store.write_night(scores({"a": 0.7, "b": 0.2}))
    store.write_night(scores({"a": 0.7, "b": 0.2}))
    tonight = store.night(NIGHT)
    assert tonight["asset_id"].to_list() == ["a", "b"]
    assert tonight["p_fail"].to_list() == [0.7, 0.2]
    assert store.nights() == [night(-1), NIGHT]
    assert pl.read_parquet(store.parquet_path(NIGHT)).height == 2


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (scores({"a": 0.1}).drop("status"), "lacks columns"),
        (scores({"a": 0.1}).with_columns(pl.col("p_fail").cast(pl.Float32)), "wrong column types"),
        (pl.concat([scores({"a": 0.1}), scores({"b": 0.1}, as_of=night(1))]), "exactly one night"),
        (pl.concat([scores({"a": 0.1}), scores({"a": 0.2})]), "duplicate asset_id"),
        (scores({"a": 0.1}, status={"a": "broken"}), "unknown status"),
        (scores({"a": float("nan")}), "NaN"),
        (scores({"a": 1.5}), r"\[0, 1\]"),
        (scores({"a": 0.1}).with_columns(asset_id=pl.lit(None, pl.String)), "nulls"),
    ],
)
def test_bad_frames_are_refused_and_nothing_is_written(
    tmp_path: Path, frame: pl.DataFrame, message: str
) -> None:
    store = ScoreStore(tmp_path)
    store.write_night(scores({"z": 0.3}, as_of=night(-1)))
    with pytest.raises(ValueError, match=message):
        store.write_night(frame)
    assert store.nights() == [night(-1)]


def test_reads_on_an_empty_store_give_empty_typed_frames(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path / "nothing-yet")
    assert store.nights() == []
    assert store.latest() is None
    assert store.night(NIGHT).schema == SCORE_SCHEMA
    assert store.history_for(NIGHT, 3).height == 0
    assert store.history("a", 3).height == 0
    assert not (tmp_path / "nothing-yet").exists()


def test_history_of_one_asset_is_its_last_n_nights_oldest_first(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path)
    _three_nights(store)
    assert store.history("a", 2)["p_fail"].to_list() == [0.3, 0.4]
    assert store.history("a", 10, until=night(-1))["as_of"].to_list() == [night(-2), night(-1)]
    assert store.history("b", 5)["as_of"].to_list() == [night(-2), night(-1)]


def test_history_for_gives_whole_nights_strictly_before(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path)
    _three_nights(store)
    prior = store.history_for(NIGHT, 1)
    assert prior["as_of"].unique().to_list() == [night(-1)]
    assert prior["asset_id"].to_list() == ["a", "b", "c"]
    assert store.history_for(NIGHT, 5)["as_of"].unique().sort().to_list() == [night(-2), night(-1)]
    assert store.history_for(night(-2), 5).height == 0


def test_asset_ids_are_bound_as_parameters_not_spliced_into_sql(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path)
    evil = "x' OR '1'='1'; DROP TABLE scores; --"
    store.write_night(scores({evil: 0.5, "a": 0.1}))
    assert store.history(evil, 5)["asset_id"].to_list() == [evil]
    assert store.night(NIGHT).height == 2


def test_a_crash_inside_the_write_leaves_the_previous_night(tmp_path: Path) -> None:
    """A writer process dies after deleting the old rows, before commit: nothing changes."""
    store = ScoreStore(tmp_path)
    store.write_night(scores({"a": 0.1, "b": 0.2}))
    before = store.night(NIGHT)
    export = store.parquet_path(NIGHT).read_bytes()
    crash = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from serving_frames import scores
        from forewarn.serving import store as st

        def dying_insert(con, frame, as_of):
            con.execute("BEGIN")
            con.execute("DELETE FROM scores WHERE as_of = $1", [as_of])
            os._exit(3)

        st._replace_night = dying_insert
        st.ScoreStore({str(tmp_path)!r}).write_night(scores({{"c": 0.9}}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", crash], capture_output=True, timeout=60)
    assert proc.returncode == 3, proc.stderr.decode()
    assert store.night(NIGHT).equals(before)
    assert store.parquet_path(NIGHT).read_bytes() == export
    store.write_night(scores({"c": 0.9}))
    assert [p.name for p in store.parquet_path(NIGHT).parent.iterdir()] == ["scores.parquet"]


def test_a_writer_waits_for_the_lock_then_fails_clearly(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path, lock_timeout_s=0.3)
    store.write_night(scores({"a": 0.1}))
    with locked(store.lock_path, exclusive=True, timeout_s=1):
        with pytest.raises(StoreLockTimeoutError, match=r"write lock.*scores\.lock"):
            store.write_night(scores({"a": 0.2}))
        with pytest.raises(StoreLockTimeoutError, match="read lock"):
            store.nights()
    assert store.night(NIGHT)["p_fail"].to_list() == [0.1]


def test_a_writer_proceeds_once_the_holder_lets_go(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path, lock_timeout_s=10)
    released = threading.Event()

    def hold() -> None:
        with locked(store.lock_path, exclusive=True, timeout_s=1):
            time.sleep(0.4)
        released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    store.write_night(scores({"a": 0.2}))
    assert released.is_set()
    holder.join()


def test_two_writer_processes_never_interleave(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from serving_frames import night, scores
        from forewarn.serving.store import ScoreStore
        day = int(sys.argv[1])
        ids = {{f"{{day}}-{{i}}": i / 1000 for i in range(500)}}
        for _ in range(3):
            ScoreStore({str(tmp_path)!r}).write_night(scores(ids, as_of=night(day)))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(d)], stderr=subprocess.PIPE)
        for d in (1, 2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    store = ScoreStore(tmp_path)
    assert store.nights() == [night(1), night(2)]
    assert [store.night(night(d)).height for d in (1, 2)] == [500, 500]


def test_schema_doc_and_ddl_describe_every_column(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(CREATE_TABLE_SQL)
    described = con.sql("DESCRIBE scores").fetchall()
    assert [row[0] for row in described] == [c.name for c in COLUMNS]
    for col in COLUMNS:
        assert f"`{col.name}`" in SCHEMA_DOC
        assert col.doc in CREATE_TABLE_SQL
    store = ScoreStore(tmp_path)
    store.write_night(scores({"a": 0.1}))
    with duckdb.connect(str(store.db_path), read_only=True) as db:
        comments = dict(
            db.sql(
                "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'scores'"
            ).fetchall()
        )
    assert comments["p_fail"].startswith("calibrated")


def test_deleting_a_night_keeps_every_other_night(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path)
    for offset in (-2, -1, 0):
        store.write_night(scores({"a": 0.1 + offset / 10 + 0.3, "b": 0.2}, as_of=night(offset)))
    kept = {n: store.night(n) for n in (night(-2), night(0))}
    assert store.delete_night(night(-1)) == 2
    assert store.nights() == [night(-2), night(0)]
    assert all(store.night(n).equals(frame) for n, frame in kept.items())
    assert not store.parquet_path(night(-1)).parent.exists()
    assert store.parquet_path(night(0)).is_file()
    with pytest.raises(LookupError, match="no night"):
        store.delete_night(night(-1))
    assert store.nights() == [night(-2), night(0)]


def test_a_delete_that_dies_midway_is_undone_by_the_next_one(tmp_path: Path) -> None:
    """The export is moved aside, then the process dies before the rows go: the night is
    still stored, and the next delete puts its export back before doing its own work."""
    store = ScoreStore(tmp_path)
    store.write_night(scores({"a": 0.1}, as_of=night(-1)))
    store.write_night(scores({"a": 0.2}))
    export = store.parquet_path(NIGHT).read_bytes()
    crash = textwrap.dedent(
        f"""
        import os
        from datetime import datetime
        from forewarn.serving.store import ScoreStore

        real = os.replace
        def dying_replace(src, dst):
            real(src, dst)
            os._exit(3)
        os.replace = dying_replace
        ScoreStore({str(tmp_path)!r}).delete_night(datetime.fromisoformat({NIGHT.isoformat()!r}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", crash], capture_output=True, timeout=60)
    assert proc.returncode == 3, proc.stderr.decode()
    assert NIGHT in store.nights() and not store.parquet_path(NIGHT).exists()
    store.delete_night(night(-1))
    assert store.nights() == [NIGHT]
    assert store.parquet_path(NIGHT).read_bytes() == export
    assert not list((tmp_path / "scores").glob(".deleting-*"))
