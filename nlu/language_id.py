"""Language identification: one tag per message, `en`, `yue`, `zh-Hant`, `zh-Hans` or `und`.

Three decisions, cheapest first:
1. Chinese or English matrix: Han characters against Latin words, English function words
   counting extra, so 我想renew個dog licence is Chinese and "Where is 漁護署" is English.
2. Simplified or Traditional: characters only one script uses (OpenCC tells which),
   ignoring characters Hong Kong Traditional also uses as they are (nlu/data/shared_hanzi.txt).
3. Cantonese or formal Chinese (Traditional text): a logistic model over character uni- and
   bigrams (nlu/data/yue_model.json, built by `python -m nlu.train_langid` from the tuning
   split only) plus marker words (nlu.cantonese). Simplified text is tagged `zh-Hans`
   whatever its register.
"""
from __future__ import annotations

import re

from nlu.cantonese import is_cantonese  # its model loads on the first Chinese message
from nlu.sanitise import is_invisible, sanitise, without_markup
from nlu.script import script_counts, to_hk_view
from nlu.types import UNDETERMINED

HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_CHAR = re.compile(f"[{HAN}]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\uff21-\uff3a\uff41-\uff5a]+(?:['’][A-Za-z]+)?")

ENGLISH_FUNCTION_WORDS = frozenset(
    """a an the i you he she it we they me my your our their his her its this that these those
    is are am was were be been do does did have has had can could will would shall should may
    might must to of in on at for from with by about into how what where when which who whom
    why whose and or but if not no yes please there here any some much many""".split()
)
# Grammatical Chinese characters that mark a Chinese matrix around English content words.
CHINESE_FUNCTION_CHARS = frozenset("我你佢他她想要個嘅的咗了係是喺在唔不冇沒有點怎呢呀啊嗎吖啦咩同和")


def is_english_matrix(han_chars: str, latin_words: list[str]) -> bool:
    """True when the Latin words, not the Chinese characters, carry the sentence."""
    if not latin_words:
        return False
    if not han_chars:
        return True
    function_words = sum(1 for w in latin_words if w.lower() in ENGLISH_FUNCTION_WORDS)
    chinese_function = sum(1 for c in han_chars if c in CHINESE_FUNCTION_CHARS)
    english = len(latin_words) + 2 * function_words
    chinese = len(han_chars) / 1.5 + 2 * chinese_function
    return english > chinese


def is_english(text: str) -> bool:
    """Whether a message is written in English (its Latin words carry it), by script alone: no model is loaded."""
    text = without_markup(text)
    return is_english_matrix("".join(_HAN_CHAR.findall(text)), _LATIN_WORD.findall(text))


def script_of(han: str) -> str:
    """`zh-Hans` or `zh-Hant` for Han text (Traditional when undecided: 你好 is both)."""
    traditional, simplified = script_counts(han)
    return "zh-Hans" if simplified > traditional else "zh-Hant"


def detect_language(text: object) -> str:
    """The language tag of a message: en, yue, zh-Hant, zh-Hans, or und."""
    clean = without_markup(sanitise(text).text)
    if not clean.isprintable():  # isprintable() is False for controls and zero-width characters
        clean = "".join(ch for ch in clean if not is_invisible(ch))
    han = "".join(_HAN_CHAR.findall(clean))
    latin = _LATIN_WORD.findall(clean)
    if not han and not latin:
        return UNDETERMINED
    if is_english_matrix(han, latin):
        return "en"
    if script_of(han) == "zh-Hans":
        return "zh-Hans"
    return "yue" if is_cantonese(to_hk_view(clean)) else "zh-Hant"
