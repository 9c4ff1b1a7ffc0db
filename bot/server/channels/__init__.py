"""The channels people reach the assistant through, as Rasa input channels
(bot.processes.channels says which ones a server opens)."""
