"""Everything that runs inside the Rasa server and imports Rasa or Sanic: the entry point
(`python -m bot.server run ...`), the channels, the conversation and lock stores, the custom
NLU components and policy, and the patches of Rasa's and Sanic's internals (bot.server.patches).
No module outside this package imports Rasa (tests/test_architecture.py checks it); this
file imports nothing, so the rest of `bot` may name the package without loading Rasa."""
