"""The project catalog: titles and aliases normalised, fuzzy resolution and suggestions.

ALX names each case study once per track ("E-Commerce Backend" / "Dynamic E-Commerce Product
Catalog"). An entry has one identity (`key`); every title, alias and its name are *terms* that
lead to it. Matching works on a compact form (lowercase ASCII letters and digits only), so
"e-commerce api", "E-Commerce API" and "ecommerceapi" are the same term.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from bot.domain.roles import ROLES
from bot.errors import InvalidInput

NAME_MAX = 100
TITLE_MAX = 100
ALIAS_MAX = 100
ALIASES_MAX = 20
DESCRIPTION_MAX = 500

# A typed project resolves to an entry without asking when it is this close to one of its terms.
RESOLVE_CUTOFF = 88.0
# Two entries closer than this to each other are ambiguous: suggest instead of guessing.
AMBIGUITY_MARGIN = 4.0
# Terms scoring below this are not worth showing as "did you mean" or in autocomplete.
SUGGEST_CUTOFF = 62.0
# Autocomplete compares at most this many typed characters with the start of each term.
PREFIX_MAX = 24
# A prefix shared by many entries ("backe…") ranks only its first few: enough to fill a list.
OWNERS_PER_PREFIX = 30

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Lowercase ASCII words, single spaces: "Dynamic E-Commerce" → "dynamic e commerce"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def compact(text: str) -> str:
    """The matching form of a term, without spaces: "E-Commerce API" → "ecommerceapi"."""
    return normalize(text).replace(" ", "")


def slugify(text: str) -> str:
    """A stable key for a project name ("Job Board" → "job-board")."""
    return normalize(text).replace(" ", "-")[:NAME_MAX] or "project"


@dataclass(frozen=True)
class CatalogEntry:
    """One project: how it is known (its key, name and aliases), a title per track, and a
    description. `custom` when a learner proposed it; `id` is its row once stored."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()
    backend_title: str | None = None
    frontend_title: str | None = None
    description: str = ""
    custom: bool = False
    id: int | None = None

    def title_for(self, role: str | None) -> str:
        """The title learners of `role` use; the name when the entry has none."""
        if role == "backend" and self.backend_title:
            return self.backend_title
        if role == "frontend" and self.frontend_title:
            return self.frontend_title
        return self.name

    @property
    def titles(self) -> tuple[str, ...]:
        """Distinct titles shown to learners: per-track titles, or the name alone."""
        found = [t for t in (self.backend_title, self.frontend_title) if t]
        return tuple(dict.fromkeys(found)) or (self.name,)

    @property
    def terms(self) -> tuple[str, ...]:
        """Everything a learner may type to mean this entry."""
        candidates = [self.name, *self.titles, *self.aliases, self.key.replace("-", " ")]
        return tuple(dict.fromkeys(t for t in candidates if compact(t)))


@dataclass(frozen=True)
class Resolution:
    """What a typed project name means: an entry, or the closest entries to suggest."""

    entry: CatalogEntry | None
    suggestions: tuple[CatalogEntry, ...] = ()


@dataclass(frozen=True)
class Choice:
    """An autocomplete choice: `name` shown, `value` submitted (both ≤ 100 characters)."""

    name: str
    value: str


class CatalogIndex:
    """An immutable, in-memory view of one server's active catalog, built for fast lookups."""

    def __init__(self, entries: Sequence[CatalogEntry] = ()) -> None:
        self.entries = tuple(entries)
        self._exact: dict[str, int] = {}
        # Whole terms (compact and spaced), each with the position of its entry.
        self._full: list[str] = []
        self._spaced: list[str] = []
        self._term_owner: list[int] = []
        # Each term also from every word on ("movie recommendation app" → "recommendationapp",
        # "app"), so typing the middle of a title still finds it.
        self._starts: list[str] = []
        self._start_owner: list[int] = []
        self._short: dict[str, list[int]] = {}  # 1-2 typed characters → entries, catalog order
        self._prefix_cache: dict[int, tuple[list[str], list[list[int]]]] = {}
        self._choices: list[dict[str | None, tuple[Choice, ...]]] = []
        for position, entry in enumerate(self.entries):
            for term in entry.terms:
                spaced = normalize(term)
                key = spaced.replace(" ", "")
                self._exact.setdefault(key, position)
                self._full.append(key)
                self._spaced.append(spaced)
                self._term_owner.append(position)
                words = spaced.split(" ")
                for first in range(len(words)):
                    start = "".join(words[first:])
                    self._starts.append(start)
                    self._start_owner.append(position)
                    for size in (1, 2):
                        owners = self._short.setdefault(start[:size], [])
                        if not owners or owners[-1] != position:
                            owners.append(position)
            self._choices.append({role: _choices(entry, role) for role in (None, *ROLES)})

    def __len__(self) -> int:
        return len(self.entries)

    def by_key(self, key: str) -> CatalogEntry | None:
        for entry in self.entries:
            if entry.key == key:
                return entry
        return None

    def by_id(self, project_id: int | None) -> CatalogEntry | None:
        for entry in self.entries:
            if entry.id == project_id:
                return entry
        return None

    def exact(self, text: str) -> CatalogEntry | None:
        """The entry one of whose terms is `text` once normalised."""
        position = self._exact.get(compact(text))
        return None if position is None else self.entries[position]

    def resolve(self, text: str) -> Resolution:
        """Exact term, else a clearly closest entry, else up to three suggestions."""
        key = compact(text)
        if not key:
            return Resolution(None)
        if key in self._exact:
            return Resolution(self.entries[self._exact[key]])
        scores = self._resolve_scores(key, normalize(text))
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        if ranked and ranked[0][1] >= RESOLVE_CUTOFF:
            runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
            if ranked[0][1] - runner_up >= AMBIGUITY_MARGIN:
                return Resolution(self.entries[ranked[0][0]])
        return Resolution(None, tuple(self.entries[i] for i in self._ranked(text)[:3]))

    def _resolve_scores(self, key: str, spaced: str) -> dict[int, float]:
        """Best whole-term similarity per entry (typos, and words in another order)."""
        best: dict[int, float] = {}
        for matches in (
            process.extract(key, self._full, scorer=fuzz.ratio, limit=20, score_cutoff=70),
            process.extract(
                spaced, self._spaced, scorer=fuzz.token_sort_ratio, limit=20, score_cutoff=70
            ),
        ):
            for _, score, index in matches:
                owner = self._term_owner[index]
                best[owner] = max(best.get(owner, 0.0), float(score))
        return best

    def suggest(self, query: str, *, role: str | None = None, limit: int = 25) -> list[Choice]:
        """Autocomplete: titles of the best entries for what is typed so far, ≤ `limit`.

        An entry contributes each of its titles (the caller's track first when known), so a
        learner sees the title they know while both lead to the same project.
        """
        ranked = self._ranked(query) if compact(query) else range(len(self.entries))
        role_key = role if role in ROLES else None
        chosen: dict[str, Choice] = {}
        for position in ranked:
            for choice in self._choices[position][role_key]:
                chosen.setdefault(choice.value, choice)
            if len(chosen) >= limit:
                break
        return list(chosen.values())[:limit]

    def _ranked(self, query: str) -> list[int]:
        """Entry positions best first for a partial, possibly misspelled query."""
        key = compact(query)
        if len(key) <= 2:  # too short for typos to mean anything: plain word starts
            return list(self._short.get(key, ())) if key else []
        best: dict[int, float] = {}
        # Typed so far (with a typo) vs the start of each term, from any of its words; a
        # finished name with a typo is just a long prefix. Long input is compared by its start.
        head = key[:PREFIX_MAX]
        prefixes, owners = self._prefixes(len(head) + 1)
        for prefix, score, index in process.extract(
            head, prefixes, scorer=fuzz.ratio, limit=40, score_cutoff=SUGGEST_CUTOFF
        ):
            value = float(score) + (10.0 if prefix.startswith(head) else 0.0)
            for owner in owners[index][:OWNERS_PER_PREFIX]:
                if best.get(owner, 0.0) < value:
                    best[owner] = value
        return [p for p, _ in sorted(best.items(), key=lambda item: (-item[1], item[0]))]

    def _prefixes(self, length: int) -> tuple[list[str], list[list[int]]]:
        """Distinct first `length` characters of every term start, with the entries they lead to.

        At most PREFIX_MAX + 1 of these are built, each on first use.
        """
        cached = self._prefix_cache.get(length)
        if cached is None:
            slots: dict[str, list[int]] = {}
            for start, owner in zip(self._starts, self._start_owner, strict=True):
                owners = slots.setdefault(start[:length], [])
                if not owners or owners[-1] != owner:
                    owners.append(owner)
            cached = (list(slots), list(slots.values()))
            self._prefix_cache[length] = cached
        return cached


def _choices(entry: CatalogEntry, role: str | None) -> tuple[Choice, ...]:
    """An entry's titles as choices, the title of `role`'s track first."""
    titles = sorted(entry.titles, key=lambda title: title != entry.title_for(role))
    return tuple(
        Choice(
            name=(f"{title} (custom)" if entry.custom else title)[:NAME_MAX],
            value=title[:NAME_MAX],
        )
        for title in titles
    )


def _text(value: Any, label: str, limit: int, *, required: bool = False) -> str | None:
    """Trimmed text of at most `limit` characters; `label` names it in errors ("The alias")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{label} is missing.")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{label} must be text.")
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        raise InvalidInput(f"{label} is too long ({len(cleaned)} characters, at most {limit}).")
    return cleaned


def split_aliases(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """Aliases from a comma-separated string or a list: trimmed, distinct, non-empty."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    cleaned: dict[str, str] = {}
    for item in items:
        alias = _text(item, "An alias", ALIAS_MAX)
        if alias and compact(alias):
            cleaned.setdefault(compact(alias), alias)
    if len(cleaned) > ALIASES_MAX:
        raise InvalidInput(f"At most {ALIASES_MAX} aliases per project, please.")
    return tuple(cleaned.values())


def make_entry(
    name: str,
    *,
    aliases: str | Iterable[str] | None = None,
    description: str | None = None,
    backend_title: str | None = None,
    frontend_title: str | None = None,
    key: str | None = None,
    custom: bool = False,
) -> CatalogEntry:
    """A validated entry from what a moderator (or the catalog file) gave."""
    clean_name = _text(name, "The project name", NAME_MAX, required=True)
    assert clean_name is not None
    if len(compact(clean_name)) < 2:
        raise InvalidInput("A project name needs at least two letters or digits.")
    return CatalogEntry(
        key=slugify(key or clean_name),
        name=clean_name,
        backend_title=_text(backend_title, "The backend title", TITLE_MAX),
        frontend_title=_text(frontend_title, "The frontend title", TITLE_MAX),
        description=_text(description, "The description", DESCRIPTION_MAX) or "",
        aliases=split_aliases(aliases),
        custom=custom,
    )


def conflicts(entry: CatalogEntry, index: CatalogIndex) -> list[tuple[str, CatalogEntry]]:
    """Terms of `entry` that already lead to a different entry of the catalog."""
    found = []
    for term in entry.terms:
        other = index.exact(term)
        if other is not None and other.key != entry.key:
            found.append((term, other))
    return found


def parse_catalog(text: str) -> list[CatalogEntry]:
    """Entries from the YAML catalog file (`projects:` list); raise `InvalidInput` if malformed."""
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise InvalidInput(f"The catalog file is not valid YAML: {error}") from error
    raw_entries = document.get("projects") if isinstance(document, dict) else None
    if not isinstance(raw_entries, list):
        raise InvalidInput("The catalog file needs a `projects:` list.")
    entries: list[CatalogEntry] = []
    for raw in raw_entries:
        if not isinstance(raw, dict):
            raise InvalidInput("Each catalog project must be a mapping.")
        entry = make_entry(
            raw.get("name", ""),
            aliases=raw.get("aliases"),
            description=raw.get("description"),
            backend_title=raw.get("backend_title"),
            frontend_title=raw.get("frontend_title"),
            key=raw.get("key"),
        )
        clash = conflicts(entry, CatalogIndex(tuple(entries)))
        if clash or any(e.key == entry.key for e in entries):
            raise InvalidInput(f"Catalog project `{entry.key}` repeats another project's name.")
        entries.append(entry)
    return entries


def code(text: str, limit: int = 80) -> str:
    """`text` as inline code: shown verbatim, so markdown and mentions in it stay inert."""
    cleaned = " ".join(text.split()).replace("`", "ˋ")[:limit]
    return f"`{cleaned}`" if cleaned else "` `"


def describe(entries: Sequence[CatalogEntry]) -> str:
    """Entries as "`A` / `A2`, `B` or `C`", for "did you mean" lines."""
    names = [" / ".join(code(title) for title in entry.titles) for entry in entries]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]
