"""Imported last by the pool's forkserver (``executors.Local``), after the stages. The rules read one sentence
first, which loads what every worker reads (the classifier's weights, the vocabularies, the compiled patterns);
then everything the forkserver holds is frozen out of the cyclic garbage collector. A worker forked from it
shares those memory pages instead of loading its own copy, or copying each page that a collection touches."""

import gc

from ingest.extract import rules

rules.text_rules("Amazon said on 2 March 2024 it would invest up to $4 billion in Anthropic.")
gc.freeze()
