"""The BM25 keyword index: tokens, scores, filters, incremental edits and its file."""

import numpy as np
import pytest

from assistant.store.format import TERM_FILES
from assistant.store.terms import SegmentedTerms, TermIndex, merged
from assistant.text.tokens import query_terms
from assistant.text.tokens import terms as tokens

DOCS = {
    1: ("Lyman", "Ukrainian forces recaptured Lyman after encircling Russian troops."),
    2: ("Kherson", "Russian troops withdrew from Kherson across the Dnipro river."),
    3: ("Bakhmut", "Shelling continued in Bakhmut as Wagner fighters advanced."),
    4: ("Café", "The café in Kyiv reopened; its owner said business was returning."),
}


def build(docs=DOCS) -> TermIndex:
    edit = TermIndex.empty().edit()
    for cid, (title, body) in docs.items():
        edit.add(cid, title, body)
    return edit.result()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Recaptured LYMAN", ["recaptur", "lyman"]),
        ("café, cafe", ["cafe", "cafe"]),
        ("U.S. troops_2022", ["u", "s", "troop", "2022"]),
        ("", []),
    ],
)
def test_tokens_are_lowercased_unaccented_porter_stems(text, expected):
    assert tokens(text) == expected


def test_the_chunk_holding_the_rare_words_ranks_first():
    hits = build().search(query_terms("recapture Lyman"), 10)
    assert hits[0][0] == 1 and all(score > 0 for _, score in hits)


def test_unknown_words_and_empty_queries_find_nothing():
    index = build()
    assert index.search(["zzzz"], 5) == [] and index.search([], 5) == []
    assert TermIndex.empty().search(["lyman"], 5) == []


def test_allowed_ids_restrict_before_the_cut():
    index = build()
    assert [c for c, _ in index.search(query_terms("Russian troops"), 1, np.array([2]))] == [2]
    assert index.search(["russian"], 5, np.array([], dtype=np.int64)) == []


def test_title_words_weigh_more_than_body_words():
    docs = {1: ("Kherson", "A quiet day."), 2: ("Report", "Kherson was quiet.")}
    assert build(docs).search(["kherson"], 2)[0][0] == 1


@pytest.mark.parametrize(
    "removed,added",
    [
        ([2], {4: DOCS[4]}),  # new ids after the old ones: the linear merge
        ([], {4: DOCS[4]}),  # only additions: the linear merge, nothing removed
        ([1], {}),  # only a removal
        ([3], {3: DOCS[4]}),  # a removed id used again: the full sort
        ([], {1: DOCS[4]}),  # an id replaced without removal
        ([1, 2, 3], {}),
    ],
)
def test_an_edit_gives_the_same_scores_as_a_fresh_build(removed, added):
    base = build({k: v for k, v in DOCS.items() if k != 4})
    edit = base.edit()
    edit.remove(removed)
    for cid, (title, body) in added.items():
        edit.add(cid, title, body)
    edited = edit.result()
    after = {k: v for k, v in DOCS.items() if k != 4 and k not in removed} | added
    fresh = build(dict(sorted(after.items())))
    for query in (["russian", "troops"], ["kyiv", "cafe"], ["bakhmut"], ["lyman"]):
        got, want = edited.search(query, 5), fresh.search(query, 5)
        assert [c for c, _ in got] == [c for c, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want])
    assert base.search(["kherson"], 5)[0][0] == 2  # the base index is untouched


def test_removing_every_chunk_leaves_an_empty_index():
    edit = build().edit()
    edit.remove(DOCS)
    empty = edit.result()
    assert len(empty) == 0 and empty.search(["lyman"], 5) == [] and empty.vocab == []


def test_file_round_trip_keeps_scores(tmp_path):
    index = build()
    index.save(tmp_path, TERM_FILES)
    loaded = TermIndex.load(tmp_path, TERM_FILES)
    assert loaded.search(["russian", "cafe"], 5) == index.search(["russian", "cafe"], 5)
    (tmp_path / "empty").mkdir()
    TermIndex.empty().save(tmp_path / "empty", TERM_FILES)
    assert len(TermIndex.load(tmp_path / "empty", TERM_FILES)) == 0


@pytest.mark.parametrize(
    "n,nonzero,levels",
    [
        (50, 50, 1000),  # smaller than the sample
        (200_000, 150_000, 7),  # a big archive, common words, many ties at the cut
        (200_000, 60, 1000),  # fewer nonzero scores than the limit
        (200_000, 0, 10),  # nothing matched
        (30_000, 30_000, 1),  # every score equal
    ],
)
def test_top_is_the_exact_best_with_ties_broken_by_chunk_id(n, nonzero, levels):
    rng = np.random.default_rng(n + nonzero)
    scores = np.zeros(n, dtype=np.float32)
    hit = rng.choice(n, nonzero, replace=False)
    scores[hit] = rng.integers(1, levels + 1, nonzero).astype(np.float32) / levels
    ids = np.flatnonzero(scores)
    full_sort = ids[np.lexsort((ids, -scores[ids]))][:100]
    assert TermIndex.top(scores, 100) == [(int(c), float(scores[c])) for c in full_sort]


MORE = {
    5: ("Odesa", "Grain ships left Odesa as Russian shelling paused."),
    6: ("Kyiv", "Power cuts hit Kyiv after Russian missile strikes on the grid."),
    7: ("Lyman", "Troops cleared mines around Lyman."),
}


@pytest.mark.parametrize("dead", [[], [2], [5, 1], [6, 7]])
def test_segments_scored_together_rank_like_one_merged_index(dead):
    first, second = build(DOCS), build(MORE)
    owner = np.full(8, -1, dtype=np.int16)
    owner[list(DOCS)] = 0
    owner[list(MORE)] = 1
    owner[dead] = -1
    together = SegmentedTerms(
        [(0, first, bool(set(dead) & set(DOCS))), (1, second, bool(set(dead) & set(MORE)))], owner
    )
    live = {k: v for k, v in (DOCS | MORE).items() if k not in dead}
    one = build(live)
    folded = merged(
        [
            (first, ~np.isin(first.doc_ids, dead)),
            (second, ~np.isin(second.doc_ids, dead)),
        ]
    )
    for query in (["russian", "troop"], ["kyiv", "cafe"], ["lyman"], ["grain", "odesa"]):
        want = one.search(query, 10)
        got = together.top(together.scores(query), 10)
        assert [c for c, _ in got] == [c for c, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want])
        again = folded.search(query, 10)
        assert [c for c, _ in again] == [c for c, _ in want]
        assert [s for _, s in again] == pytest.approx([s for _, s in want])
    assert len(together) == len(one) == len(folded)
