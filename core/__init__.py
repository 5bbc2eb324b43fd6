"""The shared foundation: types, errors, settings, text mechanics, the embedder, the corpus and reading the index.

Every other package may import it; it imports none of them (tests/test_layers.py guards that).
"""
