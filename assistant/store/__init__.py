"""The on-disk index: the only package that knows the files under ``index/`` and imports faiss.

Layout (format 4, segments the way Lucene keeps them)::

    index/
      manifest.json          format, model, dimension, chunking, versions, counts, the commit's
                             name, its catalog and segments with every file's size and checksum,
                             the next chunk id; and what the previous commit used
      catalog-000007.sqlite  live articles' metadata and segment (no text), tombstones (dead
                             chunk ids of older segments), file -> article, source id -> article
      seg-000001/            an immutable segment:
        store.sqlite           articles (with text), chunks (offsets only), titles
        vectors.faiss          IndexIDMap2(float16 IndexScalarQuantizer, inner product), or IVF
                               (int8 lists) past 200k chunks; ids are global chunk ids
        titles.faiss           one vector per article title; id = the article's first chunk id
        terms-*.npy            BM25 posting arrays (see terms.py), memory-mapped
        chunks.npy             (chunk id, publication day, outlet number) per chunk: filters
      .verified.json         checksums already verified, by file identity (a cache)
      .lock                  flock'd by the one process allowed to write

A write stages new segments and a copy of the catalog in a temp folder, moves them in, then
swaps ``manifest.json`` with ``os.replace``: a crash at any moment leaves the old manifest
naming old, complete files, which no write ever modifies. An update's cost is its own articles
plus the catalog copy; past ``MAX_SEGMENTS`` a write merges the smallest segments, and
``assistant index optimize`` merges them all. Nothing is ever unpickled.
"""

from .format import FORMAT_VERSION, MANIFEST, legacy_contents, read_manifest, rebuild_hint
from .reader import ChunkRef, Snapshot
from .shards import Shards
from .writer import Writer, index_lock, write_generation

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "ChunkRef",
    "Shards",
    "Snapshot",
    "Writer",
    "index_lock",
    "legacy_contents",
    "read_manifest",
    "rebuild_hint",
    "write_generation",
]
