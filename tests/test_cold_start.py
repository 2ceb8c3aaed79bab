"""Keywords, label files and the rule-based cold-start sources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.keywords import KeywordMatcher
from clusters.contracts import ContractError
from clusters.taxonomy import parse_taxonomy
from training import cold_start
from training.labels import label_matrix, load_label_files, read_labels

TAXONOMY = parse_taxonomy(
    {
        "name": "t",
        "version": "1",
        "clusters": [
            {
                "id": "transport",
                "name": "Transport",
                "description": "All transport.",
                "tier": "super",
            },
            {
                "id": "ev",
                "name": "Electric vehicles",
                "description": "EVs and batteries.",
                "tier": "established",
                "parent": "transport",
                "keywords": ["electric vehicle", "EV charging", "battery pack"],
                "sic_codes": ["29100"],
            },
            {
                "id": "net-zero",
                "name": "Net zero",
                "description": "Low carbon energy.",
                "tier": "new-economy",
                "keywords": ["low carbon", "heat pump"],
                "sic_codes": ["35110"],
            },
        ],
    }
)


def test_keywords_match_on_word_boundaries_and_hyphens():
    matcher = KeywordMatcher(TAXONOMY)
    assert matcher.find("We install EV charging points", "ev") == ["EV charging"]
    assert matcher.find("A LOW-CARBON future with heat  pumps", "net-zero") == ["low carbon"]
    assert matcher.find("seven chargings", "ev") == []
    m = matcher.matrix(["electric vehicle battery pack", "heat pump installer", ""])
    assert m.tolist() == [[False, True, False], [False, False, True], [False, False, False]]
    spans = matcher.spans("heat pump and electric vehicle")
    assert [(s, e, c) for s, e, c in spans] == [(0, 9, "net-zero"), (14, 30, "ev")]


def test_label_matrix_adds_parents():
    Y = label_matrix(["ev", "", "net-zero;ev"], TAXONOMY)
    assert Y.tolist() == [[1, 1, 0], [0, 0, 0], [1, 1, 1]]


def test_label_file_with_unknown_cluster_names_row_and_company(tmp_path: Path):
    path = tmp_path / "labels.csv"
    pd.DataFrame(
        {"company_id": ["1", "2"], "text": ["a", "b"], "labels": ["ev", "ev;hyperloop"]}
    ).to_csv(path, index=False)
    with pytest.raises(ContractError, match=r"row 2 \(company 00000002\): hyperloop"):
        read_labels(path, TAXONOMY)


def test_label_files_later_wins_and_bad_rows_are_reported(tmp_path: Path):
    a, b = tmp_path / "a.csv", tmp_path / "b.parquet"
    pd.DataFrame({"company_id": ["1", "x!"], "text": ["a", "b"], "labels": ["ev", ""]}).to_csv(
        a, index=False
    )
    pd.DataFrame({"company_id": ["00000001"], "text": ["a2"], "labels": [""]}).to_parquet(b)
    _, rejects = read_labels(a, TAXONOMY)
    assert rejects["row"].tolist() == [2]
    labels = load_label_files([a, b], TAXONOMY)
    assert labels.company_ids == ["00000001"] and labels.Y.sum() == 0 and labels.texts == ["a2"]


def test_non_utf8_label_file_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("company_id,text,labels\n1,caf\xe9,ev\n".encode("latin-1"))
    with pytest.raises(ContractError, match="not UTF-8"):
        read_labels(path, TAXONOMY)


def test_taxonomy_examples_cover_every_cluster_and_parents():
    ex = cold_start.taxonomy_examples(TAXONOMY)
    assert set(ex.sources) == {"taxonomy"}
    assert ex.Y.sum(axis=0).tolist()[0] >= ex.Y.sum(axis=0).tolist()[1] > 0  # parent via child


def test_weak_labels_keywords_sic_with_similarity_and_negatives():
    texts = ["we build battery pack systems", "generic garage", "solar farm developer", "shop"]
    sic = [[], ["29100"], ["35110"], ["47110"]]
    # company 2 (solar) is nearest net-zero; company 1 (garage, SIC 29100) is nearest net-zero too
    emb = np.array([[1, 0], [0, 1], [0, 1], [0.7, 0.7]], float)
    proto = np.array([[1, 0], [1, 0], [0, 1]], float)
    weak = cold_start.weak_labels(["a", "b", "c", "d"], texts, sic, emb, proto, TAXONOMY)
    assert weak.sources == ["keyword", "weak-negative", "sic+similarity", "weak-negative"]
    assert weak.Y[0].tolist() == [1, 1, 0]  # keyword + parent
    assert weak.Y[2].tolist() == [0, 0, 1]
    assert weak.weights[1, 1] == 0.0  # SIC says EV, text disagrees: unknown, not negative
    assert weak.Y[3].sum() == 0 and weak.weights[3].min() == 1.0


def test_rule_labels_fade_as_trusted_labels_arrive():
    ex = cold_start.taxonomy_examples(TAXONOMY)
    faded = cold_start.fade(ex, np.array([0, 25, 100]), base_weight=0.4, fade_at=50)
    assert faded.weights[0].tolist() == pytest.approx([0.4, 0.2, 0.0])
