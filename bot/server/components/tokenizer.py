"""Tokenizes English and Chinese in one model: jieba segments Chinese (offline, its
dictionary ships in the package) and keeps English words whole, but it returns the spaces
between English words as tokens, which Rasa's token_pattern does not remove: they are
dropped here. The catalog's Chinese aliases come as a user dictionary (`dictionary_path`),
so that 教师资格证 stays one token."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class BilingualTokenizer(JiebaTokenizer):
    @staticmethod
    def supported_languages() -> list[str] | None:
        # Any: the model is trained on English and Chinese at once.
        return None

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        return [token for token in super().tokenize(message, attribute) if token.text.strip()]
