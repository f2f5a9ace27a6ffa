"""The parse-data keys the NLU pipeline sets on a message and the actions read: its output contract, named once.

The NLU components (nlu/components/) set them; the actions, the runtime and the console read them by these names,
so no reader mirrors the strings. Plain constants: importing this module loads nothing else.
"""

#: The message's language tag (en, yue, zh-Hant, zh-Hans): nlu.components.language.LanguageTagger.
LANGUAGE = "language"
#: Set (true) on a message whose writer may be thinking of ending their life: nlu.components.crisis.CrisisDetector.
CRISIS = "crisis"
#: FaqRetriever's result (knowledge.index.FaqResult.to_dict(): the top topics, their scores, the decision).
FAQ = "faq"
#: The other questions' topics in one message (a list of topic ids; absent when there are none).
FAQ_ALSO = "faq_also"
#: Set (true) when a message names no subject, only what it asks about ("how much?"), answered or refused.
FAQ_NO_SUBJECT = "faq_no_subject"
#: Set (true) when a message asks only how to reach someone ("who do I call?").
FAQ_ASKS_CONTACT = "faq_asks_contact"
#: The knowledge base of the department a message asks how to reach ("Labour Department hotline").
FAQ_CONTACT_DEPARTMENT = "faq_contact_department"
#: The places and organisations outside Hong Kong's government a refused message names (nlu/data/elsewhere.txt:
#: "深圳社保點買", "HSBC credit card"): action_fallback says to ask them.
FAQ_ELSEWHERE = "faq_elsewhere"
#: Set (true) when a refused message is personal data and little else ("call me 91234567").
PERSONAL_DETAILS = "personal_details"
