"""The Rasa speed-ups that have no hook to plug into: process-wide patches, installed only by the serving runtime.

Everything else hkbot changes in Rasa goes through Rasa's own extension points (graph
components in nlu/components, policies in bots/runtime/policies.py, the agent and processor
in bots/runtime/processor.py). What is left here replaces a Rasa function that Rasa calls
directly, from code hkbot does not own; each patch says why there is no hook and names its
equivalence test. `install()` is called by `bots.runtime.agents.load_runtimes` (serving,
`hkbot shell`, `hkbot eval`), never by training (tests/bots/runtime/test_patches.py checks
both). It refuses to install on a Rasa, scikit-learn or scipy version other than the ones
hkbot was tested with (`nlu.components.versions.TESTED_VERSIONS`, as pinned in
constraints.txt): it logs which package, the found and the tested version, and that hkbot
runs without the speed-ups; serving works as before, only slower.
"""
from __future__ import annotations

import copy
import importlib
import logging
from itertools import islice
from typing import Any, Dict, List, Optional

import structlog
from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bots.runtime.action_wire import InProcessCall
from nlu.components.versions import untested_versions

logger = logging.getLogger("hkbot.runtime")

_INSTALLED = "_hkbot_patch"


def prepare_action_validation() -> None:
    """Validate action responses with one prepared jsonschema validator instead of Rasa's per-call one.

    Rasa's `RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks the
    events schema itself against the metaschema on every action: about 190 ms a turn here, two
    thirds of all the work. The response is still validated against the same schema, once per
    action, with the same (best-matching) error and message as Rasa's. No hook: forms build `RemoteAction` themselves
    (rasa/core/actions/forms.py), so a processor subclass cannot hand them another class.
    Test: tests/bots/runtime/test_patches.py::test_action_responses_are_validated_as_rasa_does.
    """
    if getattr(RemoteAction._validate_action_result, _INSTALLED, False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate(self: RemoteAction, result: Dict[str, Any]) -> bool:
        # jsonschema.validate's own steps after its schema check: the best-matching error, if any.
        error: Optional[ValidationError] = best_match(validator.iter_errors(result))
        if error is not None:
            # Rasa 3.6's message, verbatim.
            error.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    setattr(validate, _INSTALLED, True)
    validate.rasa_original = RemoteAction._validate_action_result  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate


def remember_event_types() -> None:
    """Look up an event class by its type name in a dict instead of walking every Event subclass.

    Rasa's `Event.resolve_by_type` rebuilds the list of all Event subclasses (with an
    `inspect.isabstract` check each) for every event it deserialises: reading a 40-event
    conversation back from the tracker store spent most of its time there. Names that are
    not found still go through Rasa's own lookup, so its defaults and errors are unchanged.
    No hook: a static method every tracker store and `Event.from_parameters` call directly.
    Test: tests/bots/runtime/test_patches.py::test_event_types_resolve_as_before_and_unknown_names_still_fail.
    """
    original = Event.resolve_by_type
    if getattr(original, _INSTALLED, False):
        return
    known: Dict[str, type] = {}

    def resolve_by_type(type_name: str, default: Optional[type] = None) -> Optional[type]:
        found = known.get(type_name)
        if found is None:
            found = original(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    setattr(resolve_by_type, _INSTALLED, True)
    resolve_by_type.rasa_original = original  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)


def compare_with_one_empty_domain() -> None:
    """`Domain.is_empty()` compares with one empty domain's dict instead of building an empty Domain each call.

    The processor asks on every message (`_check_for_unseen_features`); building
    `Domain.empty()` validates and converts an empty domain every time (~0.3 ms). No hook:
    the domain is built by Rasa's model loader from the stored model, as a plain `Domain`.
    Test: tests/bots/runtime/test_patches.py::test_an_empty_domain_is_still_recognised.
    """
    if getattr(Domain.is_empty, _INSTALLED, False):
        return
    empty = Domain.empty().as_dict()

    def is_empty(self: Domain) -> bool:
        return self.as_dict() == empty

    setattr(is_empty, _INSTALLED, True)
    is_empty.rasa_original = Domain.is_empty  # type: ignore[attr-defined]
    Domain.is_empty = is_empty


_APPLIED = "_hkbot_applied_events"


def remember_applied_events() -> None:
    """`DialogueStateTracker.applied_events()` continues from its last answer for the same tracker.

    Rasa's processor, policies and featurizers ask a tracker for its applied events (the
    events minus reverted ones) six or seven times a turn, each time walking the whole
    conversation with abstract-class `isinstance` checks. The tracker keeps its last answer;
    when its events are the same ones plus new ones, and the new ones name no form (loop)
    the earlier walk did not know, only the new events are walked, with Rasa's own rules.
    Anything else is walked from the start. No hook: trackers are built by every tracker
    store (`DialogueStateTracker.from_dict`, `init_copy`) as the plain class.
    Test: tests/bots/runtime/test_patches.py::test_applied_events_are_rasas_after_every_new_event.
    """
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
    DialogueStateTracker.applied_events = applied_events


class _LogArgumentCopies:
    """A stand-in for the `copy` module in Rasa modules that deep-copy only values they debug-log.

    `deepcopy` hands the value back unchanged while structlog drops debug messages (its
    configured `debug` is a no-op), and copies as before when debug logging is on.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
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
    that is the only use of `deepcopy` (checked by the tests). No hook: the copies are made
    inside Rasa's own methods before structlog is called.
    Tests: tests/bots/runtime/test_patches.py::test_deep_copies_in_the_listed_modules_only_feed_debug_messages
    and ::test_logged_values_are_copied_only_when_debug_messages_are_kept.
    """
    for name in LOG_ONLY_COPIES:
        module = importlib.import_module(name)
        if not isinstance(getattr(module, "copy", None), _LogArgumentCopies):
            module.copy = _LogArgumentCopies()  # type: ignore[attr-defined]


def build_action_calls_from_kept_json() -> None:
    """Build `InProcessCall` bodies for remote actions whose endpoint sets `builds_wire_json`.

    Reason: Rasa turned the whole conversation into dicts for every action call and the in-process
    endpoint wrote them to JSON and back; each event's JSON is now written once (bots/runtime/action_wire.py).
    No hook: Rasa builds the body in `RemoteAction._action_call_format`, and forms build their validation
    `RemoteAction` themselves. Equivalence: tests/bots/runtime/test_action_wire.py.
    """
    original = RemoteAction._action_call_format
    if getattr(original, _INSTALLED, False):
        return

    def action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Any) -> dict[str, Any]:
        if not getattr(self.action_endpoint, "builds_wire_json", False):
            return original(self, tracker, domain)
        # Rasa's body with the tracker's state without events (EventVerbosity.NONE), then the events.
        current_state = tracker.current_state
        tracker.current_state = lambda verbosity=EventVerbosity.NONE: current_state(EventVerbosity.NONE)
        try:
            body = original(self, tracker, domain)
        finally:
            del tracker.current_state
        return InProcessCall(body, list(tracker.events))

    setattr(action_call_format, _INSTALLED, True)
    action_call_format.rasa_original = original  # type: ignore[attr-defined]
    RemoteAction._action_call_format = action_call_format


#: Every patch, in the order `install()` applies them.
PATCHES = (
    prepare_action_validation,
    remember_event_types,
    compare_with_one_empty_domain,
    remember_applied_events,
    copy_logged_values_only_when_logged,
    build_action_calls_from_kept_json,
)


def install() -> bool:
    """Apply every patch (idempotent) on the tested library versions; otherwise log why not and apply none.

    Returns whether the patches are in place. Call before loading models.
    """
    mismatches = untested_versions()
    if mismatches:
        for package, found, tested in mismatches:
            logger.warning(
                "Rasa patches not installed: %s %s is installed, hkbot was tested with %s %s; "
                "hkbot runs without these speed-ups (slower, same answers)", package, found, package, tested,
            )
        return False
    for patch in PATCHES:
        patch()
    return True
