"""An exact, faster encode path for the model2vec static embedder.

model2vec's ``StaticModel.encode`` spends most of its time in the Rust tokenizer (~180 us for a
630-character company text on one core) and the rest in a float16 gather-and-mean per length
bucket. :class:`FastStaticEncoder` gives bit-identical vectors much faster:

* **Word cache.** The BERT tokenizer is a composition of steps that never look across ASCII
  whitespace: the ``BertNormalizer`` works character by character (``clean_text`` deletes
  control characters, Unicode ``Cc``/``Cf``/... and U+FFFD, except tab, newline and carriage
  return, which become spaces like every other whitespace; ``handle_chinese_chars`` pads CJK
  ideographs with spaces; accents are stripped by NFD then dropping ``Mn``, which reorders
  combining marks only between starters; lowercasing is per character: Rust's
  ``char::to_lowercase``, so no final-sigma context); the ``BertPreTokenizer`` splits on
  whitespace and makes every punctuation character a word of its own, never looking past
  whitespace; ``WordPiece`` then tokenizes each word alone. So a text's ids are the
  concatenation of the ids of its chunks, cut at " ", tab, newline and carriage return only
  ("acme,", "co.uk", "caf\u00e9"), and the ids of each distinct chunk are asked of the real
  tokenizer once and cached (bounded: the cache is emptied when it outgrows ``max_words``;
  chunks over ``MAX_CACHED_CHARS`` are never cached). Texts are first cleaned of ASCII
  control characters (as ``clean_text`` would) and their ASCII letters lowercased; a pure-ASCII
  chunk is then exactly what the tokenizer sees, a chunk with non-ASCII characters is given to
  the tokenizer as it is (see :meth:`FastStaticEncoder._mixed_ids`).
  Texts that contain an added token in any case (``[PAD]``, ``[UNK]``, which the tokenizer
  matches in the raw text) take the real tokenizer whole, as model2vec does.
  Then, as in model2vec: keep the first ``max_tokens`` ids, drop the unknown-token ids.
* **Pooling.** One sparse (texts x vocabulary) matrix, one entry per token in text order, times
  the float32 embedding: each row is the float32 sum of its tokens' vectors added one after
  the other, which is exactly what numpy's ``embedding[id_matrix].mean(axis=1)`` computes
  (float16 vectors are summed in float32, divided by the count, rounded to float16), so the
  result is the same to the bit; model2vec's optional normalisation is then repeated verbatim.

Only models without vocabulary quantisation (``token_mapping``/``weights``) and with a BERT
``WordPiece`` tokenizer qualify; :meth:`FastStaticEncoder.from_model` returns ``None`` (and the
embedder keeps model2vec's path) for anything else.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from itertools import chain, compress, repeat
from operator import is_

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_MAX_WORDS = 250_000
"""Word-cache bound (~50 MB at most); the cache is emptied when a batch takes it past this."""

MAX_CACHED_CHARS = 64
"""Longer words are tokenized every time, never cached (bounds the cache's bytes)."""

CHUNK = 4096
"""Texts per internal batch: bounds the temporary arrays (~8 MB per chunk)."""

_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""ASCII characters ``BertNormalizer(clean_text=True)`` deletes (``Cc`` but not \\t \\n \\r)."""

_SEP = "\x01"
"""Marks the end of a text in a batch: a control character, so never in a cleaned text."""
_SEP_JOIN = f" {_SEP} "
_SEP_ID = -1


def unsupported_reason(model) -> str | None:
    """Why ``model`` (a model2vec ``StaticModel``) cannot take the fast path, or ``None``."""
    if model.token_mapping is not None or model.weights is not None:
        return "vocabulary-quantised model (token_mapping/weights)"
    if model.embedding.dtype not in (np.float16, np.float32):
        return f"embedding dtype {model.embedding.dtype}"
    config = json.loads(model.tokenizer.to_str())
    normalizer = config.get("normalizer") or {}
    if normalizer.get("type") != "BertNormalizer":
        return f"normalizer {normalizer.get('type')}"
    if not (normalizer.get("clean_text") and normalizer.get("lowercase")):
        return "BertNormalizer without clean_text and lowercase"
    if (config.get("pre_tokenizer") or {}).get("type") != "BertPreTokenizer":
        return f"pre-tokenizer {(config.get('pre_tokenizer') or {}).get('type')}"
    if config.get("post_processor") is not None:
        return "tokenizer has a post-processor"
    if (config.get("model") or {}).get("type") != "WordPiece":
        return f"tokenizer model {(config.get('model') or {}).get('type')}"
    return None


class FastStaticEncoder:
    """Bit-exact replacement for ``StaticModel.encode(texts, max_length=max_tokens)``.

    Args:
        model: the loaded model2vec ``StaticModel`` (see :func:`unsupported_reason`).
        max_tokens: the token window (model2vec's ``max_length``).
        max_chars: model2vec's character cut (``max_length * median_token_length``).
        max_words: bound on the word cache.
    """

    def __init__(self, model, max_tokens: int, max_chars: int, max_words: int = DEFAULT_MAX_WORDS):
        from scipy.sparse import csr_matrix
        from tokenizers import Tokenizer

        reason = unsupported_reason(model)
        if reason is not None:
            raise ValueError(f"fast static path unsupported: {reason}")
        self.max_tokens = int(max_tokens)
        self.max_chars = int(max_chars)
        self.max_words = int(max_words)
        self.normalize = bool(model.normalize)
        self.out_dtype = model.embedding.dtype
        self.unk_id = -2 if model.unk_token_id is None else int(model.unk_token_id)
        self._csr_matrix = csr_matrix
        self._embedding = np.ascontiguousarray(model.embedding, dtype=np.float32)  # exact
        self._vocab_size = self._embedding.shape[0]
        # Own copies: model2vec changes its tokenizer's truncation during encode.
        text_tokenizer = Tokenizer.from_str(model.tokenizer.to_str())
        text_tokenizer.enable_truncation(self.max_tokens)
        self._text_tokenizer = text_tokenizer
        word_tokenizer = Tokenizer.from_str(model.tokenizer.to_str())
        word_tokenizer.no_truncation()
        word_tokenizer.no_padding()
        self._word_tokenizer = word_tokenizer
        added = json.loads(model.tokenizer.to_str()).get("added_tokens") or []
        contents = {t["content"] for t in added if t.get("content")}
        self._added = tuple(sorted(contents | {c.lower() for c in contents}))
        self._added_all_bracketed = all(c.startswith("[") for c in contents)
        self.fallback_texts = 0
        """Texts tokenized whole by the real tokenizer so far (those with an added token)."""
        self.mixed_texts = 0
        """Non-ASCII texts taken chunk by chunk so far."""
        self._ints = list(range(self._vocab_size))  # shared int objects keep the cache small
        self._cache: dict[str, tuple[int, ...]] = {_SEP: (_SEP_ID,)}

    @classmethod
    def from_model(
        cls, model, max_tokens: int, max_chars: int, **kwargs
    ) -> FastStaticEncoder | None:
        """The encoder, or ``None`` (logged) when ``model`` does not qualify."""
        reason = unsupported_reason(model)
        if reason is not None:
            logger.info("static embedder: model2vec path (%s)", reason)
            return None
        return cls(model, max_tokens, max_chars, **kwargs)

    @property
    def cache_size(self) -> int:
        """Distinct words currently cached."""
        return len(self._cache) - 1

    def clear_cache(self) -> None:
        self._cache.clear()
        self._cache[_SEP] = (_SEP_ID,)

    # --- tokenization ---------------------------------------------------------------------

    def _has_added_token(self, text: str) -> bool:
        """Whether ``text`` may hold an added token (any case): such texts go through whole."""
        if not self._added or (self._added_all_bracketed and "[" not in text):
            return False
        lowered = text.lower()
        return any(token in text or token in lowered for token in self._added)

    def _is_fast(self, text: str) -> bool:
        """Pure ASCII and no added token: the vectorised chunk path."""
        return text.isascii() and not self._has_added_token(text)

    def _word_ids(self, words: set[str]) -> dict[str, tuple[int, ...]]:
        """Ids of each word from the real tokenizer; adds them to the (bounded) cache.

        ASCII words go through the tokenizer as one space-separated string (twice as fast as
        one input per word, and the same ids: whitespace ends every pre-token); the token
        offsets say which word each id belongs to. Non-ASCII words go one input each (no
        reliance on offsets, which the normaliser may stretch).
        """
        words.discard(_SEP)
        ordered = sorted(w for w in words if w.isascii())
        raw = sorted(w for w in words if not w.isascii())
        new: dict[str, tuple[int, ...]] = {}
        if raw:  # raw non-ASCII chunks: one input each, no offset arithmetic needed
            ints = self._ints
            encodings = self._word_tokenizer.encode_batch_fast(raw, add_special_tokens=False)
            for word, encoding in zip(raw, encodings, strict=True):
                new[word] = tuple([ints[i] for i in encoding.ids])
        if ordered:
            starts = np.cumsum([0] + [len(w) + 1 for w in ordered[:-1]])
            encoding = self._word_tokenizer.encode(" ".join(ordered), add_special_tokens=False)
            token_starts = np.fromiter(
                (start for start, _ in encoding.offsets), dtype=np.int64, count=len(encoding)
            )
            owner = np.searchsorted(starts, token_starts, side="right") - 1
            bounds = np.searchsorted(owner, np.arange(len(ordered) + 1), side="left")
            ints = self._ints
            ids = encoding.ids
            for k, word in enumerate(ordered):
                new[word] = tuple([ints[i] for i in ids[bounds[k] : bounds[k + 1]]])
        cache = self._cache
        keep = {w: ids for w, ids in new.items() if len(w) <= MAX_CACHED_CHARS}
        if len(cache) + len(keep) > self.max_words:
            cache.clear()
            cache[_SEP] = (_SEP_ID,)
        if len(keep) < self.max_words:
            cache.update(keep)
        new[_SEP] = (_SEP_ID,)
        return new

    def _ascii_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Flat token ids (truncated, unknowns dropped) and per-text counts of ASCII texts.

        The words here are whitespace-separated chunks of the cleaned, lowercased text
        ("acme," or "co.uk"): whitespace always ends a BERT pre-token and punctuation splitting
        does not look past it, so a text's ids are its chunks' ids in order.
        """
        if not texts:
            return np.empty(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if not " ".join(texts).isprintable():  # rare: tabs, newlines or control characters
            texts = [_CONTROL_RE.sub("", t) for t in texts]
        joined = _SEP_JOIN.join(texts)
        return self._chunk_ids((joined + _SEP_JOIN).lower().split(), len(texts))

    def _mixed_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Same as :meth:`_ascii_ids` for texts with non-ASCII characters (no added token).

        ``texts`` come with their ASCII control characters removed (as ``clean_text`` would),
        and are cut only at " ", \\t, \\n and \\r, never at what ``str.split()`` also takes
        for whitespace (\\x85, \\xa0, Unicode spaces: left to the tokenizer, inside their
        chunk). The normaliser works character by character (clean_text, CJK spacing, NFD then
        dropping ``Mn``, per-character lowercase) and these four stay whitespace, which ends
        every pre-token, so a text's ids are its chunks' ids in order. ASCII letters are
        lowercased (bytes-wise, nothing else changes): an ASCII chunk gets the ASCII path's key,
        and in a non-ASCII chunk an ASCII letter's case changes nothing the tokenizer does (it
        lowercases each character; NFD, accent stripping and CJK spacing leave ASCII letters
        alone). A non-ASCII chunk goes to the real tokenizer so and is cached so: it holds a
        non-ASCII character, so its key cannot be an ASCII chunk's.
        """
        if not texts:
            return np.empty(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        joined = _SEP_JOIN.join(texts) + _SEP_JOIN
        joined = joined.replace("\t", " ").replace("\n", " ").replace("\r", " ")
        lowered = joined.encode("utf-8", "surrogatepass").lower()  # ASCII letters only
        words = list(filter(None, lowered.decode("utf-8", "surrogatepass").split(" ")))
        return self._chunk_ids(words, len(texts))

    def _chunk_ids(self, words: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids of ``words`` (chunk keys, :data:`_SEP` after each of ``n`` texts), per text."""
        pieces = list(map(self._cache.get, words))
        if None in pieces:
            new = self._word_ids(set(compress(words, map(is_, pieces, repeat(None)))))
            pieces = list(map(new.get, words, pieces))  # the new ids where the cache had none
        flat = np.fromiter(chain.from_iterable(pieces), dtype=np.int64)
        is_sep = flat == _SEP_ID
        ends = np.flatnonzero(is_sep)
        if len(ends) != n:  # cannot happen: one separator after each text
            raise AssertionError(f"{len(ends)} separators for {n} texts")
        starts = np.empty(n, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        text_of = np.repeat(np.arange(n), ends - starts + 1)
        position = np.arange(len(flat)) - starts[text_of]
        keep = (position < self.max_tokens) & ~is_sep & (flat != self.unk_id)
        counts = np.bincount(text_of[keep], minlength=n)
        return flat[keep], counts

    def _fallback_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Same as :meth:`_ascii_ids` through the real tokenizer (model2vec's ``tokenize``).

        Only for texts holding an added token: counted in :attr:`fallback_texts`."""
        encodings = self._text_tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        unk = self.unk_id
        ids = [[i for i in enc.ids if i != unk] for enc in encodings]
        counts = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(counts.sum()))
        return flat, counts

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Per-text ids, as model2vec's ``tokenize`` gives them (for tests and debugging)."""
        flat, counts = self._ids(texts)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        return [flat[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def _ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        limit = self.max_chars
        raw = [t[:limit] if len(t) > limit else t for t in texts]
        joined = " ".join(raw)
        # What clean_text deletes first; an added token in the raw text is in these too.
        cleaned = [_CONTROL_RE.sub("", t) for t in raw] if _CONTROL_RE.search(joined) else raw
        has_added = list(map(self._has_added_token, cleaned))
        if joined.isascii() and not any(has_added):
            return self._ascii_ids(cleaned)
        routes: dict[str, list[int]] = {"ascii": [], "mixed": [], "whole": []}
        for i, text in enumerate(cleaned):
            if has_added[i]:
                routes["whole"].append(i)
            else:
                routes["ascii" if text.isascii() else "mixed"].append(i)
        self.mixed_texts += len(routes["mixed"])
        self.fallback_texts += len(routes["whole"])
        parts = [
            (index, *method([source[i] for i in index]))
            for index, method, source in (
                (routes["ascii"], self._ascii_ids, cleaned),
                (routes["mixed"], self._mixed_ids, cleaned),
                (routes["whole"], self._fallback_ids, raw),  # the tokenizer sees the raw text
            )
            if index
        ]
        order = np.concatenate([np.asarray(index, dtype=np.int64) for index, _, _ in parts])
        part_counts = np.concatenate([c for _, _, c in parts])
        counts = np.zeros(len(raw), dtype=np.int64)
        counts[order] = part_counts
        owner = np.repeat(order, part_counts)
        flat = np.concatenate([f for _, f, _ in parts])[np.argsort(owner, kind="stable")]
        return flat, counts

    # --- pooling --------------------------------------------------------------------------

    def _pool(self, flat: np.ndarray, counts: np.ndarray) -> np.ndarray:
        csr_matrix = self._csr_matrix
        n = len(counts)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        # One entry per token, in text order, duplicates kept: the product adds each row's
        # vectors one by one in float32, as numpy's mean over the token axis does.
        matrix = csr_matrix(
            (np.ones(len(flat), dtype=np.float32), flat, indptr), shape=(n, self._vocab_size)
        )
        sums = np.asarray(matrix @ self._embedding, dtype=np.float32)
        means = sums / np.maximum(counts, 1).astype(np.float32)[:, None]
        out = means.astype(self.out_dtype)
        if self.normalize:  # model2vec's _encode_batch, verbatim
            out32 = out.astype(np.float32)
            norm = np.linalg.norm(out32, axis=1, keepdims=True) + 1e-32
            return (out32 / norm).astype(out.dtype)
        return out

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """Vectors as ``StaticModel.encode`` returns them (model dtype, not yet finalised)."""
        starts = range(0, len(texts), CHUNK)
        if show_progress:
            from tqdm import tqdm

            starts = tqdm(starts, total=len(starts))
        parts = [self._pool(*self._ids(texts[s : s + CHUNK])) for s in starts]
        if not parts:
            return np.zeros((0, self._embedding.shape[1]), dtype=self.out_dtype)
        return np.concatenate(parts, axis=0)
