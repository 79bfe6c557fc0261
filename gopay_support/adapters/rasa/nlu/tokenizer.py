"""Rasa tokenizer for mixed Simplified Chinese / English messages (spaCy based)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from gopay_support.core import text as segmentation
from gopay_support.core.script import to_simplified


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BilingualTokenizer(Tokenizer):
    """English words via spaCy's rules, Chinese as single characters, one model for both.

    Rasa's WhitespaceTokenizer cannot cut Chinese and JiebaTokenizer would add a second
    segmentation library; character tokens plus word n-grams in the featurizer cover
    Chinese words and typos (充直 / 充值) without a dictionary. Traditional characters
    are read as simplified ones (儲值失敗 → 储值失败) before cutting; the message text itself
    is left as typed, the conversion keeps offsets, so token positions match it. An explicit
    contrast ("not a refund, my top up failed") is read from its point on
    (:func:`gopay_support.core.text.contrast_point`).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BilingualTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        normalised = to_simplified(text)
        # A user message with an explicit contrast is read from its point on ("不是提现 是充值
        # 没到账" → "是充值没到账"): the negated clause names what it is not about.
        point = segmentation.contrast_point(normalised) if attribute == TEXT else 0
        pieces = [(word, start + point) for word, start in segmentation.tokens(normalised[point:])]
        if not pieces:
            # Only punctuation or whitespace: keep one token so featurizers have input.
            return [Token(text, 0)] if text else []
        return self._apply_token_pattern([Token(word, start) for word, start in pieces])
