"""Rasa custom actions. Each is a few lines over `bot.dialogue`.

The action server imports this package when it starts: the knowledge base is loaded and
checked then, not on the first user's message, which would otherwise wait for it."""

from bot.dialogue.runtime import dialogue

dialogue()
