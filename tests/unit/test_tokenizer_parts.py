"""The model's tokenizer loaded from its saved parts encodes exactly as tokenizer.json's.

`load_tokenizer` saves a BERT WordPiece tokenizer.json as parts on its first load and
builds from them later (index.embedding.tokenizer_parts); every field the embedder reads
must agree with tokenizer.json's own tokenizer on many varied texts. Any other shape, and
damaged parts, load tokenizer.json. Short ASCII texts (a question) are cut into pieces
from the same parts without the library (index.embedding.ascii_pieces): the same ids.
"""

from __future__ import annotations

import json
import random
import shutil
import string
from pathlib import Path

import numpy as np
import pytest
from library_fixtures import SHARED
from tokenizers import Tokenizer

from index.embedding import tokenizer_parts
from index.embedding.ascii_pieces import AsciiPieces
from index.embedding.embed import load_embedder
from index.embedding.model import default_model_path, load_tokenizer

RANGES = [
    (0x20, 0x7E),  # ASCII
    (0x00, 0x1F),  # C0 controls, tab, line breaks
    (0x7F, 0x9F),  # DEL, C1 controls
    (0xA0, 0x24F),  # Latin-1 and Latin Extended: accents, ß, Œ, non-breaking space
    (0x300, 0x36F),  # combining marks
    (0x370, 0x52F),  # Greek, Cyrillic
    (0x590, 0x6FF),  # Hebrew, Arabic
    (0x2000, 0x206F),  # spaces, zero-width characters, dashes, quotes
    (0x3000, 0x30FF),  # ideographic space and punctuation, kana
    (0x4E00, 0x9FFF),  # CJK ideographs
    (0xAC00, 0xD7A3),  # Hangul
    (0xE000, 0xE0FF),  # private use
    (0xFE00, 0xFFFF),  # variation selectors, BOM, specials (U+FFFD), unassigned
    (0x1F300, 0x1FAFF),  # emoji
    (0x20000, 0x2A6DF),  # CJK extension B
]


def varied_texts(count: int, seed: int = 13) -> list[str]:
    """Random texts of words drawn from every range above, some long, some empty."""
    rng = random.Random(seed)
    texts = []
    for n in range(count):
        words = []
        for _ in range(rng.choice([0, 1, 3, 12, 60, 400 if n % 50 == 0 else 30])):
            low, high = rng.choice(RANGES) if rng.random() < 0.6 else RANGES[0]
            size = rng.choice([1, 2, 5, 9, 130 if rng.random() < 0.05 else 4])
            words.append("".join(chr(rng.randint(low, high)) for _ in range(size)))
        texts.append(rng.choice([" ", "  ", "\t", "\n", "\u3000", ""]).join(words))
    texts += ["", " ", "[CLS]", "a [SEP] b [MASK]", "x" * 120, "word " * 20_000]
    return texts


def article_texts() -> list[str]:
    folder = SHARED / "eval" / "squad_dev_v1.1" / "articles"
    return [
        paragraph
        for path in sorted(folder.glob("*.txt"))[:12]
        for paragraph in path.read_text(encoding="utf-8").split("\n\n")
    ]


def fields(tokenizer: Tokenizer, texts: list) -> list[tuple]:
    return [
        (e.ids, e.type_ids, e.offsets, e.special_tokens_mask, e.attention_mask, e.tokens)
        for e in tokenizer.encode_batch(texts)
    ]


def reference(folder: Path, max_length: int | None) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    if max_length is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def digest_of(folder: Path) -> str:
    return tokenizer_parts.tokenizer_json_digest((folder / "tokenizer.json").read_bytes())


def saved_parts(folder: Path) -> Path:
    return tokenizer_parts.parts_dir(digest_of(folder))


@pytest.fixture
def model_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the packaged model's tokenizer.json, with a cache of its own."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(default_model_path() / "tokenizer.json", folder / "tokenizer.json")
    return folder


@pytest.mark.parametrize("max_length", [256, None])
def test_the_tokenizer_built_from_parts_encodes_as_tokenizer_json(
    model_folder: Path, max_length: int | None
) -> None:
    first = load_tokenizer(model_folder, max_length)
    assert (saved_parts(model_folder) / tokenizer_parts.VOCAB_FILE).is_file()
    from_parts = load_tokenizer(model_folder, max_length)
    assert tokenizer_parts.load_from_parts(digest_of(model_folder)) is not None
    texts = varied_texts(1500) + article_texts()
    expected = fields(reference(model_folder, max_length), texts)
    assert fields(from_parts, texts) == expected
    assert fields(first, texts) == expected
    pairs = list(zip(texts[:200], texts[200:400], strict=True))
    assert fields(from_parts, pairs) == fields(reference(model_folder, max_length), pairs)


def test_another_tokenizer_shape_loads_tokenizer_json(model_folder: Path) -> None:
    spec = json.loads((model_folder / "tokenizer.json").read_text(encoding="utf-8"))
    spec["pre_tokenizer"] = {"type": "Whitespace"}
    (model_folder / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    texts = varied_texts(200)
    for _ in range(2):
        tokenizer = load_tokenizer(model_folder, 256)
        assert fields(tokenizer, texts) == fields(reference(model_folder, 256), texts)
    assert not saved_parts(model_folder).exists()


def test_damaged_parts_are_not_used(model_folder: Path) -> None:
    load_tokenizer(model_folder, 256)
    vocab = saved_parts(model_folder) / tokenizer_parts.VOCAB_FILE
    words = vocab.read_text(encoding="utf-8").splitlines()
    words[2000], words[2001] = words[2001], words[2000]  # two words trade ids
    vocab.write_text("".join(f"{w}\n" for w in words), encoding="utf-8")
    texts = varied_texts(200) + [" ".join(words[1990:2010])]
    tokenizer = load_tokenizer(model_folder, 256)
    assert fields(tokenizer, texts) == fields(reference(model_folder, 256), texts)


def test_an_edited_tokenizer_json_never_uses_the_parts_of_its_former_self(
    model_folder: Path,
) -> None:
    load_tokenizer(model_folder, 256)
    spec = json.loads((model_folder / "tokenizer.json").read_text(encoding="utf-8"))
    spec["normalizer"]["lowercase"] = False
    (model_folder / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    texts = ["Which NFL Team?", *varied_texts(200)]
    for _ in range(2):
        tokenizer = load_tokenizer(model_folder, 256)
        assert fields(tokenizer, texts) == fields(reference(model_folder, 256), texts)
    assert tokenizer.encode("NFL").ids != tokenizer.encode("nfl").ids


def ascii_texts(count: int, seed: int = 7) -> list[str]:
    """ASCII texts: every character (controls included), punctuation runs, words of the
    vocabulary and not, words past `max_input_chars_per_word`, texts past 256 pieces."""
    rng = random.Random(seed)
    every = [chr(c) for c in range(128)]
    words = "the of running unaffable xyzzyqq Super Bowl NFL 50 3.14 don't e-mail U.S.A".split()
    words += list(string.punctuation) + ["\t", "\x0b", "\x0c", "\x1f", "\x7f", "a" * 100]
    texts = ["".join(rng.choice(every) for _ in range(rng.randint(0, 90))) for _ in range(count)]
    texts += [
        " ".join(rng.choice(words) for _ in range(rng.choice([0, 3, 20, 20, 20, 400])))
        for _ in range(count)
    ]
    questions = SHARED / "eval" / "squad_dev_v1.1" / "questions.jsonl"
    lines = questions.read_text(encoding="utf-8").splitlines()[:3000]
    return texts + [json.loads(line)["question"] for line in lines] + ["", "b" * 101, "c" * 2000]


@pytest.mark.parametrize("max_length", [256, 12, None])
def test_ascii_pieces_are_the_tokenizers_ids(model_folder: Path, max_length: int | None) -> None:
    load_tokenizer(model_folder, max_length)  # saves the parts
    pieces = AsciiPieces.load(digest_of(model_folder))
    assert pieces is not None
    texts = [t for t in ascii_texts(800) if t.isascii()]
    assert len(texts) > 4000
    expected = [e.ids for e in reference(model_folder, max_length).encode_batch(texts)]
    got = [pieces.ids(text, max_length) for text in texts]
    assert sum(row is None for row in got) < 10  # only texts naming a special token
    assert [row for row in got if row is not None] == [
        ids for ids, row in zip(expected, got, strict=True) if row is not None
    ]


def test_ascii_pieces_leave_other_texts_to_the_library(model_folder: Path) -> None:
    load_tokenizer(model_folder, 256)
    pieces = AsciiPieces.load(digest_of(model_folder))
    assert pieces is not None
    for text in ["café", "Tōkyō?", "東京", "a\u00a0b", "x\u200by", "[CLS] what", "a [mask]"]:
        assert pieces.ids(text, 256) is None, text
    assert pieces.ids("What is it?", 256) == reference(model_folder, 256).encode("What is it?").ids


def test_ascii_pieces_need_the_saved_parts(model_folder: Path) -> None:
    assert AsciiPieces.load(digest_of(model_folder)) is None  # nothing saved yet
    load_tokenizer(model_folder, 256)
    vocab = saved_parts(model_folder) / tokenizer_parts.VOCAB_FILE
    vocab.write_bytes(vocab.read_bytes().replace(b"\nthe\n", b"\nteh\n"))
    assert AsciiPieces.load(digest_of(model_folder)) is None  # damaged


def test_a_question_encodes_alike_with_and_without_the_tokenizers_library() -> None:
    load_tokenizer(default_model_path())  # the parts are saved by the library's first load
    embedder = load_embedder(backend="onnx")
    question = "Which NFL team represented the AFC at Super Bowl 50?"
    quick = embedder.encode([question])
    # A span asks for token offsets, which only the library gives.
    library, _ = embedder.encode_spans([question], [[(0, 5)]])
    np.testing.assert_array_equal(quick, library)
    assert embedder._loaded._ascii  # type: ignore[attr-defined]  # the quick path was there


def test_a_cache_that_cannot_be_written_only_costs_the_saving(
    model_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("QA_CACHE_DIR", str(blocked))
    texts = varied_texts(100)
    for _ in range(2):
        tokenizer = load_tokenizer(model_folder, 256)
        assert fields(tokenizer, texts) == fields(reference(model_folder, 256), texts)
    assert AsciiPieces.load(digest_of(model_folder)) is None
