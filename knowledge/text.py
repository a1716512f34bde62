"""Chinese text normalisation and segmentation shared by retrieval, the NLU vocabulary and the front.

Users type on phones: traditional characters, full-width letters and digits, emoji, stray punctuation.
Everything goes through ``normalize`` before matching so that 「過期食品」 and 过期食品 are the same question.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba
import opencc

_t2s = opencc.OpenCC("t2s")
_lock = threading.Lock()
_loaded_words: set[str] = set()

PUNCT_RE = re.compile(r"[\s\u3000!-/:-@\[-`{-~，。、；：？！…—·“”‘’（）《》【】「」『』〈〉\-]+")
STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 哦 嘛 么 我 我们 你 你们 他 她 它 是 在 有 和 与 或 就 都 也 还 又 要 会 能 可以 "
    "怎么 怎么办 怎样 如何 什么 多少 哪里 哪些 请问 一下 这个 那个 这种 那种 个 被 把 给 对 让 吧 啦 嗯 "
    "家 店 店里 我家 我店 自己 现在 如果 的话 是不是 有没有 会不会 能不能 可不可以".split()
)


def to_simplified(text: str) -> str:
    return _t2s.convert(text)


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), traditional → simplified, lower case, trimmed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    return to_simplified(text).lower().strip()


def add_words(words: Iterable[str]) -> None:
    """Teach jieba the knowledge base's terms so they stay whole tokens (idempotent, thread-safe)."""
    with _lock:
        for w in words:
            w = normalize(w)
            if len(w) >= 2 and w not in _loaded_words and not PUNCT_RE.search(w):
                jieba.add_word(w, freq=2000)
                _loaded_words.add(w)
        cut.cache_clear()


@lru_cache(maxsize=20000)
def cut(text: str) -> tuple[str, ...]:
    return tuple(t for t in jieba.lcut(text) if t.strip() and not PUNCT_RE.fullmatch(t))


def tokens(text: str, keep_stopwords: bool = False) -> list[str]:
    out = [t for t in cut(normalize(text))]
    return out if keep_stopwords else [t for t in out if t not in STOPWORDS]


def char_ngrams(text: str, n_min: int = 1, n_max: int = 3) -> list[str]:
    s = PUNCT_RE.sub("", normalize(text))
    return [s[i : i + n] for n in range(n_min, n_max + 1) for i in range(len(s) - n + 1)]
