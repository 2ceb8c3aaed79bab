"""Benchmark company-base ingestion on a large synthetic Companies House file.

Builds a BasicCompanyData-format CSV (the exact 55-column header) by repeating and perturbing
the real sample rows in ``tests/fixtures/companies_house`` (unique company numbers, random
inward postcodes and dates, a sprinkling of duplicates, bad dates and malformed lines), then
runs ``clusters ingest companies`` on it in a subprocess and reports wall time, rows/s and the
peak resident memory of that process. Not part of CI.

Usage:
    python scripts/bench_ingest.py --rows 1500000
    python scripts/bench_ingest.py --rows 1500000 --zip --compare-readers
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "companies_house"
PREFIXES = ["", "SC", "OC", "NI", "FC", "LP", "R"]


def _templates() -> tuple[list[str], list[list[str]]]:
    """The real 55-column header and every sample row laid out in it."""
    with (SAMPLES / "basiccompanydata_header_plus_2_real_rows.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, templates = rows[0], rows[1:]
    names = [h.strip() for h in header]
    with (SAMPLES / "companieshr_basiccompanydata_first1000_14cols.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            templates.append([row.get(name, "") for name in names])
    return header, templates


def generate(path: Path, rows: int, seed: int = 0) -> Path:
    """Write a synthetic BasicCompanyData CSV with ``rows`` data rows to ``path``."""
    header, templates = _templates()
    names = [h.strip() for h in header]
    col = {name: names.index(name) for name in names}
    rnd = random.Random(seed)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(header) + "\n")  # the header as Companies House writes it
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for i in range(rows):
            row = list(templates[i % len(templates)])
            prefix = PREFIXES[i % len(PREFIXES)]
            number = i // len(PREFIXES)
            row[col["CompanyNumber"]] = f"{prefix}{number:0{8 - len(prefix)}d}"
            row[col["CompanyName"]] = f"{row[col['CompanyName']]} {i}"
            postcode = row[col["RegAddress.PostCode"]]
            if " " in postcode:
                inward = f"{rnd.randint(0, 9)}{rnd.choice(letters)}{rnd.choice(letters)}"
                row[col["RegAddress.PostCode"]] = f"{postcode.split(' ')[0]} {inward}"
            day, month, year = rnd.randint(1, 28), rnd.randint(1, 12), rnd.randint(1900, 2024)
            row[col["IncorporationDate"]] = f"{day:02d}/{month:02d}/{year}"
            if i % 997 == 0:
                row[col["CompanyNumber"]] = "00000000"  # repeats: quarantined as duplicates
            if i % 5003 == 0:
                row[col["IncorporationDate"]] = "31/02/2020"  # impossible date
            if i % 20011 == 0:
                handle.write('"BROKEN LTD,"1",\n')  # a malformed line
            writer.writerow(row)
    return path


def _zip(path: Path) -> Path:
    archive = path.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(path, path.name)
    return archive


def run_ingest(inputs: list[Path], output: Path) -> dict[str, float]:
    """Run the CLI in a subprocess; wall time and peak RSS (polled and from rusage)."""
    command = [sys.executable, "-m", "clusters.cli", "ingest", "companies", "-o", str(output)]
    for path in inputs:
        command += ["-i", str(path)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.05)
    stdout = process.communicate()[0]
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"ingest failed with exit code {process.returncode}")
    print(stdout.rstrip())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak / 2**20,
        "max_rss_mb": after.ru_maxrss / 1024,
    }


def compare_readers(path: Path, chunk_rows: int = 50_000) -> None:
    """Time parsing alone: pandas C engine, pandas python engine with a bad-line callable,
    and the product's line-aware :mod:`csv` reader."""
    import pandas as pd

    from clusters.ingest.sources import list_sources, open_table

    def timed(label: str, fn) -> None:
        started = time.perf_counter()
        try:
            rows = fn()
        except Exception as exc:  # noqa: BLE001 - report, and go on to the next parser
            print(f"  {label:<52} failed: {type(exc).__name__}: {exc}")
            return
        seconds = time.perf_counter() - started
        print(f"  {label:<52} {rows:>10,} rows {seconds:7.1f}s {rows / seconds:>10,.0f} rows/s")

    def pandas_c() -> int:
        # no way to learn which lines were bad: they are only skipped
        chunks = pd.read_csv(
            path, dtype=str, keep_default_na=False, chunksize=chunk_rows, on_bad_lines="skip"
        )
        return sum(len(c) for c in chunks)

    def pandas_python() -> int:
        bad: list[list[str]] = []  # the callable gets the fields, but not the line number
        chunks = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            chunksize=chunk_rows,
            engine="python",
            on_bad_lines=bad.append,
        )
        return sum(len(c) for c in chunks) + len(bad)

    def product_reader() -> int:
        table = open_table(list_sources(path)[0])
        wanted = ["CompanyNumber", "CompanyName", "RegAddress.PostCode", "CompanyStatus"]
        return sum(c.rows_read for c in table.chunks(wanted, chunk_rows))

    print("parsing only:")
    timed("pandas read_csv, C engine (bad lines skipped)", pandas_c)
    timed("pandas read_csv, python engine + on_bad_lines", pandas_python)
    timed("clusters csv reader (line numbers, cp1252 fallback)", product_reader)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clusters_bench"))
    parser.add_argument("--zip", action="store_true", help="also time the zipped file")
    parser.add_argument("--compare-readers", action="store_true", help="time parsers alone")
    parser.add_argument("--keep", action="store_true", help="reuse an existing generated file")
    args = parser.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    source = args.workdir / f"BasicCompanyData-synthetic-{args.rows}.csv"
    if not (args.keep and source.exists()):
        started = time.perf_counter()
        generate(source, args.rows)
        print(
            f"generated {source} ({source.stat().st_size / 2**20:,.0f} MiB) "
            f"in {time.perf_counter() - started:.0f}s"
        )
    inputs = {"csv": source}
    if args.zip:
        inputs["zip"] = _zip(source)

    for kind, path in inputs.items():
        print(f"\n== ingest {kind}: {path.name} ({path.stat().st_size / 2**20:,.0f} MiB)")
        numbers = run_ingest([path], args.workdir / f"companies-{kind}.parquet")
        rate = args.rows / numbers["seconds"]
        cpu_rate = args.rows / numbers["cpu_seconds"]
        print(
            f"wall {numbers['seconds']:.1f}s, {rate:,.0f} rows/s (incl. start-up); "
            f"CPU {numbers['cpu_seconds']:.1f}s, {cpu_rate:,.0f} rows per CPU-second; "
            f"peak RSS {numbers['peak_rss_mb']:,.0f} MiB (polled), "
            f"max RSS {numbers['max_rss_mb']:,.0f} MiB (rusage, largest child so far)"
        )
    if args.compare_readers:
        print()
        compare_readers(source)


if __name__ == "__main__":
    main()
