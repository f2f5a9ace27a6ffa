"""The bots of this deployment as Rasa projects: each bot.yml (read by `hkbot.bot_config`) composed and fingerprinted (`project`)."""
