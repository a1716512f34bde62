"""Entity extraction from the knowledge base's own vocabulary, with spaCy's PhraseMatcher.

At training time the patterns are built from ``knowledge`` (compliance items' names → ``violation``, the
vocabularies → ``industry``, ``region``, ``case_type``, ``first_violation`` ...) and stored with the model, so a
model always extracts exactly what the knowledge base it was trained with knows.  Money amounts in any Chinese
form become a numeric ``amount`` entity (cn2an).

spaCy's Chinese pipeline is ``spacy.blank("zh")`` with character segmentation: jieba may cut a phrase differently
inside a sentence than on its own, which makes a token-level PhraseMatcher miss; on characters the matcher finds
every occurrence.  Within one entity type the longest match wins ("不是第一次" over "第一次"); different types
may share a span (合同纠纷 is both a case type and a dispute type).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import rasa.shared.utils.io
import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans

from knowledge.amounts import find_amounts

logger = logging.getLogger(__name__)
PATTERNS_FILE = "patterns.json"


def build_patterns(kb) -> list[dict]:
    """[{"entity", "value", "text"}] from the knowledge base: vocabularies and compliance item names."""
    from knowledge.schema import ComplianceItem, CriminalRisk

    seen, out = set(), []

    def add(entity: str, value: str, text: str) -> None:
        text = text.strip()
        if len(text) < 2 and not text.isascii():
            return
        key = (entity, text.lower())
        if key in seen:
            return
        seen.add(key)
        out.append({"entity": entity, "value": value, "text": text})

    for entity, values in kb.vocab.items():
        for canonical, forms in values.items():
            if entity not in _NON_LITERAL:
                add(entity, canonical, canonical)
            for form in forms:
                add(entity, canonical, form)
    for item in kb.of_type(ComplianceItem):
        for name in [item.title, *item.synonyms]:
            add("violation", item.id, name)
    for risk in kb.of_type(CriminalRisk):
        for name in [risk.crime, *risk.synonyms]:
            add("criminal_risk", risk.id, name)
    return out


# Entities whose canonical values are codes (property, true, none ...), not words a user types.
_NON_LITERAL = {
    "case_type", "procedure", "procedure_hint", "ending", "ending_hint", "application_type", "party_type",
    "circumstance", "first_violation", "harm", "corrected", "minor_violation", "mitigating", "refunded", "foreign",
}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class KnowledgeEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"extract_amounts": True}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        patterns: list[dict[str, str]] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.patterns = patterns or []
        self._build_matcher()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeEntityExtractor:
        return cls(config, model_storage, resource)

    def _build_matcher(self) -> None:
        self.nlp = spacy.blank("zh")  # character segmentation, see module docstring
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.values: dict[str, list[tuple[str, str]]] = defaultdict(list)
        by_key: dict[str, list] = defaultdict(list)
        for p in self.patterns:
            key = f"{p['entity']}\t{p['value']}"
            by_key[key].append(self.nlp.make_doc(p["text"]))
        for key, docs in by_key.items():
            self.matcher.add(key, docs)

    def train(self, training_data: TrainingData) -> Resource:
        from knowledge.kb import KnowledgeBase

        self.patterns = build_patterns(KnowledgeBase.from_files())
        self._build_matcher()
        with self._model_storage.write_to(self._resource) as model_path:
            rasa.shared.utils.io.dump_obj_as_json_to_file(model_path / PATTERNS_FILE, self.patterns)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KnowledgeEntityExtractor:
        try:
            with model_storage.read_from(resource) as model_path:
                patterns = rasa.shared.utils.io.read_json_file(model_path / PATTERNS_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("KnowledgeEntityExtractor has no stored patterns; extracting amounts only")
            patterns = []
        return cls(config, model_storage, resource, patterns)

    def extract(self, text: str) -> list[dict]:
        doc = self.nlp.make_doc(text)
        spans_by_entity: dict[str, list] = defaultdict(list)
        for match_id, start, end in self.matcher(doc):
            entity, value = self.nlp.vocab.strings[match_id].split("\t", 1)
            span = doc[start:end]
            span.label_ = entity
            spans_by_entity[entity].append((span, value))
        entities = []
        for entity, pairs in spans_by_entity.items():
            values = {(s.start, s.end): v for s, v in pairs}
            for span in filter_spans([s for s, _ in pairs]):
                entities.append(
                    {
                        "entity": entity,
                        "start": span.start_char,
                        "end": span.end_char,
                        "value": values[(span.start, span.end)],
                        "confidence_entity": 1.0,
                    }
                )
        if self._config["extract_amounts"]:
            for a in find_amounts(text):
                entities.append(
                    {"entity": "amount", "start": a.start, "end": a.end, "value": float(a.value), "confidence_entity": 1.0}
                )
        entities.sort(key=lambda e: (e["start"], e["entity"]))
        return entities

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            extracted = self.add_extractor_name(self.extract(text))
            message.set(ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True)
        return messages
