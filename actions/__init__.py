"""Rasa custom actions. Each is a few lines over `bot.dialogue`.

The action server imports this package when it starts: the knowledge base and the word
segmenter's dictionaries are loaded then, not on the first user's message, which would
otherwise wait for them (seconds on a busy machine, past the action time limit)."""

from bot.runtime import dialogue

dialogue()
