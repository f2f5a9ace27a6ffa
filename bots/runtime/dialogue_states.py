"""Each conversation's dialogue states carried over from one policy call to the next.

Rasa's policies see a conversation as a list of states, one per action, and
`Domain.states_for_tracker_history` rebuilds that list from the first event on every call
(RulePolicy and MemoizationPolicy each ask for it on every prediction, two or three times a
turn): replaying the whole session and rebuilding every state, so a turn got slower the
longer the conversation ran. The states of events already seen do not change, so this
module keeps, per conversation, where the last call stopped (the events it had read, its
replayed tracker and the states so far) and continues from there when the new call's
events start with the very same event objects. Anything else (a rewind, a restart, a
trimmed or re-read history, another sender) is computed from the start as Rasa does. Every
call returns new state dicts (with the same sharing between them as Rasa's), so callers
may change them, as Rasa's featurizers do, without touching what is kept.

Used through Rasa's policy hook: `bots.runtime.policies.IncrementalRulePolicy` and
`IncrementalMemoizationPolicy` (named in config.yml) get their prediction states here;
nothing in Rasa is replaced. Equivalence: tests/bots/runtime/test_dialogue_states.py.
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker

from bots.storage.tracker_cache import cache_size

#: Rasa's own full rebuild, kept for comparison.
RASA_STATES_FOR_TRACKER_HISTORY = Domain.states_for_tracker_history

_CHECKPOINTS = "_hkbot_state_checkpoints"
_LOCK = threading.Lock()


@dataclass
class Checkpoint:
    """Where a `states_for_tracker_history` call stopped, before the final (current) state."""

    events: List[Event]
    replay: DialogueStateTracker  # the tracker with `events` applied
    states: List[State] = field(default_factory=list)
    last_ml_action_sub_state: Optional[Dict[str, Any]] = None
    turn_was_hidden: bool = False


def _frozen(rule_only_data: Optional[Dict[str, Any]]) -> Any:
    """A comparable copy of rule-only data (names of slots and loops), or the data itself if it holds anything else."""
    if not rule_only_data:
        return rule_only_data
    try:
        return tuple(sorted((key, tuple(value)) for key, value in rule_only_data.items()))
    except TypeError:
        return copy.deepcopy(rule_only_data)


def _continues(checkpoint: Checkpoint, events: List[Event]) -> bool:
    kept = checkpoint.events
    return len(events) >= len(kept) and all(old is new for old, new in zip(kept, events))


def _state_at(
    domain: Domain, checkpoint: Checkpoint, hide_rule_turn: bool, omit_unset_slots: bool,
    ignore_rule_only_turns: bool, rule_only_data: Optional[Dict[str, Any]],
) -> Optional[State]:
    """One step of Rasa's loop over prior trackers: the state at `checkpoint.replay`, or None if hidden."""
    tracker = checkpoint.replay
    if ignore_rule_only_turns:
        if not checkpoint.turn_was_hidden:
            checkpoint.last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and not tracker.latest_action_name == tracker.active_loop_name:
            checkpoint.turn_was_hidden = hide_rule_turn
        if checkpoint.turn_was_hidden:
            return None
    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if checkpoint.states:
            domain._substitute_rule_only_user_input(state, checkpoint.states[-1])
        if checkpoint.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = checkpoint.last_ml_action_sub_state
    return domain._clean_state(state)


def _copy(states: List[State]) -> List[State]:
    """New state and sub-state dicts; a sub-state shared by two states stays shared in the copy."""
    copies: Dict[int, Any] = {}

    def copy_of(sub_state: Any) -> Any:
        if not isinstance(sub_state, dict):
            return sub_state
        found = copies.get(id(sub_state))
        if found is None:
            found = copies[id(sub_state)] = dict(sub_state)
        return found

    return [{key: copy_of(value) for key, value in state.items()} for state in states]


def states_for_tracker_history(
    domain: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[str, Any]] = None,
) -> List[State]:
    """Rasa's `Domain.states_for_tracker_history`, continued from this conversation's last call when it can be."""
    events = tracker.applied_events()
    # Rule-only data is read only when rule-only turns are ignored; RulePolicy builds a new dict per call.
    used_rule_only_data = _frozen(rule_only_data) if ignore_rule_only_turns else None
    key = (tracker.sender_id, tracker.is_rule_tracker, tracker._max_event_history, omit_unset_slots, ignore_rule_only_turns)
    checkpoints: OrderedDict = domain.__dict__.setdefault(_CHECKPOINTS, OrderedDict())
    with _LOCK:
        found = checkpoints.pop(key, None)  # owned by this call until it is put back
    if found is None or found[0] != used_rule_only_data or not _continues(found[1], events):
        checkpoint = Checkpoint([], tracker.init_copy())
    else:
        checkpoint = found[1]

    for event in events[len(checkpoint.events):]:
        if isinstance(event, ActionExecuted):
            state = _state_at(domain, checkpoint, event.hide_rule_turn, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
            if state is not None:
                checkpoint.states.append(state)
        checkpoint.replay.update(event)
        checkpoint.events.append(event)

    # The current state is the last one, but the next call's events will go on past it.
    saved = (checkpoint.states, checkpoint.last_ml_action_sub_state, checkpoint.turn_was_hidden)
    checkpoint.states = list(checkpoint.states)
    final = _state_at(domain, checkpoint, False, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    if final is not None:
        checkpoint.states.append(final)
    result = _copy(checkpoint.states)
    checkpoint.states, checkpoint.last_ml_action_sub_state, checkpoint.turn_was_hidden = saved

    with _LOCK:
        checkpoints[key] = (used_rule_only_data, checkpoint)
        while found is None and len(checkpoints) > 2 * cache_size():  # about two per conversation (Rule and Memoization policies)
            checkpoints.popitem(last=False)
    return result

