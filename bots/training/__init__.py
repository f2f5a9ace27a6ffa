"""Training the bots (cached by fingerprint) and evaluating them on labelled citizen questions."""
