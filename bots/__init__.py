"""hkbot's bots: each `bots/<bot>/` folder is a bot's configuration; the sub-packages run them."""
