"""Batch input, screening and commit primitives (no model needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clusters.batch.commit import BatchStateError, atomic_write, job_lock, remove_temporaries
from clusters.batch.inputs import (
    BAD_COLUMN,
    BASE_MODE,
    ROW_COLUMN,
    TEXT_MODE,
    fingerprint,
    iter_chunks,
    iter_frames,
    open_input,
)
from clusters.batch.layout import JobLayout, layout_for, read_predictions
from clusters.batch.screen import SeenIds, pack_ids, screen_chunk
from clusters.batch.state import JobIdentity
from clusters.contracts import ContractError


def _table(start: int, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company_id": [f"{i:08d}" for i in range(start, start + n)],
            "text": [f"t{i}" for i in range(start, start + n)],
        }
    )


@pytest.fixture
def parts_dir(tmp_path: Path) -> Path:
    """Three parts (Parquet, CSV, Parquet) of 7, 5 and 9 rows, plus files to ignore."""
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(pa.Table.from_pandas(_table(1, 7)), folder / "a.parquet", row_group_size=3)
    _table(8, 5).to_csv(folder / "b.csv", index=False)
    (folder / "c").mkdir()
    pq.write_table(pa.Table.from_pandas(_table(13, 9)), folder / "c" / "d.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / ".hidden.csv").write_text("company_id,text\n99999999,x\n")
    (folder / "notes.txt").write_text("not an input")
    return folder


def test_directory_of_mixed_parts_is_read_in_order(parts_dir: Path):
    source = open_input(parts_dir)
    assert [p.name for p in source.parts] == ["a.parquet", "b.csv", "c/d.parquet"]
    assert source.mode == TEXT_MODE and source.total_rows == 21
    ids = pd.concat(c.frame for c in iter_chunks(source, 4))["company_id"].tolist()
    assert ids == [f"{i:08d}" for i in range(1, 22)]


@pytest.mark.parametrize("chunk_rows", [1, 4, 5, 21, 100])
def test_chunk_boundaries_depend_only_on_input_and_chunk_size(parts_dir: Path, chunk_rows: int):
    chunks = list(iter_chunks(open_input(parts_dir), chunk_rows))
    sizes = [len(c) for c in chunks]
    assert sizes == [min(chunk_rows, 21 - k * chunk_rows) for k in range(len(chunks))]
    assert [c.index for c in chunks] == list(range(len(chunks)))
    first = chunks[-1].frame[ROW_COLUMN].iloc[0]
    again = list(iter_chunks(open_input(parts_dir), chunk_rows))
    assert again[-1].frame[ROW_COLUMN].iloc[0] == first
    assert all(a.frame.equals(b.frame) for a, b in zip(chunks, again, strict=True))


def test_empty_input_gives_one_empty_chunk(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_text("company_id,text\n")
    chunks = list(iter_chunks(open_input(path), 10))
    assert len(chunks) == 1 and len(chunks[0]) == 0


def test_fingerprint_follows_content(tmp_path: Path):
    path = tmp_path / "in.csv"
    _table(1, 3).to_csv(path, index=False)
    first = open_input(path).fingerprint
    os.utime(path, (1, 1))
    assert open_input(path).fingerprint == first  # touching a small file changes nothing
    path.write_text(path.read_text().replace("t2", "t9"))
    assert open_input(path).fingerprint != first
    parts = open_input(path).parts
    assert fingerprint(parts, content_limit=0)[1] == "metadata"


def test_company_base_mode_and_clear_errors(tmp_path: Path):
    base = tmp_path / "base.csv"
    base.write_text("company_id,name,postcode\n00000001,ACME LTD,NG1 1AA\n")
    assert open_input(base).mode == BASE_MODE
    neither = tmp_path / "neither.csv"
    neither.write_text("company_id,city\n1,x\n")
    with pytest.raises(ContractError, match="needs a 'text' column"):
        open_input(neither)
    no_id = tmp_path / "noid.csv"
    no_id.write_text("text\nx\n")
    with pytest.raises(ContractError, match="company_id"):
        open_input(no_id)
    with pytest.raises(FileNotFoundError, match="no such file"):
        open_input(tmp_path / "missing.csv")


def test_screening_rejects_missing_invalid_duplicate_and_unreadable_rows(tmp_path: Path):
    path = tmp_path / "in.csv"
    path.write_bytes(
        b"company_id,text\n"
        b"1,good one\n"
        b",no id\n"
        b"  ,blank id\n"
        b"bad!,invalid id\n"
        b"00000001,duplicate of row 1 in a later chunk\n"
        b'00000005,"caf\xe9 is latin-1, not UTF-8"\n'
        b"SC123456,fine\n"
        b"00000005,duplicate of a bad-text row\n"
        b"00000009,too,many,fields\n"
    )
    source = open_input(path)
    seen = SeenIds()
    screened = [screen_chunk(c, source, seen) for c in iter_chunks(source, 3)]
    valid = pd.concat(s.valid for s in screened)
    rejects = pd.concat(s.rejects for s in screened)
    assert valid["company_id"].tolist() == ["00000001", "SC123456"]
    assert rejects["row"].tolist() == [2, 3, 4, 5, 6, 8, 9]
    reasons = rejects["reason"].tolist()
    assert reasons[0] == reasons[1] == "company_id is empty"
    assert "not a Companies House number" in reasons[2]
    assert "duplicate company_id 00000001" in reasons[3]
    assert "text is not UTF-8" in reasons[4] and rejects["column"].iloc[4] == "text"
    assert "duplicate company_id 00000005" in reasons[5]
    assert reasons[6] == "malformed CSV row: expected 2 fields, found 4"
    assert rejects["record"].iloc[6] == "00000009,too,many,fields"
    assert set(rejects["source"]) == {"in.csv"}
    assert json.loads(rejects["record"].iloc[4])["text"].startswith("caf")
    kinds: dict[str, int] = {}
    for s in screened:
        for kind, count in s.kinds.items():
            kinds[kind] = kinds.get(kind, 0) + count
    assert kinds == {
        "missing_id": 2,
        "invalid_id": 1,
        "duplicate_id": 2,
        "bad_text": 1,
        "malformed_row": 1,
    }


def test_rows_after_malformed_ones_keep_their_numbers_across_parser_blocks(tmp_path: Path):
    """The parser skips malformed rows; every row still gets its own data row, including
    rows after a value spanning lines and in later 4 MB parser blocks."""
    n = 120_000
    lines = [
        f"{i:08d},company number {i} with a longish text about what it makes"
        for i in range(1, n + 1)
    ]
    malformed = {3: "00000003,too,many", 70_000: "oops", 119_999: "a,b,c,d"}
    for row, line in malformed.items():
        lines[row - 1] = line
    lines[4] = '00000005,"a text\nspanning two lines"'
    path = tmp_path / "big.csv"
    path.write_text("company_id,text\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 8 << 20  # three parser blocks or more

    frames = list(iter_frames(open_input(path)))
    assert len([f for f in frames if f[BAD_COLUMN].str.startswith("malformed").all()]) >= 2
    rows = pd.concat(frames, ignore_index=True)
    bad = rows[BAD_COLUMN].str.startswith("malformed CSV row")
    assert sorted(rows.loc[bad, ROW_COLUMN].tolist()) == sorted(malformed)
    good = rows.loc[~bad]
    assert len(good) == n - len(malformed)
    # a good row's data row is the number in its company id
    assert (good["company_id"].map(int) == good[ROW_COLUMN].astype(int)).all()


def test_a_malformed_row_reported_late_by_the_read_ahead_thread_still_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The CSV reader parses ahead on another thread: its report of a malformed row in the
    next block can arrive while the previous batch is in use. Before, that row was reported
    but not counted, so every row after it was numbered one too low (a flaky failure of the
    test above, about 1 run in 10)."""
    import clusters.batch.inputs as inputs

    path = tmp_path / "in.csv"
    path.write_text("company_id,text\n" + "".join(f"{i:08d},t{i}\n" for i in range(1, 8)))
    reported: list = []

    def batch(ids: list[int]) -> pa.RecordBatch:
        return pa.RecordBatch.from_pydict(
            {
                "company_id": pa.array([f"{i:08d}".encode() for i in ids], pa.binary()),
                "text": pa.array([f"t{i}".encode() for i in ids], pa.binary()),
            }
        )

    def reader(part, columns, malformed=None):
        if malformed is not None:
            reported.append(malformed)
        yield batch([1, 2, 3])
        yield batch([4, 6, 7])  # data row 5 was malformed and skipped by the parser

    monkeypatch.setattr(inputs, "_csv_batches", reader)
    frames = []
    for frame in iter_frames(open_input(path)):
        frames.append(frame)
        if len(frames) == 1:  # the read-ahead thread reports row 5 while batch 1 is in use
            reported[0].append(inputs.Malformed(5, "malformed CSV row: expected 2", "x,y,z"))
    rows = pd.concat(frames, ignore_index=True)
    bad = rows[BAD_COLUMN].str.startswith("malformed CSV row")
    assert rows.loc[bad, ROW_COLUMN].tolist() == [5]
    good = rows.loc[~bad]
    assert good[ROW_COLUMN].astype(int).tolist() == good["company_id"].map(int).tolist()


def test_binary_parquet_text_that_is_not_utf8_is_rejected(tmp_path: Path):
    path = tmp_path / "in.parquet"
    table = pa.table(
        {
            "company_id": ["00000001", "00000002"],
            "text": pa.array([b"ok", b"\xff\xfe"], pa.binary()),
        }
    )
    pq.write_table(table, path)
    source = open_input(path)
    screened = screen_chunk(next(iter_chunks(source, 10)), source, SeenIds())
    assert screened.valid["text"].tolist() == ["ok"]
    assert screened.rejects["company_id"].tolist() == ["00000002"]


def test_seen_ids_matches_a_python_set():
    rng = np.random.default_rng(0)
    seen, reference = SeenIds(), set()
    for _ in range(60):
        ids = [f"{x:08d}" for x in rng.integers(0, 3_000, size=rng.integers(0, 80))]
        keys = pack_ids(ids)
        assert seen.contains(keys).tolist() == [i in reference for i in ids]
        fresh = list(dict.fromkeys(i for i in ids if i not in reference))
        seen.add(pack_ids(fresh))
        reference.update(fresh)
    assert len(seen) == len(reference)


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path: Path):
    target = tmp_path / "out.bin"
    atomic_write(target, lambda h: h.write(b"old"))

    def broken(handle):
        handle.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert remove_temporaries(tmp_path) == 0  # the failed writer cleaned up after itself
    (tmp_path / ".out.bin.123.tmp").write_bytes(b"left by a SIGKILL")
    assert remove_temporaries(tmp_path) == 1


def test_job_lock_is_exclusive(tmp_path: Path):
    lock = tmp_path / "_state" / "lock"
    with job_lock(lock), pytest.raises(BatchStateError, match="another batch job"), job_lock(lock):
        pass
    with job_lock(lock):  # released
        pass


def test_layout_and_identity(tmp_path: Path):
    assert layout_for(tmp_path / "p.parquet").root == tmp_path / "p.parquet.batch"
    assert layout_for(tmp_path / "job").root == tmp_path / "job"
    assert JobLayout(tmp_path).part(3).name == "part-00003.parquet"
    a = JobIdentity("f", 10, "text", "m/v1", "models:/m@champion", "e", "t")
    assert a.differences(a) == []
    b = JobIdentity("g", 20, "text", "m/v2", "models:/m/2", "e", "t")
    assert a.differences(b) == [
        "input_fingerprint g -> f",
        "chunk_rows 20 -> 10",
        "model_version m/v2 -> m/v1",
    ]
    partial = JobIdentity("f", 10, "text", "m/v1", "models:/m@champion")
    assert partial.differences(a) == []  # unknown fields are not compared


def test_output_named_like_a_file_it_cannot_write_is_refused(tmp_path: Path):
    """``--output out.tsv`` used to become a job *directory* named out.tsv, silently."""
    from typer.testing import CliRunner

    from clusters.cli import app

    source = tmp_path / "in.csv"
    _table(0, 3).to_csv(source, index=False)
    for name in ("out.tsv", "out.TXT", "out.json", "out.tsv.gz"):
        result = CliRunner().invoke(
            app, ["classify", "--input", str(source), "--output", str(tmp_path / name)]
        )
        assert result.exit_code != 0
        suffix = Path(name).suffix.lower()
        assert f"cannot write {suffix} files" in result.output, result.output
        assert "name a .csv, .csv.gz or .parquet file, or a directory" in result.output
        assert not (tmp_path / name).exists()  # nothing created, no model loaded

    from clusters.batch.engine import check_output

    dotted = tmp_path / "run.2026-11"  # a directory name with a dot is fine
    check_output(layout_for(dotted), None)
    earlier = JobLayout(tmp_path / "old.txt")  # a job directory so named earlier still resumes
    earlier.state_dir.mkdir(parents=True)
    check_output(earlier, None)


def test_lock_holder_names_the_running_process_and_status_needs_a_job(tmp_path: Path):
    from typer.testing import CliRunner

    from clusters.batch.commit import lock_holder
    from clusters.cli import app

    lock = JobLayout(tmp_path).lock
    assert lock_holder(lock) is None  # no lock file: nothing created either
    assert not lock.exists()
    with job_lock(lock):
        assert lock_holder(lock) == os.getpid()
    assert lock_holder(lock) is None  # released (a killed job's lock is released by the OS)

    result = CliRunner().invoke(app, ["status", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no batch job here" in result.output and "--output of a `clusters classify`" in (
        result.output
    )


def test_read_predictions_accepts_dirs_and_files(tmp_path: Path):
    frame = pd.DataFrame({"company_id": ["00000001"], "labels": ["a;b"], "p_a": [0.9]})
    job = JobLayout(tmp_path / "job")
    job.predictions_dir.mkdir(parents=True)
    job.state_dir.mkdir()
    frame.to_parquet(job.part(0))
    frame.to_csv(tmp_path / "p.csv", index=False)
    assert read_predictions(job.root).equals(read_predictions(job.predictions_dir))
    assert read_predictions(tmp_path / "p.csv")["labels"].tolist() == ["a;b"]
    with pytest.raises(FileNotFoundError):
        read_predictions(tmp_path / "nothing")


def test_progress_logs_plain_lines_when_not_a_terminal(caplog: pytest.LogCaptureFixture):
    from clusters.batch.progress import Progress

    caplog.set_level("INFO", logger="clusters.batch.progress")
    progress = Progress(total=100, initial=20, enabled=False, log_every=0)
    progress.advance(30, "cache hits 50%")
    progress.close()
    line = caplog.records[0].getMessage()
    assert line.startswith("classify: 50 / 100 rows (50.0%)")
    assert "rows/s" in line and "ETA" in line and "cache hits 50%" in line


def test_progress_bar_on_request(capsys: pytest.CaptureFixture[str]):
    from clusters.batch.progress import Progress

    progress = Progress(total=10, enabled=True)
    progress.advance(10)
    progress.close()
    err = capsys.readouterr().err
    assert "100%" in err and "rows/s" in err
