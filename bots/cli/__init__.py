"""`hkbot`, the one command line: the entry point, the bot commands and the terminal chat."""
