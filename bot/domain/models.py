"""Pydantic models: the contract between parser, store, search, summaries and rendering.

Every layer speaks these types, so a change of storage or of Discord rendering never leaks into
the parser, and the parser's output can be checked field by field in tests.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain.criteria import Criteria, watch_criteria

#: Keys of ``festbot parse --json``, in the order they are printed.
PARSE_JSON_KEYS: tuple[str, ...] = (
    "title",
    "original_title",
    "headline",
    "pull_quote",
    "directors",
    "screenwriters",
    "countries",
    "year",
    "runtime_minutes",
    "image_credit",
    "festival",
    "sales",
    "cast",
    "credits",
    "body",
    "url",
    "published_at",
    "reviewer",
    "publication",
    "rating",
    "image_url",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FestivalRef(_Frozen):
    """Where a review's film screened: a canonical festival name and, when known, its section."""

    name: str
    section: str | None = None


class SalesContact(_Frozen):
    """One international sales agent with the ways a buyer can reach it."""

    company: str
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)


class Rating(_Frozen):
    """A review's own rating: as written (``★★★☆☆``, ``B+``, ``4/5``) and as a score out of 100.

    One scale, so ratings from different outlets sort and compare: stars and scores in proportion
    (``★★★☆☆`` and ``3/5`` are 60), letter grades as review aggregators convert them (``A`` 100,
    ``A-`` 91, ``B+`` 83, ``B`` 75, ... ``F`` 0).
    """

    text: str = Field(min_length=1)
    score: float = Field(ge=0, le=100)


class Summary(_Frozen):
    """Buyer-facing digest of a review; every sentence is verbatim from the review."""

    verdict: list[str] = Field(default_factory=list)
    story: list[str] = Field(default_factory=list)
    prospects: list[str] = Field(default_factory=list)
    logline: str = ""


class Review(_Frozen):
    """A parsed trade review: the film's header facts, the critic's text and the credits footer."""

    title: str = Field(min_length=1)
    original_title: str | None = None
    headline: str | None = None
    pull_quote: str | None = None
    directors: list[str] = Field(default_factory=list)
    screenwriters: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    year: int | None = Field(default=None, ge=1880, le=2100)
    runtime_minutes: int | None = Field(default=None, ge=1, le=1500)
    image_credit: str | None = None
    festival: FestivalRef | None = None
    #: Edition of the festival (from ``--festival "Berlinale 2022"`` or front matter); not the film's year.
    festival_year: int | None = None
    sales: list[SalesContact] = Field(default_factory=list)
    cast: list[str] = Field(default_factory=list)
    #: Every ``Label: value`` credit line, keyed by the label in snake_case, in the order written.
    credits: dict[str, list[str]] = Field(default_factory=dict)
    body: list[str] = Field(default_factory=list)
    url: str | None = None
    published_at: dt.datetime | None = None
    reviewer: str | None = None
    #: The outlet (``Variety``, ``The Hollywood Reporter``): from the layout, the page's metadata or front matter.
    publication: str | None = None
    rating: Rating | None = None
    #: The article page's lead image, shown with the review in Discord.
    image_url: str | None = None

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        # Naive timestamps are taken as UTC so ordering and comparisons never mix kinds.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value

    def parse_json(self) -> dict[str, Any]:
        """The exact object ``festbot parse --json`` prints."""
        data = self.model_dump(mode="json")
        return {key: data[key] for key in PARSE_JSON_KEYS}

    @property
    def display_title(self) -> str:
        if self.original_title and self.original_title != self.title:
            return f"{self.title} ({self.original_title})"
        return self.title


class StoredReview(_Frozen):
    """A review as the store holds it: the parsed review plus its identity and bookkeeping."""

    id: int
    review: Review
    #: The film it reviews, which may have other reviews (other outlets, other critics).
    film_id: int | None = None
    summary: Summary | None = None
    source: str | None = None
    content_hash: str
    created_at: dt.datetime
    updated_at: dt.datetime


class Film(_Frozen):
    """A film as its reviews describe it together, whichever outlet's review is opened.

    The facts are its first review's, with what that one leaves out filled in from the others; the
    directors are every director its reviews credit.
    """

    id: int
    title: str
    original_title: str | None = None
    year: int | None = None
    runtime_minutes: int | None = None
    directors: list[str] = Field(default_factory=list)


class IngestStatus(_Frozen):
    """Outcome of storing one review: ``added``, ``updated`` or ``unchanged``."""

    status: str
    review_id: int
    title: str


class SearchHit(_Frozen):
    """One ranked film for a user's query, light enough for autocomplete."""

    film_id: int
    #: The film's newest review.
    review_id: int
    title: str
    original_title: str | None = None
    year: int | None = None
    directors: list[str] = Field(default_factory=list)
    #: The festival of the film's newest review, and every festival its reviews came from.
    festival: str | None = None
    festivals: list[str] = Field(default_factory=list)
    #: How many reviews the film has.
    reviews: int = 1
    score: float
    #: What matched: ``title``, ``person`` or ``company``.
    matched: str = "title"
    #: For a person or company match: the name as credited, and the role.
    name: str | None = None
    role: str | None = None


class Subscription(_Frozen):
    """A channel's wish to receive one festival's (or every festival's) new reviews."""

    id: int
    guild_id: int
    channel_id: int
    festival: str | None = None
    section: str | None = None
    style: str = "embed"
    role_id: int | None = None
    forum: bool = False
    paused_reason: str | None = None
    #: Filters beyond festival and section (words, country, people, sales company, rating, publication).
    filters: Criteria = Field(default_factory=Criteria)
    # How it is delivered, and where its health alerts go (issue 17: digests, threads, alerts).
    digest_hour: int | None = Field(default=None, ge=0, le=23)  # one post a day at this local hour
    timezone: str | None = None  # the IANA zone of ``digest_hour`` (UTC when None)
    thread: bool = False  # a discussion thread under each post in a text channel
    setup_channel_id: int | None = None  # where it was set up: its health alerts go there

    @property
    def active(self) -> bool:
        return self.paused_reason is None

    @property
    def is_digest(self) -> bool:
        """A digest gets one post a day listing the day's matching reviews, instead of a post per review."""
        return self.digest_hour is not None

    def matches(self, festival: FestivalRef | None) -> bool:
        """Whether a review from ``festival`` belongs in this subscription's channel."""
        if self.festival is None:
            return True
        if festival is None or festival.name != self.festival:
            return False
        return self.section is None or (festival.section or "").casefold() == self.section.casefold()


class DeliveryOptions(_Frozen):
    """How a subscription is delivered beyond its style: a daily digest, a thread under each post, and the
    channel it was set up from (where its health alerts go)."""

    digest_hour: int | None = Field(default=None, ge=0, le=23)
    timezone: str | None = None
    thread: bool = False
    setup_channel_id: int | None = None


class AlertFacts(_Frozen):
    """What a health alert reports (a paused subscription, a failing feed), rendered when it is sent."""

    kind: Literal["subscription", "feed"]
    event: Literal["broken", "recovered"]
    subject_id: int
    channel_id: int | None = None  # a subscription's channel
    what: str = ""  # the subscription's festival (and section), or the feed's URL
    reason: str = ""


class DigestFacts(_Frozen):
    """One digest post: the subscription's local date and the reviews it lists, oldest first."""

    date: dt.date
    review_ids: list[int]


class NoticeJob(_Frozen):
    """One claimed notice (a health alert or a digest): what to post where, and the nonce of its retries."""

    id: int
    guild_id: int
    channel_id: int | None
    kind: Literal["alert", "digest"]
    subscription_id: int | None = None
    alert: AlertFacts | None = None
    digest: DigestFacts | None = None
    attempts: int
    nonce: str


class DeliveryJob(_Frozen):
    """One claimed delivery: what to send where, and how to make a retry land on the same message."""

    id: int
    review_id: int
    subscription: Subscription
    action: str  # post | edit
    attempts: int
    nonce: str
    message_id: int | None = None
    thread_id: int | None = None


class DeliveryRecord(_Frozen):
    """A delivery as ``/announce log`` shows it."""

    id: int
    review_id: int
    title: str
    channel_id: int
    subscription_id: int
    state: str
    action: str
    attempts: int
    last_error: str | None = None
    message_id: int | None = None
    updated_at: dt.datetime


class Watch(_Frozen):
    """One thing a member follows (a person, company, festival, country or word): matching reviews come by DM."""

    id: int
    user_id: int
    guild_id: int
    channel_id: int | None = None  # where it was set up
    kind: str
    value: str
    paused_reason: str | None = None
    created_at: dt.datetime

    @property
    def criteria(self) -> Criteria:
        return watch_criteria(self.kind, self.value)


class WatchJob(_Frozen):
    """A claimed direct message: one review to one member, for the watch that matched it first."""

    id: int
    review_id: int
    user_id: int
    reason: str
    attempts: int
    dm_channel_id: int | None = None
