"""Tokenises with spaCy's blank English tokenizer (rule based, no model download).

Offline machines cannot fetch a spaCy model, and the project's spaCy work is rule
based: this tokenizer, the knowledge-base phrase matcher and medspaCy ConText.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BlankSpacyTokenizer(Tokenizer):
    """spaCy's English tokenizer rules (contractions, punctuation, emoji) without a model."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "language": "en",
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._nlp = spacy.blank(config.get("language", "en"))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "BlankSpacyTokenizer":
        return cls({**cls.get_default_config(), **config})

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy"]

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        doc = self._nlp.make_doc(text.lower())
        tokens = [Token(t.text, t.idx, lemma=t.norm_) for t in doc if t.text.strip()]
        return self._apply_token_pattern(tokens)
