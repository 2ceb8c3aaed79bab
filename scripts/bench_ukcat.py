"""A new taxonomy on real, hand-labelled UK organisations: cold start, then trained.

Reads the UK-CAT charity data in ``../shared/data/ukcat_charities`` (CC BY 4.0; development
use only, never copied into the repo): 4,203 UK charities, each hand-tagged with UK-CAT
categories. From it the script builds what a data scientist would bring to the product for a
new classification:

* a taxonomy of UK-CAT's 24 top-level categories (name; notes as the description; keywords
  read from the category's own regular expression),
* a label file (``company_id, text, labels``: name, activities and objects; tags mapped to
  their top-level category),
* a company base of the same organisations (for weak labels from keyword matches),

and runs the product's own ``train`` and ``evaluate`` in a throwaway MLflow store:

1. cold start from the taxonomy alone (descriptions and keywords),
2. cold start plus weak labels from keyword matches in the company base,
3. trained on the labels (80%, the product's split; fine-tuning as configured),

each scored on the same held-out 20% beside the TF-IDF baseline trained on the 80%.

Usage::

    python scripts/bench_ukcat.py [--data DIR] [--store DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ukcat_charities"
MAX_KEYWORDS = 30


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def regex_keywords(pattern: object) -> list[str]:
    """Plain words and phrases from a UK-CAT regular expression's alternatives; an optional
    plural gives both forms (the product's keywords match whole words, without stemming).

    >>> regex_keywords(r"\\b(animals?|cats?|beekeeper'?s?|fish(ery)?)\\b")
    ['animal', 'animals', 'cat', 'cats', 'beekeeper', 'fish']
    """
    if not isinstance(pattern, str):
        return []
    body = re.sub(r"\\b|\(\?i\)", "", pattern).strip("()")
    words: list[str] = []
    for alternative in body.split("|"):
        word = re.sub(r"\(.*?\)\??", "", alternative)  # optional groups: "fish(ery)?"
        word = re.sub(r"'\??s\?$", "", word)  # optional possessive: "beekeeper'?s?"
        plural = word.endswith("s?")
        word = re.sub(r"[\\\[\]?*+^$()]", "", word).strip()
        forms = [word[:-1], word] if plural else [word]
        words += [f for f in forms if len(f) >= 3 and f not in words]
    return words[:MAX_KEYWORDS]


def build_inputs(data: Path, out: Path) -> tuple[Path, Path, Path]:
    """Write the taxonomy YAML, the label CSV and the company-list CSV into ``out``."""
    categories = pd.read_csv(data / "ukcat.csv")
    top = categories[categories["Level"] == 1]
    clusters = []
    for _, row in top.iterrows():
        notes = f" {row['Notes']}" if isinstance(row["Notes"], str) else ""
        entry = {
            "id": slug(row["tag"]),
            "name": row["tag"],
            "tier": "established",
            "description": f"Organisations whose main work is {row['tag'].lower()}.{notes}",
        }
        keywords = regex_keywords(row["Regular expression"])
        if keywords:
            entry["keywords"] = keywords
        clusters.append(entry)
    taxonomy = out / "ukcat.yaml"
    taxonomy.write_text(
        yaml.safe_dump(
            {
                "name": "UK-CAT top level",
                "version": "1",
                "description": "UK-CAT charity categories, level 1 (CC BY 4.0).",
                "clusters": clusters,
            },
            sort_keys=False,
        )
    )
    by_code = {row["Code"]: slug(row["tag"]) for _, row in top.iterrows()}
    sample = pd.read_csv(data / "sample.csv", dtype=str, keep_default_na=False)

    def top_level(tags: str) -> str:
        ids = [by_code[t.strip()[:2]] for t in tags.split(";") if t.strip()[:2] in by_code]
        return ";".join(dict.fromkeys(ids))

    text = sample["activities"] + " " + sample["objects"]
    labels = out / "labels.csv"
    pd.DataFrame(
        {
            "company_id": sample["reg_number"],
            "text": sample["name"] + ". " + text,
            "labels": sample["UKCAT"].map(top_level),
        }
    ).to_csv(labels, index=False)
    companies = out / "companies.csv"
    pd.DataFrame(
        {
            "company_id": sample["reg_number"],
            "name": sample["name"],
            "postcode": sample["postcode"],
            "filing_text": text,
        }
    ).to_csv(companies, index=False)
    return taxonomy, labels, companies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--store", type=Path, help="MLflow store folder (default: throwaway)")
    args = parser.parse_args()
    if not (args.data / "sample.csv").is_file():
        sys.exit(f"no UK-CAT data in {args.data} (expected sample.csv and ukcat.csv)")
    work = Path(tempfile.mkdtemp(prefix="bench_ukcat_"))
    store = args.store or work
    store.mkdir(parents=True, exist_ok=True)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{store.resolve() / 'mlflow.db'}"
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

    from clusters.ingest.stage import ingest_companies
    from training.evaluate import evaluate_model
    from training.train import train

    taxonomy, labels, company_list = build_inputs(args.data, work)
    base = work / "companies.parquet"
    ingest_companies([company_list], base)

    runs = [
        ("cold start: taxonomy only", {}),
        ("cold start + weak labels from the base", {"companies_path": base}),
        ("trained on the labels (80%)", {"label_paths": [labels]}),
    ]
    rows, baseline = [], None
    for n, (name, inputs) in enumerate(runs, 1):
        started = time.time()
        result = train(taxonomy, model_name=f"ukcat-{n}", **inputs)
        fit = time.time() - started
        scored = evaluate_model([labels], model_uri=f"models:/ukcat-{n}@champion")
        metrics = scored.model.metrics
        rows.append({"model": name, **{k: metrics[k] for k in METRICS}, "fit_s": fit})
        baseline = scored.baselines["tfidf"].metrics
        print(f"{name}: label rows {result.label_counts}", flush=True)
    rows.append({"model": "TF-IDF + LR on the labels (baseline)", **{k: baseline[k] for k in METRICS}})
    table = pd.DataFrame(rows)
    print(f"\nUK-CAT, 24 top-level categories; held out: {scored.model.metrics.get('n_eval', '')}")
    print(table.round(3).to_string(index=False))
    print(f"\nMLflow store: {store}")


METRICS = ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "ece", "coverage")

if __name__ == "__main__":
    main()
