"""Small text tools every layer shares: one tokenizer, entities, dates, quote marks, sentences.

Pure functions, no I/O. Nothing here imports from the rest of the package, so ingest, the
keyword index, retrieval and answering all read text the same way.
"""
