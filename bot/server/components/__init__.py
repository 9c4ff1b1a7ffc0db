"""Custom Rasa NLU components, named in config.yml. Only Rasa imports this package, so
importing `bot` itself never imports Rasa."""

import warnings

from bot.knowledge.response_names import FAQ_INTENT

# The FAQ answers are ordinary responses of the domain (bot/server/components/importer.py
# says why), so Rasa warns, for every FAQ training example at training time and for every
# answer at run time, that the ResponseSelector has no response text. It needs none: it
# learns and predicts the keys ("faq/expiry_and_renewal"), and the action answers from the key.
for unneeded_response in (f"Your training data contains an example .* for the '{FAQ_INTENT}/",
                          f"Unable to fetch responses for {FAQ_INTENT}/"):
    warnings.filterwarnings("ignore", message=unneeded_response, category=UserWarning)
