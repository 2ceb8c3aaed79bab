"""Data contracts: normalisation and row-level validation with reasons."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from clusters.contracts import (
    COMPANY_BASE,
    LABELS,
    PREDICTIONS,
    ContractError,
    normalise_company_id,
    split_labels,
    to_arrow,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8209948", "08209948"),
        ("08209948", "08209948"),
        (" sc123456 ", "SC123456"),
        ("NI12345", "NI012345"),
        ("OC301234", "OC301234"),
        ("R0000123", "R0000123"),
        ("IP10067R", "IP10067R"),
        ("8209948.0", "08209948"),
        ("", None),
        (None, None),
        ("ABC", None),
        ("123456789", None),
    ],
)
def test_company_numbers(raw, expected):
    assert normalise_company_id(raw) == expected


def test_labels_split():
    assert split_labels("medtech; space ;") == ["medtech", "space"]
    assert split_labels("") == [] and split_labels(None) == [] and split_labels(float("nan")) == []


def test_company_base_rejects_with_row_column_company_and_reason():
    frame = pd.DataFrame(
        {
            "company_id": ["8209948", "SC1234", "bad!", None],
            "name": ["A LTD", "B LTD", "C LTD", "D LTD"],
            "postcode": ["NG7 2RD", "75008", None, None],
            "incorporation_date": ["2012-09-11", None, None, None],
            "sic_codes": [["70229"], [], ["7499"], []],
        },
        index=[10, 11, 12, 13],
    )
    valid, rejects = COMPANY_BASE.validate(frame, source="in.csv")
    assert valid["company_id"].tolist() == ["08209948"]
    assert rejects["row"].tolist() == [11, 12, 13]
    assert rejects.iloc[0]["column"] == "postcode" and "75008" in rejects.iloc[0]["reason"]
    assert rejects.iloc[0]["company_id"] == "SC001234"
    assert "Companies House number" in rejects.iloc[1]["reason"]
    assert rejects.iloc[2]["reason"] == "company_id is empty"
    assert json.loads(rejects.iloc[0]["record"])["name"] == "B LTD"  # nothing lost
    assert set(rejects["source"]) == {"in.csv"}


def test_bad_sic_and_date_are_rejected():
    frame = pd.DataFrame(
        {
            "company_id": ["00000001", "00000002"],
            "name": ["A", "B"],
            "postcode": [None, None],
            "incorporation_date": ["2020-02-31", "2020-02-01"],
            "sic_codes": [["70229"], ["7499"]],
        }
    )
    _, rejects = COMPANY_BASE.validate(frame)
    assert rejects["column"].tolist() == ["incorporation_date", "sic_codes"]


def test_missing_required_column_is_fatal_and_named():
    with pytest.raises(ContractError, match="labels.csv: missing required column.*text"):
        LABELS.validate(pd.DataFrame({"company_id": ["1"], "labels": [""]}), source="labels.csv")


def test_arrow_schema_round_trip():
    frame = pd.DataFrame(
        {
            "company_id": ["00000001"],
            "name": ["A"],
            "postcode": ["B1 1AA"],
            "sic_codes": [["62012"]],
        }
    )
    valid, _ = COMPANY_BASE.validate(frame)
    table = to_arrow(valid, COMPANY_BASE)
    assert table.schema.field("sic_codes").type.value_type == "string"
    assert table.schema.field("incorporation_date").type == "date32[day]"


def test_predictions_allow_probability_columns_only():
    frame = pd.DataFrame(
        {
            "company_id": ["00000001"],
            "labels": ["space"],
            "top_label": ["space"],
            "confidence": [0.9],
            "needs_review": [False],
            "model_version": ["m/v1"],
            "text_hash": ["abc"],
            "p_space": [0.9],
        }
    )
    valid, rejects = PREDICTIONS.validate(frame)
    assert rejects.empty and "p_space" in valid
    assert to_arrow(valid, PREDICTIONS).schema.field("p_space").type == "double"
    with pytest.raises(ContractError):
        PREDICTIONS.arrow_schema(["surprise"])
    frame.loc[0, "confidence"] = 1.5
    _, rejects = PREDICTIONS.validate(frame)
    assert "outside [0, 1]" in rejects.iloc[0]["reason"]
