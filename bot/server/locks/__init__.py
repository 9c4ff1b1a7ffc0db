"""The lock stores that the Rasa server's processes and replicas share (endpoints.yml names
bot.server.locks.configured.ConfiguredLockStore)."""
