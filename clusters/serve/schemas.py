"""Request and response models of the classification API.

The request models are built by :func:`request_models` from the ``serve`` settings, so the
limits (items per request, characters per text field) are enforced by validation and shown in
the OpenAPI schema. Unknown fields are refused (``extra="forbid"``).

No ``from __future__ import annotations``: the models are built inside a function.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from clusters.serve.settings import ServeSettings

COMPANY_FIELDS = ("name", "website_text", "filing_text", "sic_codes", "url")
"""Company-base fields: the text is prepared from them as the batch job does."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def request_models(cfg: ServeSettings) -> tuple[type[BaseModel], type[BaseModel]]:
    """``(Company, ClassifyRequest)`` with the limits of ``cfg``."""
    Text = Annotated[str, StringConstraints(max_length=cfg.max_text_chars)]
    SicCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]

    class Company(_Strict):
        """One company: either ``text`` (classified as given), or company-base fields from
        which the text is prepared (``name``, ``website_text``, ``filing_text``,
        ``sic_codes``; ``url``: the website text already crawled for that URL)."""

        company_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
            None, description="Your id, echoed back [default: the item's position]."
        )
        text: Text | None = Field(None, description="Description to classify as given.")
        name: Text | None = None
        website_text: Text | None = None
        filing_text: Text | None = None
        sic_codes: list[SicCode] | None = Field(None, max_length=50)
        url: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = Field(
            None,
            description="Website already crawled (`clusters ingest websites`): its text is "
            "read from the crawl store, never fetched.",
        )

        @model_validator(mode="after")
        def _has_text(self):
            given = [f for f in COMPANY_FIELDS if getattr(self, f) not in (None, [])]
            if self.text is not None:
                if given:
                    raise ValueError(
                        f"give either text or company fields ({', '.join(COMPANY_FIELDS)}), "
                        f"not both (got text and {', '.join(given)})"
                    )
                if not self.text.strip():
                    raise ValueError("text is empty")
                return self
            if not given:
                raise ValueError(f"no text: give text, or one of {', '.join(COMPANY_FIELDS)}")
            if self.url is not None and self.website_text is not None:
                raise ValueError("give either url (its crawled text) or website_text, not both")
            if all(
                isinstance(getattr(self, f), str) and not getattr(self, f).strip() for f in given
            ):
                raise ValueError(f"{', '.join(given)}: empty")
            return self

    class ClassifyRequest(_Strict):
        """One company (``company``) or a small batch (``companies``)."""

        company: Company | None = None
        companies: list[Company] | None = Field(None, min_length=1, max_length=cfg.max_batch_items)
        explain: bool = Field(
            True, description="Add the explanation (keywords, nearest labelled examples)."
        )
        probabilities: bool = Field(False, description="Add every cluster's probability.")

        @model_validator(mode="after")
        def _one_of(self):
            if (self.company is None) == (self.companies is None):
                raise ValueError("give exactly one of company or companies")
            return self

        def items(self) -> list[Company]:
            return [self.company] if self.company is not None else list(self.companies)

    return Company, ClassifyRequest


class Example(BaseModel):
    company_id: str | None
    text: str
    similarity: float


class Explanation(BaseModel):
    """Why a cluster scored as it did."""

    cluster_id: str
    probability: float
    threshold: float
    assigned: bool
    keywords: list[str]
    examples: list[Example] = Field(description="Nearest labelled examples of the cluster.")


class ClusterScore(BaseModel):
    cluster_id: str
    name: str
    probability: float
    threshold: float


class CompanyResult(BaseModel):
    company_id: str
    clusters: list[ClusterScore] = Field(description="Clusters above their threshold.")
    top_cluster: str | None
    confidence: float
    needs_review: bool
    model_version: str
    text_hash: str
    probabilities: dict[str, float] | None = None
    explanation: list[Explanation] | None = None


class ClassifyResponse(BaseModel):
    model_version: str
    results: list[CompanyResult]


class TaxonomyCluster(BaseModel):
    id: str
    name: str
    tier: str
    parent: str | None
    description: str
    keywords: list[str]
    threshold: float


class TaxonomyResponse(BaseModel):
    name: str
    version: str
    hash: str
    model_version: str
    clusters: list[TaxonomyCluster]


class ReloadResponse(BaseModel):
    old_version: str | None
    new_version: str
    reloaded: bool
    seconds: float


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    status: int
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_json(status: int, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    """The JSON body of every error response."""
    return {"error": {"status": status, "message": message, "details": details or []}}
