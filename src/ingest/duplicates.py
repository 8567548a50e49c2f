"""Near-duplicate detection: MinHash signatures of word shingles, looked up with LSH (datasketch)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from .shingles import text_grams

NUM_PERM = 128
THRESHOLD = 0.8  # estimated Jaccard similarity of 5-word shingles above which two texts are copies
BATCH = 4096  # grams hashed at once: 4096 x NUM_PERM x 8 bytes, 4 MB
SCHEME = MinHash(num_perm=1).scheme  # the hashing scheme signatures are stored under


def signature(text: str) -> LeanMinHash:
    """MinHash of the text's lower-cased word 5-grams: each distinct word is hashed once (BLAKE2b, 64 bits) and
    each gram's 32-bit hash mixed from its words' with numpy (wrapping arithmetic, the same on every machine;
    ``shingles.text_grams``)."""
    return from_grams(text_grams(text))


def from_grams(grams: bytes) -> LeanMinHash:
    """MinHash of a text's gram hashes (``shingles.text_grams``), ``BATCH`` at a time: datasketch holds a row of
    ``NUM_PERM`` hashes per gram of a batch (a 5 MB text hashed at once peaked at 850 MB)."""
    hashes = np.frombuffer(grams, dtype=np.uint32)
    m = MinHash(num_perm=NUM_PERM, hashfunc=int)
    for start in range(0, len(hashes), BATCH):
        m.update_batch(hashes[start : start + BATCH].tolist())
    return LeanMinHash(m)


def to_bytes(sig: LeanMinHash) -> bytes:
    """Compact storage form of a signature (its hash values)."""
    return sig.hashvalues.astype(np.uint64).tobytes()


def from_bytes(blob: bytes) -> LeanMinHash:
    """A signature back from its stored bytes."""
    return LeanMinHash(seed=1, hashvalues=np.frombuffer(blob, dtype=np.uint64), scheme=SCHEME)


class NearDuplicates:
    """An LSH index over stored documents; ``first_copy`` names the earliest near-identical one."""

    def __init__(self, signatures: Iterable[tuple[str, bytes, float]] = ()):
        """``signatures``: (document id, signature as stored, creation time) of the documents to index."""
        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self.order: dict[str, float] = {}
        for doc_id, blob, created_at in signatures:
            self.add(doc_id, from_bytes(blob), created_at)

    def add(self, doc_id: str, sig: LeanMinHash, created_at: float) -> None:
        """Index a document's signature."""
        if doc_id not in self.order:
            self.lsh.insert(doc_id, sig)
            self.order[doc_id] = created_at

    def first_copy(self, sig: LeanMinHash, exclude: set[str] | frozenset[str] = frozenset()) -> str | None:
        """The earliest indexed document whose text is a near-copy of this signature's, if any (not one of
        ``exclude``: the earlier versions of the same article)."""
        hits = [d for d in self.lsh.query(sig) if d not in exclude]
        return min(hits, key=lambda d: (self.order[d], d)) if hits else None
