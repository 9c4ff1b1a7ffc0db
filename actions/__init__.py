"""Rasa custom actions. Each is a few lines over `bot.dialogue`."""
