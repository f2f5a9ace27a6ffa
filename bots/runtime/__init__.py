"""The runtime that owns each bot's Rasa Agent: in-process actions, dialogue policies and turn hooks."""
