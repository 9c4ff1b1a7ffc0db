"""Custom Rasa NLU components, named in config.yml. Only Rasa imports this package, so
importing `bot` itself never imports Rasa."""

import warnings

from bot.knowledge.response_names import FAQ_INTENT

# The FAQ answers are ordinary responses of the domain (bot/server/components/importer.py
# says why), so Rasa warns, for every FAQ training example at training time, that the
# retrieval intent has no response text. It needs none: the AnswerSelector learns and
# predicts the keys ("faq/expiry_and_renewal"), and the action answers from the key.
warnings.filterwarnings("ignore", message=f"Your training data contains an example .* for the '{FAQ_INTENT}/",
                        category=UserWarning)
