"""A generic ranker over items that each have several phrasings (FAQ entries and their variants).

Each item is a bag of feature sets, one per variant, in any language (features come from
`nlu.concepts.features`: cross-lingual concepts, English lemmas, Chinese bigrams). A
feature weighs its kind times its BM25 IDF over items, so words every entry shares count
little and words no entry has (貓, grooming) count most. A query scores against an item:

    best variant = max over variants of Dice(query coverage, variant coverage)
    whole entry  = Dice(query coverage by all the item's features pooled,
                        coverage of the item's core: each feature weighted by the share
                        of the item's variants that contain it)
    score        = VARIANT_SHARE * best variant + (1 - VARIANT_SHARE) * whole entry

so a question is answered by its closest phrasing, and also by an item whose English and
Chinese variants together cover it. Scores lie in [0, 1]. A query word the item lacks
lowers the query coverage (貓牌, dog grooming prices), and leaving out what the item's
variants keep saying lowers the core coverage ("I lost my dog" vs the lost *licence*).
Sparse matrices keep a query around a millisecond for thousands of variants.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
from scipy import sparse

from nlu.commonness import unknown_word_factor
from nlu.concepts import feature_weight

#: Share of the item score that comes from its best single variant (the rest: the whole entry).
VARIANT_SHARE = 0.5
#: Query length normalisation: of a message's total feature weight, the first QUERY_BUDGET counts fully
#: and the rest OVER_BUDGET_SHARE of it, so a long message that describes a situation before asking is not
#: diluted below the threshold by its context (a question variant weighs about 10-25). None turns it off.
#: 0.2 in the first tuning round of 2026-12-05, 0.1 in the second (English dev: 7 more answered, no
#: near-miss more answered, no Chinese dev case changed).
QUERY_BUDGET: float | None = 20.0
OVER_BUDGET_SHARE = 0.1
#: A lexicon concept the bot's knowledge never mentions (swimming pool, cat, grooming) says the
#: question is about something else: it weighs this much more than an unknown loose word.
UNSEEN_CONCEPT_FACTOR = 1.5


@dataclass(frozen=True)
class Item:
    """Something to retrieve: an id, its group (knowledge base), its variants' feature sets."""

    id: str
    group: str
    variants: tuple[frozenset[str], ...]
    extra: frozenset[str] = frozenset()  # pooled only (titles): counts for coverage, never alone


@dataclass(frozen=True)
class Match:
    id: str
    group: str
    score: float


def idf(df: float, n: float) -> float:
    """BM25's IDF, kept positive."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class Ranker:
    """Ranks items for a query's feature set; built once per knowledge version, read by many threads."""

    def __init__(self, items: Sequence[Item], weight: Callable[[str], float] = feature_weight,
                 variant_share: float = VARIANT_SHARE, background: Sequence[Item] = (),
                 background_share: float = 0.0) -> None:
        self.items = list(items)
        self.variant_share = variant_share
        self._weight = weight
        vocabulary: dict[str, int] = {}
        variant_rows: list[list[int]] = []
        pool_rows: list[list[int]] = []
        core_rows: list[dict[int, float]] = []
        variant_item: list[int] = []
        for number, item in enumerate(self.items):
            pooled: set[int] = set()
            share: dict[int, float] = {}
            for variant in item.variants:
                columns = [vocabulary.setdefault(f, len(vocabulary)) for f in variant]
                variant_rows.append(columns)
                variant_item.append(number)
                pooled.update(columns)
                for column in columns:
                    share[column] = share.get(column, 0.0) + 1.0 / len(item.variants)
            pooled.update(vocabulary.setdefault(f, len(vocabulary)) for f in item.extra)
            pool_rows.append(sorted(pooled))
            core_rows.append(share)
        df = np.zeros(len(vocabulary))
        for columns in pool_rows:
            df[columns] += 1
        n: float = max(len(self.items), 1)
        if background and background_share > 0:
            # Items outside the ones ranked (other bots' knowledge) count as a share of an item each:
            # IDF over this collection, smoothed towards the whole one.
            for item in background:
                for feature in frozenset().union(*item.variants, item.extra):
                    known = vocabulary.get(feature)
                    if known is not None:
                        df[known] += background_share
            n = len(self.items) + background_share * len(background)
        self.vocabulary = vocabulary
        self.unseen_idf = idf(0, n)
        kinds = np.array([weight(f) for f in vocabulary]) if vocabulary else np.zeros(0)
        self.weights = kinds * np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        self.variant_matrix = _binary(variant_rows, len(vocabulary)).multiply(self.weights).tocsc()
        self.pool_matrix = _binary(pool_rows, len(vocabulary)).multiply(self.weights).tocsc()
        self.core_matrix = _weighted(core_rows, len(vocabulary)).multiply(self.weights).tocsc()
        self.core_totals = np.asarray(self.core_matrix.sum(axis=1)).ravel()
        self.variant_totals = np.asarray(self.variant_matrix.sum(axis=1)).ravel()
        self.variant_item = np.array(variant_item, dtype=np.int64)
        # Variants are stored item by item, so each item's variants are one contiguous run.
        counts = np.bincount(self.variant_item, minlength=len(self.items)) if variant_item else np.zeros(len(self.items), int)
        self.item_starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.has_variants = counts > 0
        self.groups = np.array([item.group for item in self.items], dtype=object)
        self._group_masks: dict = {}

    def __len__(self) -> int:
        return len(self.items)

    def query_weights(self, query: Iterable[str], groups: Iterable[str] | None = None) -> tuple[list[int], float]:
        """Feature columns the candidates have, and the query's total weight.

        A feature that no item of the asked groups has (e.g. "email" asked of the TSW bot)
        weighs as much as a word no item has at all: for this bot it is unknown. In a message
        longer than QUERY_BUDGET, an unknown everyday English word weighs less (`nlu.commonness`):
        a short question ("Which browser is fastest?") is weighed exactly as before.
        """
        present = self.group_features(groups) if groups is not None else None
        columns, known, unknown = [], 0.0, []
        for feature in query:
            column = self.vocabulary.get(feature)
            if column is None or (present is not None and not present[column]):
                unknown.append((feature, self._weight(feature) * self.unseen_idf
                                * (UNSEEN_CONCEPT_FACTOR if feature.startswith("c:") else 1.0)))
            else:
                columns.append(column)
                known += self.weights[column]
        total = known + sum(weight for _f, weight in unknown)
        if QUERY_BUDGET is not None and total > QUERY_BUDGET:
            total = known + sum(weight * unknown_word_factor(feature) for feature, weight in unknown)
        return columns, total

    def group_features(self, groups: Iterable[str]) -> np.ndarray:
        """Which features occur in the items of the given groups (cached per group list)."""
        key = ("features", frozenset(str(g) for g in groups))
        present = self._group_masks.get(key)
        if present is None:
            rows = np.flatnonzero(self.group_mask(key[1]))
            present = np.zeros(len(self.vocabulary), dtype=bool)
            if len(rows):
                present[self.pool_matrix.tocsr()[rows].indices] = True
            self._group_masks[key] = present
        return present

    def coverage(self, query: Iterable[str], groups: Iterable[str] | None = None) -> float:
        """The share of a query's weight that the items (of the given groups) know at all, in [0, 1]."""
        return self.weigh(query, groups)[0]

    def weigh(self, query: Iterable[str], groups: Iterable[str] | None = None) -> tuple[float, float]:
        """The query's coverage (see `coverage`) and its total weight, from one pass over its features."""
        columns, total = self.query_weights(query, groups)
        return (float(self.weights[columns].sum() / total) if total > 0 else 0.0), total

    def scores(self, query: Iterable[str], groups: Iterable[str] | None = None,
               without_variant: int | None = None) -> np.ndarray:
        """One score in [0, 1] per item, in item order (items outside `groups`, when given, score 0).

        `without_variant` (a variant's row number) leaves that variant out of the best-variant part:
        how an entry's own question scores when asked as if it were new (the per-topic calibration).
        """
        result = np.zeros(len(self.items))
        if not self.items:
            return result
        columns, total = self.query_weights(query, groups)
        if not columns or total <= 0:
            return result
        total = normalised_length(total)
        matched = _column_sums(self.variant_matrix, columns)
        query_cover = np.minimum(matched / total, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            variant_cover = np.where(self.variant_totals > 0, matched / self.variant_totals, 0.0)
            dice = np.where(matched > 0, 2 * query_cover * variant_cover / (query_cover + variant_cover), 0.0)
        if without_variant is not None:
            dice[without_variant] = 0.0
        best = np.zeros(len(self.items))
        if len(dice):
            best[self.has_variants] = np.maximum.reduceat(dice, self.item_starts[self.has_variants])
        pooled = np.minimum(_column_sums(self.pool_matrix, columns) / total, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            core = np.where(self.core_totals > 0,
                            _column_sums(self.core_matrix, columns) / self.core_totals, 0.0)
            whole = np.where(pooled > 0, 2 * pooled * core / (pooled + core), 0.0)
        scores = self.variant_share * best + (1.0 - self.variant_share) * whole
        return scores if groups is None else np.where(self.group_mask(groups), scores, 0.0)

    def group_mask(self, groups: Iterable[str]) -> np.ndarray:
        """Which items belong to the given groups (cached: a bot asks with the same list every time)."""
        key = frozenset(str(g) for g in groups)  # YAML reads a kb named 1823 as a number
        mask = self._group_masks.get(key)
        if mask is None:
            mask = np.array([g in key for g in self.groups], dtype=bool)
            self._group_masks[key] = mask
        return mask

    def rank(self, query: Iterable[str], groups: Iterable[str] | None = None, top: int = 5) -> list[Match]:
        """The best `top` items (of the given groups only, when given), best first; zero scores left out."""
        return self.top_matches(self.scores(query, groups), top)

    def top_matches(self, scores: np.ndarray, top: int = 5) -> list[Match]:
        """The best `top` items of a score array in item order, best first; zero scores left out; scores shown at most 1."""
        if top >= len(scores):
            order = np.argsort(-scores, kind="stable")
        else:
            candidates = np.argpartition(-scores, top)[:top]
            order = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [Match(self.items[i].id, self.items[i].group, float(round(min(scores[i], 1.0), 4)))
                for i in order[:top] if scores[i] > 0]


def normalised_length(total: float) -> float:
    """A message's total feature weight with what exceeds QUERY_BUDGET counted at OVER_BUDGET_SHARE."""
    if QUERY_BUDGET is None or total <= QUERY_BUDGET:
        return total
    return QUERY_BUDGET + (total - QUERY_BUDGET) * OVER_BUDGET_SHARE


def _column_sums(matrix: sparse.csc_matrix, columns: list[int]) -> np.ndarray:
    """Row sums over a few columns of a CSC matrix: its postings added with one bincount."""
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    if len(columns) == 1:
        start, end = indptr[columns[0]], indptr[columns[0] + 1]
        return np.bincount(indices[start:end], weights=data[start:end], minlength=matrix.shape[0])
    rows = np.concatenate([indices[indptr[c]:indptr[c + 1]] for c in columns])
    weights = np.concatenate([data[indptr[c]:indptr[c + 1]] for c in columns])
    return np.bincount(rows, weights=weights, minlength=matrix.shape[0])


def _weighted(rows: list[dict[int, float]], width: int) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((c for r in rows for c in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.fromiter((v for r in rows for v in r.values()), dtype=float, count=int(indptr[-1]))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), width))


def _binary(rows: list[list[int]], width: int) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((c for r in rows for c in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), width))

