"""`HongKongTokenizer`: Rasa tokens from `nlu.tokenise` (jieba with the Hong Kong dictionary
for Chinese, spaCy lookups for English).

Token offsets index the message's original text; each token's `lemma` is our matching
form (HK Traditional, colloquial Cantonese mapped to formal, English lemmatised), which
CountVectorsFeaturizer uses by default (`use_lemma: true`), so 點樣/如何 and
申请/申請 count as the same feature. Config keys: Rasa's tokenizer keys
(`intent_tokenization_flag`, `intent_split_symbol`, `token_pattern`,
`prefix_separator_symbol`), same defaults as WhitespaceTokenizer.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.sanitise import sanitise
from nlu.tokenise import tokenise


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class HongKongTokenizer(Tokenizer):
    """Tokenises Cantonese, formal Chinese, Simplified, English and code-mixed text."""

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        # None: every pipeline language. Rasa validates the pipeline's `language` against
        # this list; our tokenizer handles Chinese and English in the same message.
        return None

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = [
            Token(t.text, t.start, t.end, lemma=t.lemma, data={"is_cjk": t.is_cjk})
            for t in tokenise(text)
        ]
        if not tokens and text.strip():
            # Emoji or punctuation only: one token for the whole text, as Rasa's own
            # tokenizers do, so featurizers always have something to look at.
            whole = sanitise(text).text
            tokens = [Token(whole, 0, len(whole), lemma=whole)]
        return self._apply_token_pattern(tokens)
