"""The certificate assistant's own code: knowledge loading and compiling, and the logic
that the Rasa custom actions call. Importing `bot` never imports Rasa."""
