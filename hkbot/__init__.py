"""The foundation every layer may import: where hkbot keeps things (`settings`) and what a bot.yml says (`bot_config`).

It imports nothing else of the project, so `nlu/`, `knowledge/`, `actions/` and `privacy/` read
paths and bot configurations here instead of importing the top layer (`bots/`); an external
`rasa run actions` finds them without the server. See docs/architecture.md, "Layers and imports".
"""
