"""Custom Rasa NLU components, named in config.yml. Only Rasa imports this package, so
importing `bot` itself never imports Rasa."""
