"""Rasa's per-turn overheads, each replaced by code that gives Rasa's results with less work.

Each keeps Rasa's behaviour and error messages: work whose answer cannot change while the
process runs is done once, work on a conversation's history is continued instead of redone,
and checks that only repeat what the caller already guarantees are skipped. Every function
says what it replaces and why; `tests/bots/runtime/test_speedups.py` compares each with Rasa's
own code. `install()` is idempotent and must run before models are loaded (the graph runner
and the components' run functions are taken at load time).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.nlu.training_data.message import Message

from bots.runtime import action_wire, dialogue_states

_INSTALLED = "_hkbot_speedup"


class SequentialGraphRunner(DaskGraphRunner):
    """Runs a model's graph nodes one after another in an order worked out once per target list.

    Rasa's `DaskGraphRunner` rebuilds the minimal schema and a dask task graph, then has
    dask schedule it, three times a turn (NLU, then each action prediction): several
    milliseconds of bookkeeping for a chain of a dozen nodes that never runs in parallel
    (dask's synchronous scheduler). Same nodes, same inputs, same outputs, same errors.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[tuple, list] = {}

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = list(targets) if targets else self._graph_schema.target_names
        results: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(f"Input value '{value}' clashes with a node name. Make sure that none of the input names passed to the `run` method are the same as node names in the graph schema.")
            results[name] = (name, value)
        try:
            for name, needs in self._plan(tuple(run_targets)):
                # Like dask, a parent that is neither a node nor an input is passed as its name.
                results[name] = self._instantiated_nodes[name](*(results.get(parent, parent) for parent in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets if target in results)

    def _plan(self, targets: tuple) -> list:
        """The nodes the targets need, parents first, each with its parents' names in argument order."""
        if targets not in self._plans:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            ordered: list = []

            def visit(name: Text) -> None:
                if name in nodes and name not in ordered:
                    for parent in nodes[name].needs.values():
                        visit(parent)
                    ordered.append(name)

            for name in nodes:
                visit(name)
            self._plans[targets] = [(name, tuple(nodes[name].needs.values())) for name in ordered]
        return self._plans[targets]


def prepare_action_validation() -> None:
    """Validate action responses with one prepared jsonschema validator instead of Rasa's per-call one.

    Rasa's `RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks the
    events schema itself against the metaschema on every action: about 190 ms a turn here, two
    thirds of all the work. The response is still validated against the same schema, once per
    action, with the same error message.
    """
    from jsonschema import ValidationError, validators
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, _INSTALLED, False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += ". Failed to validate Action server response from API."
            raise
        return True

    setattr(validate, _INSTALLED, True)
    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]


def remember_event_types() -> None:
    """Look up an event class by its type name in a dict instead of walking every Event subclass.

    Rasa's `Event.resolve_by_type` rebuilds the list of all Event subclasses (with an
    `inspect.isabstract` check each) for every event it deserialises: reading a 40-event
    conversation back from the tracker store spent most of its time there. Names that are
    not found still go through Rasa's own lookup, so its defaults and errors are unchanged.
    """
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, _INSTALLED, False):
        return
    known: dict[str, type] = {}

    def resolve_by_type(type_name: str, default: Optional[type] = None) -> Optional[type]:
        found = known.get(type_name)
        if found is None:
            found = original(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    setattr(resolve_by_type, _INSTALLED, True)
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def sentence_row(message: Any) -> Optional[tuple]:
    """(columns, values) of a message's combined sparse sentence features for TEXT, as float64; None if it has dense ones."""
    import numpy as np
    from rasa.shared.nlu.constants import TEXT

    if message.get_dense_features(attribute=TEXT)[1] is not None:
        return None
    blocks = [f.features for f in message.features if f.attribute == TEXT and f.type == "sentence" and f.is_sparse()]
    if not blocks:
        return None
    columns, values, offset = [], [], 0
    for block in blocks:
        block = block.tocoo()
        columns.append(block.col + offset)
        values.append(block.data)
        offset += block.shape[1]
    return np.concatenate(columns), np.concatenate(values).astype(np.float64)


def intent_probabilities(classifier: Any, columns: Any, values: Any) -> Any:
    """sklearn's `LogisticRegression.predict_proba` for one sparse row, without re-validating the input.

    The same formulas (one-vs-rest with LibLinear's normalisation, or softmax), computed on
    the row's non-zero columns only; equal to sklearn's answer up to floating-point rounding.
    """
    import numpy as np
    from scipy.special import expit
    from sklearn.utils.extmath import softmax

    scores = (classifier.coef_[:, columns] @ values + classifier.intercept_).reshape(1, -1)
    ovr = classifier.multi_class in ("ovr", "warn") or (
        classifier.multi_class == "auto" and (classifier.classes_.size <= 2 or classifier.solver == "liblinear")
    )
    if ovr:
        expit(scores, out=scores)
        if scores.shape[1] == 1:
            return np.hstack([1 - scores, scores])[0]
        return (scores / scores.sum(axis=1).reshape((1, -1)))[0]
    if scores.shape[1] == 1:  # multinomial with two classes
        scores = np.hstack([-scores, scores])
    return softmax(scores, copy=False)[0]


def classify_intents_directly() -> None:
    """LogisticRegressionClassifier scores a message from its sparse features without building a matrix for sklearn.

    Rasa stacks the featurizers' blocks into a CSR matrix and calls `predict_proba`, whose
    input checks and sparse product cost ~1 ms for one row of a few dozen non-zeros. Here
    the scores are computed on those non-zeros with `intent_probabilities`; the ranking is
    built exactly as Rasa 3.6 builds it. Messages with dense features keep Rasa's code.
    """
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.utils.tensorflow.constants import RANKING_LENGTH

    original = LogisticRegressionClassifier.process
    if getattr(original, _INSTALLED, False):
        return

    # Annotated as Rasa's: training validates the graph's run functions by their type hints.
    def process(self, messages: List[Message]) -> List[Message]:  # type: ignore[no-untyped-def]
        rows = [sentence_row(message) for message in messages]
        if any(row is None for row in rows) or not hasattr(self.clf, "coef_"):
            return original(self, messages)
        for message, (columns, values) in zip(messages, rows):
            probabilities = intent_probabilities(self.clf, columns, values)
            # From here on Rasa 3.6's LogisticRegressionClassifier.process, verbatim.
            intents = self.clf.classes_
            intent_ranking = [{"name": k, "confidence": v} for k, v in zip(intents, probabilities)]
            sorted_ranking = sorted(intent_ranking, key=lambda e: -e["confidence"])
            intent = sorted_ranking[0]
            if self.config[RANKING_LENGTH] > 0:
                sorted_ranking = sorted_ranking[: self.config[RANKING_LENGTH]]
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", sorted_ranking, add_to_output=True)
        return messages

    setattr(process, _INSTALLED, True)
    process.rasa_original = original  # type: ignore[attr-defined]
    LogisticRegressionClassifier.process = process  # type: ignore[method-assign]


def coo_from_parts(data: Any, row: Any, col: Any, shape: tuple[int, int]) -> Any:
    """A `scipy.sparse.coo_matrix` from arrays already in the form its constructor would leave them.

    Callers pass int32 indices inside `shape` and native-endian data; the constructor's
    checks of exactly that cost ~0.1 ms per matrix, four matrices per message. The tests
    compare the result attribute by attribute with the constructor's.
    """
    import scipy.sparse
    from scipy.sparse._base import MAXPRINT

    matrix = scipy.sparse.coo_matrix.__new__(scipy.sparse.coo_matrix)
    matrix.__dict__.update(_shape=(int(shape[0]), int(shape[1])), maxprint=MAXPRINT, row=row, col=col, data=data, has_canonical_format=False)
    return matrix


def count_rows(vectorizer: Any, documents: List[Text]) -> Any:
    """`vectorizer.transform(documents).tocoo()` with indices sorted, without sklearn's per-call setup.

    Same analyzer, same vocabulary lookups, same counts (or ones when `binary`), same dtype;
    rows in order and, within a row, columns ascending, as Rasa's `sort_indices()` leaves them.
    """
    import numpy as np

    analyze = getattr(vectorizer, "_hkbot_analyzer", None)
    if analyze is None:
        analyze = vectorizer._hkbot_analyzer = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    rows: List[int] = []
    columns: List[int] = []
    values: List[int] = []
    for row, document in enumerate(documents):
        counts: Dict[int, int] = {}
        for feature in analyze(document):
            column = vocabulary.get(feature)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        for column in sorted(counts):
            rows.append(row)
            columns.append(column)
            values.append(1 if vectorizer.binary else counts[column])
    return coo_from_parts(
        np.asarray(values, dtype=vectorizer.dtype), np.asarray(rows, dtype=np.int32), np.asarray(columns, dtype=np.int32),
        (len(documents), len(vocabulary)),
    )


def count_tokens_directly() -> None:
    """CountVectorsFeaturizer counts a message's tokens with `count_rows` instead of two sklearn `transform` calls.

    Rasa transforms the token list (one row per token) and the joined sentence with
    sklearn's `CountVectorizer.transform`, whose input checks and CSR building cost more
    than the counting for one short message (~0.6 ms per featurizer). The matrices are the
    same; an untrained vectorizer still goes through Rasa's code and errors.
    """
    from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

    original = CountVectorsFeaturizer._create_features
    if getattr(original, _INSTALLED, False):
        return

    def create_features(self: Any, attribute: Text, all_tokens: List[List[Text]]) -> tuple:
        vectorizer = self.vectorizers.get(attribute) if self.vectorizers else None
        if not vectorizer or not hasattr(vectorizer, "vocabulary_"):
            return original(self, attribute, all_tokens)
        sequence_features: list = []
        sentence_features: list = []
        for tokens in all_tokens:
            if not tokens:
                sequence_features.append(None)
                sentence_features.append(None)
                continue
            sequence_features.append(count_rows(vectorizer, tokens))
            if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence_features.append(count_rows(vectorizer, [" ".join(tokens)]))
            else:
                sentence_features.append(None)
        return sequence_features, sentence_features

    setattr(create_features, _INSTALLED, True)
    CountVectorsFeaturizer._create_features = create_features  # type: ignore[method-assign]


def compare_with_one_empty_domain() -> None:
    """`Domain.is_empty()` compares with one empty domain's dict instead of building an empty Domain each call.

    The processor asks on every message (`_check_for_unseen_features`); building
    `Domain.empty()` validates and converts an empty domain every time (~0.3 ms).
    """
    from rasa.shared.core.domain import Domain

    if getattr(Domain.is_empty, _INSTALLED, False):
        return
    empty = Domain.empty().as_dict()

    def is_empty(self: Domain) -> bool:
        return self.as_dict() == empty

    setattr(is_empty, _INSTALLED, True)
    Domain.is_empty = is_empty  # type: ignore[method-assign]


def _frozen(state: Dict[str, Any]) -> Optional[tuple]:
    """A hashable copy of a dialogue state (sub-state dicts of strings and tuples); None if it has anything else."""
    try:
        frozen = tuple(sorted((name, tuple(sorted(sub_state.items()))) for name, sub_state in state.items()))
        hash(frozen)
    except (AttributeError, TypeError):
        return None
    return frozen


def match_rules_once_per_state() -> None:
    """RulePolicy filters its rules by each distinct state once, and stops walking back once nothing can change.

    `_get_possible_keys` filters the rules state by state from the newest. Whether a rule
    applies at a distance depends only on the rule, the distance and the state, and the same
    few states recur in every conversation, so the set of rules that apply is remembered
    per (distance, state) and intersected. A rule shorter than the distance walked applies
    by definition, so once every remaining rule is that short the set cannot change and the
    walk stops (Rasa kept testing every rule against every older state, so its time grew
    with the conversation). Same set of rules.
    """
    from rasa.core.policies.rule_policy import RulePolicy

    original = RulePolicy._get_possible_keys
    if getattr(original, _INSTALLED, False):
        return

    def applicable(self: RulePolicy, lookup: Dict[Text, Text], index: int, state: Dict) -> Any:
        frozen = _frozen(state)
        if frozen is None:
            return {key for key in lookup if self._is_rule_applicable(key, index, state)}
        memos = self.__dict__.setdefault("_hkbot_applicable_rules", {})
        entry = memos.get(id(lookup))
        if entry is None or entry[0] is not lookup:  # held, so its id is not reused meanwhile
            entry = memos[id(lookup)] = (lookup, {})
        known = entry[1]
        if len(known) > 10_000:
            known.clear()
        memo_key = (len(lookup), index, frozen)
        found = known.get(memo_key)
        if found is None:
            found = known[memo_key] = frozenset(key for key in lookup if self._is_rule_applicable(key, index, state))
        return found

    def get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict]) -> set:
        possible_keys = set(lookup.keys())
        for index, state in enumerate(reversed(states)):
            if all(index >= len(self._rule_key_to_state(key)) for key in possible_keys):
                break  # every remaining rule is applicable at this and every older state
            possible_keys &= applicable(self, lookup, index, state)
        return possible_keys

    setattr(get_possible_keys, _INSTALLED, True)
    get_possible_keys.rasa_original = original  # type: ignore[attr-defined]
    RulePolicy._get_possible_keys = get_possible_keys  # type: ignore[method-assign]


_APPLIED = "_hkbot_applied_events"


def remember_applied_events() -> None:
    """`DialogueStateTracker.applied_events()` continues from its last answer for the same tracker.

    Rasa's processor, policies and featurizers ask a tracker for its applied events (the
    events minus reverted ones) six or seven times a turn, each time walking the whole
    conversation with abstract-class `isinstance` checks. The tracker keeps its last answer;
    when its events are the same ones plus new ones, and the new ones name no form (loop)
    the earlier walk did not know, only the new events are walked, with Rasa's own rules.
    Anything else is walked from the start.
    """
    from itertools import islice

    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        UserUttered,
        UserUtteranceReverted,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    if getattr(DialogueStateTracker.applied_events, _INSTALLED, False):
        return

    def walk(tracker: DialogueStateTracker, events: Any, loop_names: set, applied: List[Any]) -> List[Any]:
        """Rasa 3.6's loop in `applied_events`, from `applied` on."""
        for event in events:
            if isinstance(event, (Restarted, SessionStarted)):
                applied = []
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, applied)
                tracker._undo_till_previous(ActionExecuted, applied)
            elif (
                isinstance(event, ActionExecuted)
                and event.action_name in loop_names
                and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
            ):
                tracker._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)
        return applied

    def loop_names_in(events: Any) -> set:
        return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}

    def applied_events(self: DialogueStateTracker) -> List[Any]:
        events = self.events
        count = len(events)
        memo = self.__dict__.get(_APPLIED)
        if memo is not None:
            known, first, last, loop_names, applied = memo
            if known and count >= known and events[0] is first and events[known - 1] is last:
                new = list(islice(events, known, count))
                if loop_names_in(new) <= loop_names:
                    applied = walk(self, new, loop_names, list(applied))
                    self.__dict__[_APPLIED] = (count, first, events[-1], loop_names, applied)
                    return list(applied)
        loop_names = loop_names_in(events)
        applied = walk(self, events, loop_names, [])
        if count:
            self.__dict__[_APPLIED] = (count, events[0], events[-1], loop_names, applied)
        return list(applied)

    setattr(applied_events, _INSTALLED, True)
    applied_events.rasa_original = DialogueStateTracker.applied_events  # type: ignore[attr-defined]
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]


def run_read_only_actions_on_the_tracker() -> None:
    """Skip Rasa's temporary tracker copy for actions that only read it, when the policy added no events.

    `MessageProcessor._run_action` replays the whole conversation into a copy before each
    action, so that the policy's events can be dropped if the action is rejected. With no
    policy events the copy equals the tracker, and remote actions (serialised to the action
    server), `action_listen` and bot responses never change the tracker they are given: for
    those the tracker itself is used. Every other action, and any policy events, keep Rasa's copy.
    """
    from rasa.core.actions.action import ActionBotResponse, ActionListen, RemoteAction
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._run_action
    if getattr(original, _INSTALLED, False):
        return
    read_only = (RemoteAction, ActionListen, ActionBotResponse)

    async def run_action(self: Any, action: Any, tracker: Any, output_channel: Any, nlg: Any, prediction: Any) -> bool:
        if prediction.events or type(action) not in read_only or "copy" in vars(tracker):
            return await original(self, action, tracker, output_channel, nlg, prediction)
        tracker.copy = lambda: tracker  # for Rasa's `temporary_tracker = tracker.copy()` only
        try:
            return await original(self, action, tracker, output_channel, nlg, prediction)
        finally:
            del tracker.copy

    setattr(run_action, _INSTALLED, True)
    run_action.rasa_original = original  # type: ignore[attr-defined]
    MessageProcessor._run_action = run_action  # type: ignore[method-assign]


class _LogArgumentCopies:
    """A stand-in for the `copy` module in Rasa modules that deep-copy only values they debug-log.

    `deepcopy` hands the value back unchanged while structlog drops debug messages (its
    configured `debug` is a no-op), and copies as before when debug logging is on.
    """

    def __getattr__(self, name: str) -> Any:
        import copy

        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        import copy

        import structlog

        debug = getattr(structlog.get_config().get("wrapper_class"), "debug", None)
        if getattr(debug, "__name__", "") == "_nop":
            return value
        return copy.deepcopy(value, memo)


#: Rasa modules whose every `copy.deepcopy` call is an argument of a structlog debug message.
LOG_ONLY_COPIES = ("rasa.core.processor", "rasa.core.policies.rule_policy", "rasa.core.policies.memoization")


def copy_logged_values_only_when_logged() -> None:
    """Stop deep-copying conversation states and events for debug messages nobody logs.

    Rasa evaluates `copy.deepcopy(...)` for structlog debug calls on every prediction and
    action, also when debug logging is off; in the modules listed in `LOG_ONLY_COPIES`
    that is the only use of `deepcopy` (checked by the tests).
    """
    import importlib

    for name in LOG_ONLY_COPIES:
        module = importlib.import_module(name)
        if not isinstance(getattr(module, "copy", None), _LogArgumentCopies):
            module.copy = _LogArgumentCopies()  # type: ignore[attr-defined]


def run_graphs_sequentially() -> None:
    """Load models for prediction with `SequentialGraphRunner` (training keeps Rasa's own runner)."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]


def install() -> None:
    """Every speed-up above, `bots.runtime.dialogue_states` and `bots.runtime.action_wire`; call before loading models."""
    prepare_action_validation()
    remember_event_types()
    count_tokens_directly()
    classify_intents_directly()
    compare_with_one_empty_domain()
    match_rules_once_per_state()
    remember_applied_events()
    run_read_only_actions_on_the_tracker()
    copy_logged_values_only_when_logged()
    run_graphs_sequentially()
    dialogue_states.install()
    action_wire.install()
