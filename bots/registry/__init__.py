"""Which bots exist: every `bots/<bot>/bot.yml` read and validated, and the Rasa project composed from it."""
