"""The hashes of a text's word 5-grams, the input of its near-duplicate signature (``duplicates``). Numpy only:
the pool's workers make them beside the cleaning without loading datasketch and scipy (about 58 MB a process)."""

from __future__ import annotations

import hashlib
import re

import numpy as np

SHINGLE = 5
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it mixes a word's hash into its gram's


def text_grams(text: str) -> bytes:
    """The 32-bit hashes of the lower-cased word 5-grams of ``text``, as the bytes of a uint32 array (what a
    worker sends back: 4 bytes a word)."""
    return gram_hashes(re.findall(r"\w+", text.lower())).astype(np.uint32).tobytes()


def gram_hashes(words: list[str]) -> np.ndarray:
    """32-bit hashes of the ``SHINGLE``-word grams of ``words`` (one gram of them all when fewer)."""
    ids: dict[str, int] = {}
    at = np.fromiter((ids.setdefault(w, len(ids)) for w in words), dtype=np.int64, count=len(words))
    digest = (int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") for w in ids)
    h = np.fromiter(digest, dtype=np.uint64, count=len(ids))[at]
    n = max(1, len(words) - SHINGLE + 1)
    g = np.zeros(n, dtype=np.uint64)
    for k in range(min(SHINGLE, len(words))):
        g = g * _MIX + h[k : k + n]
    g ^= g >> np.uint64(31)  # the high bits, taken below, depend on every word
    g *= _MIX
    return g >> np.uint64(32)
