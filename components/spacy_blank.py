"""SpacyNLP on a blank English pipeline: no model download is possible offline, and the
project's spaCy work is rule based (tokeniser, phrase matching, ConText)."""
from __future__ import annotations

from typing import Any, Dict, Text

import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class BlankSpacyNLP(SpacyNLP):
    """Provides `spacy.blank(language)` to SpacyTokenizer and the matchers."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**SpacyNLP.get_default_config(), "language": "en"}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "BlankSpacyNLP":
        config = {**cls.get_default_config(), **config}
        language = config["language"]
        model = SpacyModel(model=spacy.blank(language), model_name=f"blank:{language}")
        return cls(model, config)
