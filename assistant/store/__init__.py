"""The on-disk index: the only package that knows the files under ``index/`` and imports faiss.

Layout (format 3)::

    index/
      manifest.json          format, model, dimension, chunking, counts, file checksums,
                             and the name of the current generation folder
      gen-000003/
        store.sqlite         articles, chunks (offsets only), titles, file->article sources
        vectors.faiss        IndexIDMap2(float16 IndexScalarQuantizer, inner product); ids are chunk row ids
        terms.npz            BM25 posting arrays (see terms.py)
        titles.faiss         one vector per article title, same kind as vectors.faiss; ids are
                             the article's first chunk id (table ``titles`` maps them back)
      .lock                  flock'd by the one process allowed to write

A write builds a whole new generation folder beside the current one, then swaps
``manifest.json`` with ``os.replace``: a crash at any moment leaves the old manifest pointing at
the old, complete generation. Nothing is ever unpickled.
"""

from .format import FORMAT_VERSION, MANIFEST, read_manifest, rebuild_hint
from .reader import ChunkRef, Snapshot
from .writer import Writer, index_lock, write_generation

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "ChunkRef",
    "Snapshot",
    "Writer",
    "index_lock",
    "read_manifest",
    "rebuild_hint",
    "write_generation",
]
