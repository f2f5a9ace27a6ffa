"""rasa-sdk actions of every bot. Importing the package imports every action module, so
`ActionExecutor().register_package("actions")` (and `rasa run actions`) finds them all."""
from actions import browse, conversation, faq, fallback, feedback, forms, handoff, switch_language  # noqa: F401
