"""Word piece ids of short ASCII texts without the tokenizers library.

A cold `qa ask` encodes one question; importing tokenizers and building its vocabulary
cost ~25 ms of CPU of it, while BERT's WordPiece rules for ASCII text are a few lines:
drop control characters, turn tabs and line breaks into spaces, lowercase, split on
spaces and around each punctuation mark, then cut each word greedily into the longest
pieces the vocabulary holds (the rest of a word carrying the "##" prefix), a word with no
such cut or longer than `max_input_chars_per_word` being one unknown piece; then [CLS]
and [SEP] around, truncated to `max_length`. Everything beyond ASCII (accents, CJK,
Unicode whitespace and punctuation) is where the library's Unicode tables matter, so
such a text, or one holding a special token's text, is left to the library.

The vocabulary and settings are the parts `index.embedding.tokenizer_parts` saved from
tokenizer.json (so they exist once the library has loaded it once); the embedder's
tests check these ids against the library's on many texts.
"""

from __future__ import annotations

import json
import string
from typing import Any

from index.embedding.tokenizer_parts import SETTINGS_FILE, VOCAB_FILE, parts_dir, verified_vocab

_CONTROLS = {c: None for c in range(32) if chr(c) not in "\t\n\r"} | {127: None}
_SPACES = {ord("\t"): " ", ord("\n"): " ", ord("\r"): " "}
_CLEAN = str.maketrans({**_CONTROLS, **_SPACES})
"""BertNormalizer's clean-up on ASCII: controls removed, tabs and line breaks made spaces."""
_AROUND_PUNCTUATION = str.maketrans({p: f" {p} " for p in string.punctuation})


class AsciiPieces:
    """BERT WordPiece ids for ASCII texts, from one tokenizer.json's saved parts.

    A plain class, not a dataclass: it exists to save a cold start milliseconds.
    """

    def __init__(self, vocab: dict[str, int], settings: dict[str, Any], around: list[int]) -> None:
        model = settings["model"]
        self.vocab = vocab
        self.lowercase: bool = settings["normalizer"]["lowercase"]
        self.unknown = vocab[model["unk_token"]]
        self.prefix: str = model["continuing_subword_prefix"]
        self.max_word = int(model["max_input_chars_per_word"])
        self.first, self.last = around
        """Ids of the special tokens put around every text ([CLS], [SEP])."""
        self.special = tuple(t["content"].lower() for t in settings["added_tokens"])
        """Added tokens' texts, lowercased: a text holding one is left to the library."""

    @classmethod
    def load(cls, digest: str) -> AsciiPieces | None:
        """From the parts saved for the tokenizer.json with this sha256, or None when
        there are none (yet), they are damaged, or their settings are not handled here."""
        try:
            folder = parts_dir(digest)
            settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
            words = verified_vocab(folder / VOCAB_FILE, settings)
            if words is None:
                return None
            return cls._from(settings, dict(zip(words, range(len(words)), strict=True)))
        except (OSError, ValueError, RecursionError, KeyError, TypeError):
            return None

    @classmethod
    def _from(cls, settings: dict[str, Any], vocab: dict[str, int]) -> AsciiPieces | None:
        normalizer, model = settings["normalizer"], settings["model"]
        if normalizer["clean_text"] is not True or not isinstance(normalizer["lowercase"], bool):
            return None
        single = settings["post_processor"]["single"]
        shape = [next(iter(piece)) for piece in single]
        if shape != ["SpecialToken", "Sequence", "SpecialToken"] or any(
            next(iter(piece.values()))["type_id"] != 0 for piece in single
        ):
            return None
        specials = settings["post_processor"]["special_tokens"]
        around = [specials[single[i]["SpecialToken"]["id"]]["ids"] for i in (0, 2)]
        if any(len(ids) != 1 for ids in around) or model["unk_token"] not in vocab:
            return None
        return cls(vocab, settings, [ids[0] for ids in around])

    def ids(self, text: str, max_length: int | None) -> list[int] | None:
        """[CLS], the text's pieces, [SEP], at most `max_length` ids in all; None for a
        text this cannot tokenize exactly (not ASCII, or holding a special token)."""
        if not text.isascii() or any(token in text.lower() for token in self.special):
            return None
        if max_length is not None and max_length < 2:
            return None
        text = text.translate(_CLEAN)
        if self.lowercase:
            text = text.lower()
        pieces: list[int] = []
        for word in text.translate(_AROUND_PUNCTUATION).split(" "):
            if word:
                pieces += self._word(word)
        if max_length is not None:
            pieces = pieces[: max_length - 2]
        return [self.first, *pieces, self.last]

    def _word(self, word: str) -> list[int]:
        if len(word) > self.max_word:
            return [self.unknown]
        out = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                found = self.vocab.get(piece)
                if found is not None:
                    out.append(found)
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return out
