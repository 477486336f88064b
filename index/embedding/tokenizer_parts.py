"""A BERT WordPiece tokenizer rebuilt from its parts: half the load time of tokenizer.json.

`Tokenizer.from_file` spent 25-45 ms of a cold `qa ask` on MiniLM's tokenizer.json,
nearly all of it reading the 30,522-word vocabulary out of JSON; `WordPiece.from_file`
reads the same words from a plain list, one a line, in 10-16 ms. So when a tokenizer.json
is exactly the BERT WordPiece shape (`BertNormalizer`, `BertPreTokenizer`, `WordPiece`,
a `TemplateProcessing` of special tokens, a `WordPiece` decoder), its first load saves
its parts in the cache: the word list and a small JSON of every other setting, in a
folder named by the sha256 of the tokenizer.json bytes, so an edited tokenizer.json
never meets the parts of its former self. Later loads build the same tokenizer from them.

The parts are saved only once a tokenizer built from them encoded a set of probe texts
(accents, CJK, control characters, special tokens, over-long words, truncation) exactly
as tokenizer.json's own did; a word list whose sha256 no longer matches its settings
(damage) is not used. Anything else loads tokenizer.json as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.locations import cache_dir

if TYPE_CHECKING:
    from tokenizers import Tokenizer

PARTS_DIR = "tokenizers"
SETTINGS_FILE = "parts.json"
VOCAB_FILE = "vocab.txt"
FORMAT = 1
"""Bumped whenever what the settings file holds, or how it is read, changes."""

_TOP_KEYS = {
    "version",
    "truncation",
    "padding",
    "added_tokens",
    "normalizer",
    "pre_tokenizer",
    "post_processor",
    "decoder",
    "model",
}
_NORMALIZER_KEYS = {"type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase"}
_MODEL_KEYS = {
    "type",
    "unk_token",
    "continuing_subword_prefix",
    "max_input_chars_per_word",
    "vocab",
}
_ADDED_KEYS = {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"}

PROBES = (
    "Which NFL team represented the AFC at Super Bowl 50?",
    "  Leading, trailing  and\tinner\nwhitespace\r\n ",
    "Crème brûlée, naïve façade, Ångström, Œuvre, İstanbul, straße, ΣΊΣΥΦΟΣ",
    "東京は日本の首都です。北京市和上海市。한국어 텍스트",
    "control\x00chars\x07here\x1b[0m and \u200bzero\ufeffwidth \ufffd",
    "[CLS] special [SEP] tokens [MASK] inside [UNK] text [PAD]",
    "a" * 150 + " " + "pneumonoultramicroscopicsilicovolcanoconiosis",
    "Emoji 🙂👍🏽 and symbols ©®™ ½ ⅓ ∑ √ ≠ → «quotes» „German“ 'single' \"double\"",
    "email@example.com https://example.org/path?q=1&b=2 #hashtag $100.50 3.14159",
    " ".join(f"word{i}" for i in range(400)),
)
"""Texts the parts must encode exactly as tokenizer.json does before they are saved."""


def tokenizer_json_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parts_dir(digest: str) -> Path:
    """Where the parts of the tokenizer.json with this sha256 are saved."""
    return cache_dir() / PARTS_DIR / digest


def load_from_parts(digest: str) -> Tokenizer | None:
    """The tokenizer saved as parts for this tokenizer.json sha256, or None (none saved,
    unreadable or damaged)."""
    try:
        folder = parts_dir(digest)
        settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        if verified_vocab(folder / VOCAB_FILE, settings) is None:
            return None
        return _assemble(settings, folder / VOCAB_FILE)
    except Exception:  # noqa: BLE001 - unreadable, or settings we cannot build from
        return None


def verified_vocab(path: Path, settings: object) -> list[str] | None:
    """The saved words in id order, if `settings` are of this format and the word list
    still has the sha256 they record (else None: damaged, or from another version)."""
    if not isinstance(settings, dict) or settings.get("format") != FORMAT:
        return None
    vocab = path.read_bytes()
    if hashlib.sha256(vocab).hexdigest() != settings.get("vocab_sha256"):
        return None
    return vocab.decode("utf-8").split("\n")[:-1]


def save_parts(data: bytes, digest: str, reference: Tokenizer) -> bool:
    """Save the parts of the tokenizer.json `data` if it has the BERT WordPiece shape and a
    tokenizer built from them encodes the probes as `reference` (loaded from `data`) does.

    Best effort: False when the shape is another or the cache cannot be written.
    """
    try:
        found = _bert_wordpiece_parts(json.loads(data))
        if found is None:
            return False
        settings, words = found
        # Strict UTF-8: a word JSON can hold but a word list cannot (a lone surrogate)
        # means another shape.
        vocab = "".join(f"{word}\n" for word in words).encode("utf-8")
    except (ValueError, RecursionError):
        return False
    settings["vocab_sha256"] = hashlib.sha256(vocab).hexdigest()
    try:
        target = parts_dir(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{digest[:16]}.", dir=target.parent))
    except OSError:
        return False
    try:
        (work / VOCAB_FILE).write_bytes(vocab)
        (work / SETTINGS_FILE).write_text(json.dumps(settings, indent=1), encoding="utf-8")
        rebuilt = _assemble(settings, work / VOCAB_FILE)
        if not same_encodings(rebuilt, reference):
            return False
        # The folder appears by one rename with both files inside; a folder that is
        # already there is another process's copy of the same parts.
        os.rename(work, target)
        return True
    except Exception:  # noqa: BLE001 - the parts are an optimisation; tokenizer.json works
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)


def same_encodings(one: Tokenizer, other: Tokenizer, texts: tuple[str, ...] = PROBES) -> bool:
    """Whether two tokenizers encode `texts` alike in every field a caller reads, whole
    and truncated."""
    for truncate in (None, 16):
        for tokenizer in (one, other):
            tokenizer.no_padding()
            if truncate is None:
                tokenizer.no_truncation()
            else:
                tokenizer.enable_truncation(max_length=truncate)
        if [_fields(e) for e in one.encode_batch(list(texts))] != [
            _fields(e) for e in other.encode_batch(list(texts))
        ]:
            return False
    pairs = [(texts[0], texts[-1])]
    return [_fields(e) for e in one.encode_batch(pairs)] == [
        _fields(e) for e in other.encode_batch(pairs)
    ]


def _fields(encoding: Any) -> tuple:
    return (
        encoding.ids,
        encoding.type_ids,
        encoding.tokens,
        encoding.offsets,
        encoding.special_tokens_mask,
        encoding.attention_mask,
        encoding.word_ids,
        [_fields(o) for o in encoding.overflowing],
    )


def _bert_wordpiece_parts(spec: object) -> tuple[dict[str, Any], list[str]] | None:
    """(settings, words in id order) of a tokenizer.json of the supported shape, else None."""
    if not isinstance(spec, dict) or not set(spec) <= _TOP_KEYS:
        return None
    normalizer, model = spec.get("normalizer"), spec.get("model")
    if not isinstance(normalizer, dict) or normalizer.get("type") != "BertNormalizer":
        return None
    if set(normalizer) != _NORMALIZER_KEYS:
        return None
    if spec.get("pre_tokenizer") != {"type": "BertPreTokenizer"}:
        return None
    if not isinstance(model, dict) or model.get("type") != "WordPiece" or set(model) != _MODEL_KEYS:
        return None
    words = _words_in_id_order(model["vocab"])
    if words is None:
        return None
    processor, decoder = spec.get("post_processor"), spec.get("decoder")
    if not isinstance(processor, dict) or processor.get("type") != "TemplateProcessing":
        return None
    decoder_type = decoder.get("type") if isinstance(decoder, dict) else decoder
    if decoder_type not in (None, "WordPiece"):
        return None
    added = spec.get("added_tokens") or []
    if not isinstance(added, list) or any(
        not isinstance(t, dict) or set(t) != _ADDED_KEYS for t in added
    ):
        return None
    settings = {
        "format": FORMAT,
        "normalizer": {k: v for k, v in normalizer.items() if k != "type"},
        "model": {k: v for k, v in model.items() if k not in ("type", "vocab")},
        "added_tokens": added,
        "post_processor": processor,
        "decoder": decoder,
    }
    return settings, words


def _words_in_id_order(vocab: object) -> list[str] | None:
    """The vocabulary as a list indexed by id, if a word list one a line can hold it: ids
    0..n-1 each once, no word with a line break or trailing whitespace (the reader strips
    it)."""
    if not isinstance(vocab, dict):
        return None
    words: list[str | None] = [None] * len(vocab)
    for word, index in vocab.items():
        if not isinstance(index, int) or not 0 <= index < len(words) or words[index] is not None:
            return None
        if "\n" in word or "\r" in word or word != word.rstrip():
            return None
        words[index] = word
    return words  # type: ignore[return-value]  # every slot was filled exactly once


def _assemble(settings: dict[str, Any], vocab_file: Path) -> Tokenizer:
    from tokenizers import (
        AddedToken,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    model = settings["model"]
    tokenizer = Tokenizer(
        models.WordPiece.from_file(
            str(vocab_file),
            unk_token=model["unk_token"],
            continuing_subword_prefix=model["continuing_subword_prefix"],
            max_input_chars_per_word=model["max_input_chars_per_word"],
        )
    )
    tokenizer.normalizer = normalizers.BertNormalizer(**settings["normalizer"])
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    processor = settings["post_processor"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=_template(processor["single"]),
        pair=_template(processor["pair"]),
        special_tokens=list(processor["special_tokens"].values()),
    )
    decoder = settings["decoder"]
    if decoder is not None:
        tokenizer.decoder = decoders.WordPiece(prefix=decoder["prefix"], cleanup=decoder["cleanup"])
    for token in settings["added_tokens"]:
        added = AddedToken(
            token["content"],
            single_word=token["single_word"],
            lstrip=token["lstrip"],
            rstrip=token["rstrip"],
            normalized=token["normalized"],
            special=token["special"],
        )
        if token["special"]:
            tokenizer.add_special_tokens([added])
        else:
            tokenizer.add_tokens([added])
        if tokenizer.token_to_id(token["content"]) != token["id"]:
            raise ValueError(f"added token {token['content']!r} did not keep id {token['id']}")
    return tokenizer


def _template(pieces: list[dict[str, dict[str, Any]]]) -> list[str]:
    """tokenizer.json's template (`SpecialToken` and `Sequence` pieces) in the API's form."""
    out = []
    for piece in pieces:
        ((kind, value),) = piece.items()
        name = value["id"] if kind == "SpecialToken" else f"${value['id']}"
        out.append(f"{name}:{value['type_id']}")
    return out
