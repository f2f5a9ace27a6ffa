"""action_answer_faq: answer the matched knowledge topic with its source, or ask which topic when two are close.

The topic comes from a button (`/faq{"topic": "<id>"}`) or from FaqRetriever's
`faq` parse data (`top`, `ambiguous`). A topic outside the bot's knowledge
bases, or one that no longer exists, gets the fallback: the bot never guesses.
A message that asked more than one question also gets the answers of the topics its
other questions found on their own (`faq_also`), each after a line naming it. A message that
names no subject ("幾錢？") is asked again of what the conversation was just about
(`actions.follow_up`), else the citizen is asked which topic they mean.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import send_answer
from actions.context import Context, context_of
from actions.department_hint import message_department
from actions.entry_department import entry_department
from actions.fallback import send_crisis, send_fallback
from actions.follow_up import answer_follow_up
from actions.knowledge_access import entry_for
from actions.language import in_script
from actions.messages import button, say
from actions.sentences import sentence
from knowledge.schema import Entry
from nlu.parse_keys import CRISIS, FAQ, FAQ_ALSO


def chosen_topic(tracker: Tracker) -> str | None:
    """The topic a button chose, if the latest message came from one."""
    return next(tracker.get_latest_entity_values("topic"), None)


def topic_options(faq: dict[str, Any]) -> tuple[str | None, list[str]]:
    """FaqRetriever's top topic and its close alternatives (without the top one, no repeats)."""
    top = faq.get("top") if isinstance(faq.get("top"), str) and faq.get("top") else None
    return top, topic_ids(faq.get("ambiguous"), top)


def topic_ids(listed: Any, leave_out: str | None) -> list[str]:
    """The topic ids of a parse-data list, in order, without `leave_out`, repeats or anything not an id."""
    topics: list[str] = []
    for topic in listed if isinstance(listed, list) else []:
        if isinstance(topic, str) and topic and topic != leave_out and topic not in topics:
            topics.append(topic)
    return topics


def send_other_answers(dispatcher: CollectingDispatcher, context: Context, topics: list[str], domain: dict[str, Any]) -> None:
    """Each other question's answer, after a line that names its topic (a topic the bot does not answer is left out)."""
    for topic in topics:
        entry = entry_for(context.bot, topic)
        if entry is None:
            continue
        title = in_script(entry.title_in(context.language), context.language)
        say(dispatcher, sentence("also_answer", context.language, title=title), language=context.language,
            label=entry.id, kind="also", bot=context.bot_label)
        send_answer(dispatcher, context, entry, domain)


def option_title(context: Context, entry: Entry) -> str:
    """A clarifying button's title: the topic, and its department when the bot answers for several."""
    language = context.language
    title = in_script(entry.title_in(language), language)
    name = entry_department(entry, language) if context.bot and len(context.bot.knowledge_bases) > 1 else ""
    if not name or name in title:  # "How to contact 1823 (1823)" says nothing more
        return title
    return sentence("option_department", language, title=title, department=name)


def send_clarification(dispatcher: CollectingDispatcher, context: Context, options: list[Entry]) -> None:
    """Ask which of the close topics the citizen means, one button per topic (naming its department) and 'none of these'."""
    language = context.language
    buttons = [button(option_title(context, entry), "faq", topic=entry.id) for entry in options]
    buttons.append(button(sentence("none_of_these", language), "out_of_scope"))
    say(
        dispatcher, sentence("clarify", language), language=language,
        label=options[0].id, kind="clarify", buttons=buttons,
        options=[entry.id for entry in options], bot=context.bot_label,
    )


class ActionAnswerFaq(Action):
    """Answers intent `faq` in the citizen's language and script."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        context = context_of(tracker)
        if (tracker.latest_message or {}).get(CRISIS):  # crisis lines first; the question is still answered
            send_crisis(dispatcher, context)
        chosen = chosen_topic(tracker)
        if chosen is not None:
            entry = entry_for(context.bot, chosen)
            if entry:
                send_answer(dispatcher, context, entry, domain)
            else:
                send_fallback(dispatcher, context)
            return []

        if answer_follow_up(dispatcher, tracker, context, domain):
            return []

        top, ambiguous = topic_options(tracker.latest_message.get(FAQ) or {})
        candidates = [entry_for(context.bot, topic) for topic in ([top] if top else []) + ambiguous]
        options = [entry for entry in candidates if entry is not None]
        top_entry = entry_for(context.bot, top) if top else None
        if top_entry and len(options) == 1:
            send_answer(dispatcher, context, top_entry, domain)
            also = topic_ids(tracker.latest_message.get(FAQ_ALSO), top_entry.id)  # FaqRetriever's other questions
            send_other_answers(dispatcher, context, also, domain)
        elif options and (ambiguous or not top_entry):
            send_clarification(dispatcher, context, options)
        else:
            send_fallback(dispatcher, context, message_department(context.bot.knowledge_bases if context.bot else None, tracker))
        return []
