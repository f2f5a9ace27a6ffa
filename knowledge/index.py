"""The retrieval index of a knowledge snapshot: ranks entries of given knowledge bases for a message.

One `Ranker` over every entry of the snapshot (IDF over all of them), filtered to the
bot's knowledge bases at query time, so an entry scores the same in every bot that
answers from it (dog_licence.fee in the dog_licence bot and in the 1823 bot). Its lexicon
is the general one plus every knowledge base's vocabulary. Knowledge bases the lexical
ranker is unsure of (found by leave-one-out when the index is built) also get a dense
signal (`nlu.semantic`) and a calibrated threshold; see docs/new-knowledge.md.
Built in memory per knowledge version: a knowledge change never needs `rasa train`.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from knowledge.schema import Entry, Vocabulary
from nlu.concepts import ConceptLexicon, extended_lexicon, features, features_of_view, matching_view, views_of
from nlu.elsewhere import elsewhere_lexicon, names_in, outside_government, related
from nlu.english import dictionary as english_dictionary
from nlu.language_id import is_english
from nlu.normalise import normalise
from nlu.retrieval import Item, Match, Ranker
from nlu.sanitise import sanitise, without_markup
from nlu.script import to_traditional
from nlu.semantic import Encoder, encoder
from nlu.spelling import SpellingFixer
from nlu.types import Analysis

logger = logging.getLogger(__name__)

#: Lowest score that answers with a topic; chosen from data (see docs/knowledge.md, `tune_threshold`).
DEFAULT_THRESHOLD = 0.55
#: Dense fusion: an entry's score = lexical + gate * (DENSE_WEIGHT * max(0, question cosine - DENSE_FLOOR)
#: + ANSWER_WEIGHT * max(0, answer cosine - ANSWER_FLOOR)). The question cosine is the message's best e5
#: similarity to the entry's variants and titles; the answer cosine, to its title + answer (e5's
#: question-to-passage recipe), in English and Chinese. gate = min(1, coverage / FULL_COVERAGE), coverage
#: being the share of the message's words the bot's knowledge knows at all: a question about something
#: no entry mentions (貓牌, grooming) gets little of the boost. e5 cosines of unrelated texts sit around
#: 0.80-0.86, so only what is above the floors counts. Chosen on the dev files of 2026-12-04 (docs/new-knowledge.md).
DENSE_WEIGHT = 6.0
DENSE_FLOOR = 0.88
ANSWER_WEIGHT = 6.0
ANSWER_FLOOR = 0.86
FULL_COVERAGE = 0.6
#: The dense signal serves the knowledge bases the lexical one is unsure of: those whose own questions,
#: each asked as if new (leave-one-out), score under SPARSE_LEXICAL at their 25th percentile. A knowledge
#: base written with many variants and its own vocabulary (the seed ones: 0.69-0.79) is answered
#: lexically, as tuned; one written as an operator writes a new department (6-8 variants: 0.40-0.53)
#: gets the fused score. Its own threshold is TOPIC_THRESHOLD_SHARE x the 25th percentile of its fused
#: leave-one-out scores (kept between LOWEST_THRESHOLD and DEFAULT_THRESHOLD), and its scores are
#: scaled so that this threshold reads as DEFAULT_THRESHOLD: one threshold, comparable scores across
#: the knowledge bases of a bot. A knowledge base whose own questions score high (an operator gave it a
#: vocabulary) gets a threshold above DEFAULT_THRESHOLD, up to HIGHEST_THRESHOLD: its near-misses score
#: high too (dev files of 2026-12-04: capping it at the default refused 78% of them, this 88%).
#: Between SPARSE_LEXICAL and DENSE_NONE_FROM the dense signal's weight falls linearly from 1 to 0, and the knowledge
#: base's own threshold moves towards DEFAULT_THRESHOLD with it, so an operator's new word never flips a whole department off it (one general word, 收入 = 入息, moved the housing
#: knowledge from 0.597 to 0.606: 15 of its dev questions were lost with a switch, none with the ramp).
SPARSE_LEXICAL = 0.60
DENSE_NONE_FROM = 0.66
TOPIC_THRESHOLD_SHARE = 0.7
LOWEST_THRESHOLD = 0.30
HIGHEST_THRESHOLD = 0.65
#: A bot that answers some of the knowledge bases (the dog licence bot) weighs words (IDF) over its own
#: entries, with the other entries counting this much each: departments added for another bot barely
#: change which of its words are rare (1.0 = one IDF over everything; 0 = per bot, too few entries).
SCOPE_BACKGROUND = 0.5
#: English questions score lower than Chinese ones against the same entry (English word forms vary
#: more than Chinese bigrams do): on the leave-one-out of 2026-12-05 a dense-served knowledge base's
#: English questions scored 0.63-0.87 at their 25th percentile, its Chinese ones 0.96-1.17 (scaled).
#: A message in English is judged against a threshold ENGLISH_SHARE of the way from the knowledge base's
#: threshold down to the same rule applied to its English questions only (TOPIC_THRESHOLD_SHARE x their
#: 25th percentile), when that is lower; Chinese messages keep the threshold they had. Chosen on the dev
#: files of 2026-12-05 (docs/new-knowledge.md): 1.0 answered 6 more English dev questions of 485 and
#: refused 3 fewer of their 86 near-misses. None turns it off.
ENGLISH_SHARE: float | None = 0.75
#: A long message (its features weigh at least LONG_MESSAGE: a situation described before the question)
#: dilutes the lexical score even after `nlu.retrieval.QUERY_BUDGET`; the dense signal, which reads the
#: whole sentence, counts LONG_DENSE_FACTOR times as much for it. Chosen on the dev files of 2026-12-05
#: (docs/new-knowledge.md): 1.5 in the first round; 2.0 in the second, on 485 English dev questions, with
#: the English thresholds and OVER_BUDGET_SHARE 0.1 (8 more answered, no near-miss more answered). None turns it off.
LONG_MESSAGE: float | None = 30.0
LONG_DENSE_FACTOR = 2.0
#: The message is not embedded when the lexical top is this sure and this far ahead of the next.
#: The largest dense boost an entry can get (both cosines at 1): bounds what embedding a message can change.
DENSE_REACH = DENSE_WEIGHT * (1.0 - DENSE_FLOOR) + ANSWER_WEIGHT * (1.0 - ANSWER_FLOOR)
SURE_LEXICAL = 0.85
SURE_MARGIN = 0.25
#: Alternatives within this much of the top score are reported as `ambiguous`.
AMBIGUITY_MARGIN = 0.05
#: A confident dense signal answers a little under the threshold: a top entry scoring within RESCUE_GAP
#: under it is answered when the message's question cosine to it is at least RESCUE_QUESTION and
#: RESCUE_QUESTION_LEAD ahead of every other entry of the bot, or its answer cosine at least
#: RESCUE_ANSWER and RESCUE_ANSWER_LEAD ahead. Out-of-scope near-misses reach such cosines (0.90-0.92)
#: but not with such a lead. Chosen on the dev files of 2026-12-05, third round (docs/new-knowledge.md):
#: 14 more of 1508 answerable dev questions answered, none of 307 out-of-scope ones more. None turns it off.
RESCUE_GAP: float | None = 0.10
RESCUE_QUESTION = 0.92
RESCUE_QUESTION_LEAD = 0.03
RESCUE_ANSWER = 0.88
RESCUE_ANSWER_LEAD = 0.02
#: Two answering entries within RERANK_MARGIN of each other swap when both cosines prefer the runner-up
#: (dev files of 2026-12-05, third round, docs/new-knowledge.md: 6 dev questions mended, 1 broken). None turns it off.
RERANK_MARGIN: float | None = 0.02
#: Further down, an entry of the top's knowledge base within WIDE_RERANK_MARGIN of it takes its place when its question cosine leads
#: the top's by WIDE_RERANK_QUESTION_LEAD and its answer cosine is no lower: the lexical signal weighs the words
#: two close topics share ("1823", "complain", "AFCD") as much as the one that tells them apart, which the
#: sentence reads ("moved house, tell AFCD my new address": who needs a licence -> change of details). Below
#: the threshold it orders what FaqRetriever's confirmed band may answer. Chosen on the dev files of 2026-12-05,
#: ninth session (docs/new-knowledge.md): 5 of 3,231 dev questions mended, none broken. None turns it off.
WIDE_RERANK_MARGIN: float | None = 0.15
WIDE_RERANK_QUESTION_LEAD = 0.03
#: ... only for a top at most this far under the threshold (FaqRetriever's confirmed band starts 0.10 under
#: it): further down the order changes no answer, and the message is not embedded for it.
WIDE_RERANK_BELOW = 0.10
#: Across knowledge bases, an answering top of a dense-served knowledge base gives way to an entry of a knowledge
#: base the lexical ranker serves alone (the seed ones) up to CROSS_RERANK_MARGIN behind it, when that entry's
#: question cosine leads the top's by CROSS_RERANK_QUESTION_LEAD and its answer cosine is no lower. The two scores
#: are not alike: one is scaled to its knowledge base's threshold and lifted by the cosines, the other is words
#: alone, so one shared word ("complaint", "address") lets a department's topic outscore the seed topic the sentence
#: is about ("本人擬就某項政府服務作出投訴，1823是否受理？": building works vs 1823's complaints). Only for a top that
#: answers (below the threshold it is FaqRetriever's confirmed band, where a swap changed refusals into answers), and
#: only an entry its own words nearly answer (at most CROSS_RERANK_BELOW under the threshold): the cosines alone took
#: "早晨，1823，點樣交水費" (good morning, how do I pay the water bill) to 1823's hours.
#: Chosen on the dev files of 2026-12-06, tenth session (docs/new-knowledge.md). None turns it off.
CROSS_RERANK_MARGIN: float | None = 0.3
CROSS_RERANK_QUESTION_LEAD = 0.02
CROSS_RERANK_BELOW = 0.10
#: A message that names a place or organisation outside Hong Kong's government services (nlu/data/elsewhere.txt:
#: Shenzhen, Macau, Towngas, CLP, a bank) is usually about that place's or company's own service: every entry
#: whose own texts (questions, titles, answers) never mention the name, nor a place around or inside it, has its
#: score multiplied by ELSEWHERE_FACTOR. An entry that mentions it (the Guangdong scheme, paying rates at a bank)
#: keeps its score. A long message names places and companies in passing ("I work at a bank", "my mum lived in
#: Macau"): the factor applies fully up to ELSEWHERE_FULL (the message's total feature weight) and fades to
#: nothing at ELSEWHERE_NONE. A name right after "from" (由, 從) never counts (where the citizen came from), nor a
#: means of payment in a message about paying (`nlu.elsewhere.names_in`). Chosen on the dev files of 2026-12-05,
#: sixth session (docs/new-knowledge.md): near-misses refused 390 -> 437 of 474, questions answered 1508 -> 1504 of 1670 (0.5 refused 11 more near-misses and lost 7 more answers;
#: without the fade, more answers were lost). 0.5 since the fifteenth session (2026-12-06): on all dev files (4,468)
#: eight more near-misses refused ("請問澳門的塑膠袋收費是多少？", "上海的产假有多少天？", a lost Octopus card) and one answer
#: lost, kept once past homes ("之前喺澳門住過") and paying at a post office were read as incidental. None turns it off.
ELSEWHERE_FACTOR: float | None = 0.5
ELSEWHERE_FULL = 15.0
ELSEWHERE_NONE = 35.0
#: How many matches the parse data carries.
TOP_MATCHES = 5
#: A message's cosines to every entry: to its question variants and titles, and to its answers.
Cosines = tuple[np.ndarray, np.ndarray]


def lexicon_for(vocabularies: dict[str, Vocabulary] | None) -> ConceptLexicon:
    """The general lexicon plus the knowledge bases' vocabularies, merged in knowledge base order."""
    vocabularies = vocabularies or {}
    return extended_lexicon(row for kb in sorted(vocabularies) for row in vocabularies[kb].rows())


def dense_weight(lexical_p25: float | None) -> float:
    """How much the dense signal serves a knowledge base whose own questions score `lexical_p25` at their 25th
    percentile (leave-one-out; None: none scored): 1 under SPARSE_LEXICAL, 0 from DENSE_NONE_FROM, linear between."""
    if lexical_p25 is None or lexical_p25 < SPARSE_LEXICAL:
        return 1.0
    return max(0.0, min(1.0, (DENSE_NONE_FROM - lexical_p25) / (DENSE_NONE_FROM - SPARSE_LEXICAL)))


def entry_item(entry: Entry, views: dict[str, str] | None = None, lexicon: ConceptLexicon | None = None) -> Item:
    """An entry as a rankable item: each question variant (any language) and the titles."""
    views = views if views is not None else entry_views([entry])
    variants = tuple(features_of_view(views[text], lexicon) for _lang, text in entry.variants())
    extra = frozenset().union(*(features_of_view(views[t], lexicon) for t in entry.title.values()))
    return Item(entry.id, entry.kb, variants, extra)


def entry_views(entries: Sequence[Entry]) -> dict[str, str]:
    """The matching view of every question and title of the entries, normalised in one batch."""
    texts = list(dict.fromkeys(t for e in entries for t in [*(v for _l, v in e.variants()), *e.title.values()]))
    return dict(zip(texts, views_of(texts)))


def query_features(message: Analysis | str, lexicon: ConceptLexicon | None = None) -> frozenset[str]:
    """The features of a message: from its Analysis's normalised view, or from raw text."""
    normalised = message.normalised if isinstance(message, Analysis) else normalise(message)
    return features(normalised, lexicon)


@dataclass(frozen=True)
class FaqResult:
    """What FaqRetriever puts in the parse data under `faq` (the briefing's contract)."""

    matches: tuple[Match, ...]
    threshold: float
    top: str | None
    ambiguous: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "matches": [{"id": m.id, "kb": m.group, "score": m.score} for m in self.matches],
            "threshold": self.threshold,
            "top": self.top,
            "ambiguous": list(self.ambiguous),
        }


class KnowledgeIndex:
    """Ranks the entries of one knowledge snapshot."""

    #: Decide without embedding the message when the dense signal cannot change the decision (off: the
    #: plain path, which embeds every message the lexical signal is not sure of; tests compare the two).
    skip_needless_embedding: bool = True

    def __init__(self, entries: Sequence[Entry], version: int = 0,
                 vocabularies: dict[str, Vocabulary] | None = None, dense: Encoder | None | bool = True,
                 persist: bool = True) -> None:
        #: Whether new knowledge vectors may go to the disk cache (not for a draft being checked).
        self._persist = persist
        self.version = version
        self.entries = {e.id: e for e in entries}
        self.vocabularies = dict(vocabularies or {})
        #: The general lexicon plus every knowledge base's own vocabulary.
        self.lexicon = lexicon_for(self.vocabularies)
        views = entry_views(entries)
        self.ranker = Ranker([entry_item(e, views, self.lexicon) for e in entries])
        #: Rankers over the entries of a bot's knowledge bases only (see `_scoped_scores`), built when first asked.
        self._scoped_rankers: dict[frozenset[str], tuple[Ranker, np.ndarray]] = {}
        self._scoped_lock = threading.Lock()
        self._position = {item.id: number for number, item in enumerate(self.ranker.items)}
        #: English typos mended against the words of the knowledge (questions, titles, English answers) and lexicon.
        answers = views_of([e.answer.get("en", "") for e in entries])
        self.speller = SpellingFixer((word for text in [*views.values(), *answers, *self.lexicon.surfaces]
                                      for word in text.split()), english_dictionary())
        #: Per name of another place or provider (ELSEWHERE_FACTOR): which entries' own texts mention it.
        self._mentions = self._elsewhere_mentions(entries, views, answers) if ELSEWHERE_FACTOR is not None else {}
        self.encoder: Encoder | None = encoder() if dense is True else (dense or None)
        self._dense_rows, self._dense_starts = self._dense_matrix(entries) if self.encoder else (None, None)
        self._answer_rows, self._answer_starts = self._answer_matrix() if self._dense_rows is not None else (None, None)
        #: Per knowledge base the dense signal serves (see SPARSE_LEXICAL): its own threshold, before scaling.
        self.kb_thresholds: dict[str, float] = {}
        self._on = np.zeros(len(self.ranker.items))  # 1 for the entries of those knowledge bases
        self._scale = np.ones(len(self.ranker.items))  # DEFAULT_THRESHOLD / their threshold
        #: Per dense-served knowledge base, the threshold for a message in English (see ENGLISH_SHARE).
        self.kb_thresholds_en: dict[str, float] = {}
        self._scale_en = self._scale  # DEFAULT_THRESHOLD / that threshold
        if self._dense_rows is not None:
            self._calibrate()

    @property
    def threshold(self) -> float:
        """The lowest score that answers (scores of dense-served knowledge bases are scaled to it)."""
        return DEFAULT_THRESHOLD

    def _leave_one_out(self, fused: bool, language: str | None = None) -> dict[str, list[float]]:
        """Per knowledge base, the scores of its own questions (of one language, if given) that find their entry when asked as if new."""
        right: dict[str, list[float]] = {}
        row = 0
        ranker, rows, starts = self.ranker, self._dense_rows, self._dense_starts
        if fused and (rows is None or starts is None):
            raise ValueError("a fused leave-one-out needs the knowledge's vectors")
        for number, item in enumerate(ranker.items):
            groups = [item.group]
            languages = [lang for lang, _text in self.entries[item.id].variants()]
            for position, variant in enumerate(item.variants):
                if language is not None and languages[position] != language:
                    row += 1
                    continue
                scores = ranker.scores(variant, groups, without_variant=row)
                if fused and rows is not None and starts is not None:
                    own = starts[number] + position
                    gate = min(1.0, ranker.coverage(variant, groups) / FULL_COVERAGE)
                    scores = self._fuse(scores, *self._dense(rows[own], without_row=own), gate, groups)
                if int(np.argmax(scores)) == number:
                    right.setdefault(item.group, []).append(float(scores[number]))
                row += 1
        return right

    def _calibrate(self) -> None:
        """Choose the knowledge bases the dense signal serves, and their thresholds (leave-one-out)."""
        lexical = self._leave_one_out(fused=False)
        kbs = {item.group for item in self.ranker.items}
        weights = {kb: dense_weight(float(np.percentile(lexical[kb], 25)) if kb in lexical else None) for kb in kbs}
        sparse = {kb for kb, weight in weights.items() if weight > 0.0}
        if not sparse:
            return
        self._on = np.array([weights[item.group] for item in self.ranker.items])
        fused = self._leave_one_out(fused=True)
        calibrated = {
            kb: min(HIGHEST_THRESHOLD, max(LOWEST_THRESHOLD, TOPIC_THRESHOLD_SHARE * float(np.percentile(fused[kb], 25))))
            if fused.get(kb) else DEFAULT_THRESHOLD for kb in sparse}
        # Its own threshold counts as much as the dense signal serves it: no step at DENSE_NONE_FROM either.
        self.kb_thresholds = {kb: DEFAULT_THRESHOLD + weights[kb] * (calibrated[kb] - DEFAULT_THRESHOLD) for kb in sparse}
        self._scale = np.array([DEFAULT_THRESHOLD / self.kb_thresholds.get(item.group, DEFAULT_THRESHOLD)
                                for item in self.ranker.items])
        self._scale_en = self._scale
        if ENGLISH_SHARE is not None:
            english = self._leave_one_out(fused=True, language="en")
            own = {kb: max(LOWEST_THRESHOLD, TOPIC_THRESHOLD_SHARE * float(np.percentile(english[kb], 25)))
                   for kb in sparse if english.get(kb)}
            self.kb_thresholds_en = {kb: float(self.kb_thresholds[kb] - ENGLISH_SHARE * max(0.0, self.kb_thresholds[kb] - own.get(kb, self.kb_thresholds[kb])))
                                     for kb in sparse}
            logger.info("English thresholds %s", ", ".join(f"{kb} {t:.2f}" for kb, t in sorted(self.kb_thresholds_en.items())))
            self._scale_en = np.array([DEFAULT_THRESHOLD / self.kb_thresholds_en.get(item.group, DEFAULT_THRESHOLD)
                                       for item in self.ranker.items])
        logger.info("Dense signal serves %s (thresholds %s)", ", ".join(sorted(sparse)),
                    ", ".join(f"{kb} {t:.2f}" for kb, t in sorted(self.kb_thresholds.items())))

    def _fuse(self, lexical: np.ndarray, questions: np.ndarray, answers: np.ndarray, gate: float,
              groups: Iterable[str] | None, scale: np.ndarray | None = None) -> np.ndarray:
        boost = (DENSE_WEIGHT * np.maximum(0.0, questions - DENSE_FLOOR)
                 + ANSWER_WEIGHT * np.maximum(0.0, answers - ANSWER_FLOOR))
        fused = np.where(lexical > 0, lexical + self._on * gate * boost, 0.0) * (self._scale if scale is None else scale)
        return fused if groups is None else np.where(self.ranker.group_mask(groups), fused, 0.0)

    def _dense_matrix(self, entries: Sequence[Entry]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Unit vectors of every entry's variants and titles, entry by entry (one contiguous run each)."""
        if self.encoder is None:
            return None, None
        encoder = self.encoder
        texts: list[str] = []
        starts: list[int] = []
        for entry in self.ranker.items:
            data = self.entries[entry.id]
            starts.append(len(texts))
            texts.extend(t for _lang, t in data.variants())
            texts.extend(data.title.values())
        if not texts:
            return None, None
        try:
            return encoder.embed_many(texts, persist=self._persist), np.array(starts, dtype=np.int64)
        except Exception:  # the lexical signal alone still answers
            logger.exception("Embedding the knowledge failed; FAQ retrieval uses its lexical signal only")
            self.encoder = None
            return None, None

    def _answer_matrix(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Unit passage vectors of every entry's title + answer (without its source line), English then Chinese."""
        if self.encoder is None:
            return None, None
        encoder = self.encoder
        texts: list[str] = []
        starts: list[int] = []
        for item in self.ranker.items:
            entry = self.entries[item.id]
            starts.append(len(texts))
            for language in ("en", "zh-Hant"):
                answer = entry.answer.get(language, "").replace(entry.source, "")
                answer = answer.rstrip().removesuffix("Source:").removesuffix("資料來源：").strip()
                texts.append(f"{entry.title.get(language, '')}. {answer}")
        try:
            return encoder.embed_many(texts, passages=True, persist=self._persist), np.array(starts, dtype=np.int64)
        except Exception:
            logger.exception("Embedding the answers failed; the dense signal uses the questions only")
            return None, None

    def _dense(self, vector: np.ndarray, without_row: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: the best question cosine and the best answer cosine of a message's vector."""
        rows, starts = self._dense_rows, self._dense_starts
        if rows is None or starts is None:
            raise ValueError("the dense signal is off for this index")
        cosines = rows @ vector
        if without_row is not None:
            cosines[without_row] = -1.0
        questions = np.maximum.reduceat(cosines, starts)
        if self._answer_rows is None or self._answer_starts is None:
            return questions, np.full(len(questions), -1.0)
        return questions, np.maximum.reduceat(self._answer_rows @ vector, self._answer_starts)

    def _elsewhere_mentions(self, entries: Sequence[Entry], views: dict[str, str],
                            answers: list[str]) -> dict[str, np.ndarray]:
        """Per name of another place or provider, a mask of the entries whose texts mention it."""
        lex = elsewhere_lexicon()
        if lex is None:
            return {}
        answers_en = dict(zip((e.id for e in entries), answers))
        answers_zh = dict(zip((e.id for e in entries), views_of([e.answer.get("zh-Hant", "") for e in entries])))
        mentions: dict[str, np.ndarray] = {}
        for number, item in enumerate(self.ranker.items):
            entry = self.entries[item.id]
            texts = [views[t] for _lang, t in entry.variants()] + [views[t] for t in entry.title.values()]
            for name in names_in(" | ".join([*texts, answers_en[item.id], answers_zh[item.id]]), lex):
                mentions.setdefault(name, np.zeros(len(self.ranker.items), dtype=bool))[number] = True
        return mentions

    def _elsewhere(self, view: str, features: frozenset[str], knowledge_bases: Iterable[str] | None) -> np.ndarray | None:
        """Per entry, the factor for the other places or providers a message (its view and features) names (None: none)."""
        if ELSEWHERE_FACTOR is None:
            return None
        names = names_in(view, incidental=False)
        if not names:
            return None
        weight = self.ranker.weigh(features, knowledge_bases)[1]
        fade = min(1.0, max(0.0, (weight - ELSEWHERE_FULL) / (ELSEWHERE_NONE - ELSEWHERE_FULL)))
        factor = ELSEWHERE_FACTOR + (1.0 - ELSEWHERE_FACTOR) * fade
        if factor >= 1.0:
            return None
        unmentioned = np.zeros(len(self.ranker.items), dtype=bool)
        nowhere = np.zeros(len(self.ranker.items), dtype=bool)
        for name in names:
            mentioned = nowhere.copy()
            for other in related(name):
                mentioned |= self._mentions.get(other, nowhere)
            unmentioned |= ~mentioned
        return np.where(unmentioned, factor, 1.0)

    def _view(self, message: Analysis | str) -> str:
        """A message's matching view, its English typos mended."""
        normalised = message.normalised if isinstance(message, Analysis) else normalise(message)
        return self.speller.text(matching_view(normalised))

    def names_elsewhere(self, message: Analysis | str) -> frozenset[str]:
        """The places and companies outside Hong Kong's government a message asks about (nlu.elsewhere: not where the
        citizen came from, nor a means of payment, nor a public body no knowledge base covers yet)."""
        return outside_government(names_in(self._view(message), incidental=False))

    def features(self, message: Analysis | str) -> frozenset[str]:
        """A message's retrieval features under this knowledge's lexicon, its English typos mended first."""
        return features_of_view(self._view(message), self.lexicon)

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, message: Analysis | str, knowledge_bases: Iterable[str] | None = None,
               top: int = TOP_MATCHES, threshold: float | None = None) -> list[Match]:
        """The best entries for a message, best first (only those of the given knowledge bases); scores shown at most 1."""
        scores = self.scores(message, knowledge_bases, self.threshold if threshold is None else threshold)
        return self.ranker.top_matches(scores, top)

    def scores(self, message: Analysis | str, knowledge_bases: Iterable[str] | None = None,
               threshold: float | None = None, margin: float = AMBIGUITY_MARGIN) -> np.ndarray:
        """One fused score per entry: lexical, plus the dense signal where it can change the decision.

        The message is embedded (the costly step: 3-10 ms on one core) only when the dense signal could
        change the result (`_dense_cannot_change`): skipping it never changes the top, refusal, ties or top score.
        """
        return self._scored(message, knowledge_bases, threshold, margin)[0]

    def _scored(self, message: Analysis | str, knowledge_bases: Iterable[str] | None, threshold: float | None,
                margin: float, skip: bool = True, features: frozenset[str] | None = None) -> tuple[np.ndarray, Cosines | None]:
        """`scores`, with the message's cosines when it was embedded (so `decide` never embeds it twice).

        `skip=False` embeds whenever the dense signal serves the bot: the shortcuts below assume the
        scores are compared as they are, not after a per-entry factor (ELSEWHERE_FACTOR). `features`: the
        message's, when the caller has them already (`decide`)."""
        features = self.features(message) if features is None else features
        if knowledge_bases is not None and not self.kb_thresholds.keys() & {str(kb) for kb in knowledge_bases}:
            return self._scoped_scores(features, knowledge_bases), None  # the lexical signal alone serves this bot
        lexical = self.ranker.scores(features, knowledge_bases)
        if self._dense_rows is None or not self.kb_thresholds or not len(lexical):
            return lexical, None
        threshold = self.threshold if threshold is None else threshold
        original = _original(message)
        scale = self._scale_en if is_english(original) else self._scale
        scaled = lexical * scale
        best = float(scaled.max())
        coverage, weight = self.ranker.weigh(features, knowledge_bases)
        gate = min(1.0, coverage / FULL_COVERAGE)
        if LONG_MESSAGE is not None and weight >= LONG_MESSAGE:
            gate *= LONG_DENSE_FACTOR
        if best + DENSE_REACH * gate * float(scale.max()) < threshold:
            return scaled, None  # nothing can reach the threshold: no need to embed
        if skip and best >= SURE_LEXICAL and best - float(np.partition(scaled, -2)[-2] if len(scaled) > 1 else 0.0) >= SURE_MARGIN:
            return scaled, None
        if skip and self.skip_needless_embedding and self._dense_cannot_change(lexical, scaled, best, gate, threshold, margin, scale):
            return scaled, None
        cosines = self._cosines(original)
        if cosines is None:
            return scaled, None
        return self._fuse(lexical, *cosines, gate, knowledge_bases, scale), cosines

    def _cosines(self, original: str) -> Cosines | None:
        """The message's cosines to every entry's questions and answers, or None when embedding fails."""
        # The knowledge is written in Hong Kong Traditional: a Simplified question is embedded in that script.
        if self.encoder is None:
            return None
        try:
            vector = self.encoder.embed(to_traditional(original))
        except Exception:
            logger.exception("Embedding a message failed; answering from the lexical signal")
            return None
        return self._dense(vector)

    def _dense_cannot_change(self, lexical: np.ndarray, scaled: np.ndarray, best: float, gate: float,
                             threshold: float, margin: float, scale: np.ndarray | None = None) -> bool:
        """Whether no dense similarity at all could change the result, so the message need not be embedded.

        Each entry's fused score lies between its scaled lexical score (the boost is never negative) and
        that plus the largest boost (both cosines at 1). The result is unchanged when the lexical top keeps
        its exact score (no boost can reach it: another knowledge base, or a message the knowledge does not
        cover at all), no other entry's bound comes within `margin` of it, and it answers either way or
        cannot reach the threshold either way. So the decision, the close alternatives, and the first
        match with its score (which FaqRetriever weighs against intents) are the same as after embedding.
        """
        scale = self._scale if scale is None else scale
        bounds = np.where(lexical > 0, (lexical + self._on * gate * DENSE_REACH) * scale, 0.0)
        if float(bounds.max()) <= 0.0:
            return True  # nothing matches at all, with or without the dense signal
        top = int(np.argmax(scaled))
        if self._on[top] * gate > 0.0 and lexical[top] > 0:
            return False  # the dense signal would change the top's own score
        if best < threshold <= float(bounds[top]):
            return False
        rivals = np.delete(bounds, top)
        return not len(rivals) or float(rivals.max()) < best - margin

    def _scoped_scores(self, features: frozenset[str], knowledge_bases: Iterable[str]) -> np.ndarray:
        """Lexical scores, word weights (IDF) taken mostly over the entries this bot answers, in item order."""
        key = frozenset(str(kb) for kb in knowledge_bases)
        scoped = self._scoped_rankers.get(key)
        if scoped is None:
            mask = self.ranker.group_mask(key)
            if mask.all() or not mask.any() or SCOPE_BACKGROUND >= 1.0:  # nothing to reweigh
                return self.ranker.scores(features, knowledge_bases)
            positions = np.flatnonzero(mask)
            with self._scoped_lock:
                scoped = self._scoped_rankers.get(key)
                if scoped is None:
                    others = [item for item, inside in zip(self.ranker.items, mask) if not inside]
                    scoped = (Ranker([self.ranker.items[i] for i in positions], background=others,
                                     background_share=SCOPE_BACKGROUND), positions)
                    self._scoped_rankers[key] = scoped
        ranker, positions = scoped
        result = np.zeros(len(self.ranker.items))
        result[positions] = ranker.scores(features)
        return result

    def decide(self, message: Analysis | str, knowledge_bases: Iterable[str] | None = None,
               threshold: float | None = None, margin: float = AMBIGUITY_MARGIN,
               top: int = TOP_MATCHES, dense_judge: bool = True) -> FaqResult:
        """Matches plus the decision: the top topic if it reaches the threshold, and close alternatives.

        `dense_judge=False` leaves out the cosines' own say (`_dense_judged`): for an entry's own question
        variant (the confusion check), whose vector is among its entry's, they would always side with it.
        """
        threshold = self.threshold if threshold is None else threshold
        view = self._view(message)  # normalised and spell-mended once: both signals read it
        features = features_of_view(view, self.lexicon)
        elsewhere = self._elsewhere(view, features, knowledge_bases)
        scores, cosines = self._scored(message, knowledge_bases, threshold, margin, skip=elsewhere is None, features=features)
        if dense_judge:
            scores = self._dense_judged(message, knowledge_bases, scores, threshold, cosines)
        if elsewhere is not None:
            scores = scores * elsewhere
        matches = tuple(self.ranker.top_matches(scores, top))
        if not matches or matches[0].score < threshold:
            return FaqResult(matches, threshold, None, ())
        # Closeness on the raw scores: fused ones may pass 1 and are shown clipped (1.42 vs 0.98 is no tie).
        best = scores[self._position[matches[0].id]]
        ambiguous = tuple(m.id for m in matches[1:] if scores[self._position[m.id]] >= best - margin)
        return FaqResult(matches, threshold, matches[0].id, ambiguous)

    def _wide_siblings(self, scores: np.ndarray, first: int, threshold: float) -> np.ndarray | None:
        """The other entries of the top's knowledge base within WIDE_RERANK_MARGIN of it, None when the wide re-rank cannot apply.

        One knowledge base only: across departments, near-misses' cosines are too alike to trust. Nor for a top more
        than WIDE_RERANK_BELOW under the threshold: there the order changes no answer, and the message need not be embedded."""
        best = float(scores[first])
        if WIDE_RERANK_MARGIN is None or best < threshold - WIDE_RERANK_BELOW:
            return None
        siblings = self.ranker.group_mask([self.ranker.items[first].group]) & (scores > 0) & (scores >= best - WIDE_RERANK_MARGIN)
        siblings[first] = False
        return siblings if siblings.any() else None

    def _cross_strangers(self, scores: np.ndarray, first: int, threshold: float) -> np.ndarray | None:
        """Entries of lexical-only knowledge bases within CROSS_RERANK_MARGIN of an answering top of a dense-served one, and
        at most CROSS_RERANK_BELOW under the threshold themselves; None when there are none."""
        best = float(scores[first])
        if CROSS_RERANK_MARGIN is None or best < threshold or self.ranker.items[first].group not in self.kb_thresholds:
            return None
        floor = max(best - CROSS_RERANK_MARGIN, threshold - CROSS_RERANK_BELOW)  # one its own words nearly answer
        strangers = ~self.ranker.group_mask(self.kb_thresholds) & (scores > 0) & (scores >= floor)
        return strangers if strangers.any() else None

    @staticmethod
    def _preferred(candidates: np.ndarray, first: int, questions: np.ndarray, answers: np.ndarray, lead: float) -> int | None:
        """The candidate the sentence clearly prefers to the top (question cosine `lead` ahead, answer no lower), if any."""
        preferred = candidates & (questions >= questions[first] + lead) & (answers >= answers[first])
        return int(np.argmax(np.where(preferred, questions + answers, -np.inf))) if preferred.any() else None

    def _dense_judged(self, message: Analysis | str, knowledge_bases: Iterable[str] | None,
                      scores: np.ndarray, threshold: float, cosines: Cosines | None = None) -> np.ndarray:
        """The scores after the dense cosines' own say: a confident top just under the threshold is lifted
        to it (RESCUE_*), and a close runner-up both cosines prefer swaps with the top (RERANK_MARGIN), as does a
        further one the sentence clearly prefers, of the top's knowledge base (WIDE_RERANK_*) or, for a top of a
        dense-served one, of a knowledge base the words serve alone (CROSS_RERANK_*).
        `cosines` are the message's, when `scores` already embedded it."""
        if self.encoder is None or self._dense_rows is None or len(scores) < 2:
            return scores
        order = np.argsort(-scores)
        first, second = int(order[0]), int(order[1])
        best, runner = float(scores[first]), float(scores[second])
        rescue = RESCUE_GAP is not None and threshold - RESCUE_GAP <= best < threshold
        rerank = RERANK_MARGIN is not None and best >= threshold and runner > 0 and best - runner <= RERANK_MARGIN
        siblings = self._wide_siblings(scores, first, threshold)
        strangers = self._cross_strangers(scores, first, threshold)
        if not (rescue or rerank or siblings is not None or strangers is not None):
            return scores
        cosines = cosines if cosines is not None else self._cosines(_original(message))
        if cosines is None:
            return scores
        questions, answers = cosines
        if knowledge_bases is not None:
            inside = self.ranker.group_mask(knowledge_bases)
            questions, answers = np.where(inside, questions, -1.0), np.where(inside, answers, -1.0)
        scores = scores.copy()
        if rerank and questions[second] > questions[first] and answers[second] > answers[first]:
            scores[first], scores[second] = runner, best
            return scores
        rival = None if siblings is None else self._preferred(siblings, first, questions, answers, WIDE_RERANK_QUESTION_LEAD)
        if rival is None and strangers is not None:
            rival = self._preferred(strangers, first, questions, answers, CROSS_RERANK_QUESTION_LEAD)
        if rival is not None:
            scores[first], scores[rival] = scores[rival], best
            return scores
        if not rescue:
            return scores
        question_lead = questions[first] - float(np.delete(questions, first).max())
        answer_lead = answers[first] - float(np.delete(answers, first).max())
        if ((questions[first] >= RESCUE_QUESTION and question_lead >= RESCUE_QUESTION_LEAD)
                or (answers[first] >= RESCUE_ANSWER and answer_lead >= RESCUE_ANSWER_LEAD)):
            scores[first] = threshold
        return scores


def _original(message: Analysis | str) -> str:
    """The citizen's words as typed (sanitised, HTML tags blanked): what is embedded and what tells English apart."""
    return without_markup(message.original if isinstance(message, Analysis) else sanitise(message).text)


_cache_lock = threading.Lock()
_cache: dict[str, KnowledgeIndex] = {}
_building: dict[str, threading.Event] = {}


def index_for(snapshot, previous: KnowledgeIndex | None = None) -> KnowledgeIndex:
    """The index of a store snapshot, built once per content fingerprint (the latest one is kept).

    The build (seconds, with embeddings) runs outside the lock: while one thread builds a new
    version's index (the store's watcher does, right after a change), a caller that gives the
    `previous` index of the same store keeps answering from it instead of waiting.
    """
    key = f"{snapshot.version}:{snapshot.fingerprint}"
    with _cache_lock:
        index = _cache.get(key)
        if index is not None:
            return index
        event = _building.get(key)
        builder = event is None
        if event is None:
            event = _building[key] = threading.Event()
    if not builder:
        if previous is not None:
            return previous
        event.wait(timeout=300)
        with _cache_lock:
            index = _cache.get(key)
        return index if index is not None else index_for(snapshot)
    try:
        index = KnowledgeIndex(list(snapshot.entries.values()), snapshot.version, getattr(snapshot, "vocabularies", None))
        with _cache_lock:
            _cache.clear()
            _cache[key] = index
        return index
    finally:
        with _cache_lock:
            _building.pop(key, None)
        event.set()
