"""ONNX backend: the model's transformer, exported once (`onnx_export`), run by onnxruntime.

Why: loading torch and sentence-transformers costs seconds on every `qa ask`, while an
onnxruntime session over the exported graph loads in a fraction of that and encodes at
least as fast on CPU.

The graph outputs token states; mean pooling over the attention mask and L2 normalisation
happen here in numpy, exactly as sentence-transformers' Pooling and Normalize modules do.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from index.embedding.ascii_pieces import AsciiPieces
from index.embedding.model import ModelSpec, load_tokenizer, set_runtime_environment
from index.embedding.onnx_export import MODEL_FILE, fsync_file
from index.embedding.pooling import CharSpan, normalised, pool_ranges, token_ranges
from index.embedding.tokenizer_parts import tokenizer_json_digest

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

# Padded cells (rows x width) per onnxruntime call. Measured on 2 cores with 256-piece
# paragraphs: batches of ~16 long rows ran ~1.4x faster than 64, the activations of a
# big batch falling out of cache; short texts (questions) still batch 64 at a time.
TOKEN_BUDGET = 4096
MIN_BATCH_ROWS = 8
SHORTER_ROW = 0.75
"""A row shorter than this fraction of its batch's width starts a new batch (see _batches)."""
OPTIMIZED_PREFIX = "optimized-ort"
WEIGHTS_FILE = "weights.bin"
PREPACK_AFTER_CELLS = 50_000
"""Padded cells of long inputs encoded before pre-packing pays: it costs ~0.1 s once and
saves ~0.012 ms a cell on 256-piece passages (~12 batches of 4096 cells)."""
PREPACK_MIN_WIDTH = 64
"""Only batches this wide count towards `PREPACK_AFTER_CELLS`."""
QUICK_TEXTS = 8
"""Up to this many texts without spans (a question or a few) are cut into pieces without
the tokenizers library when they are ASCII (`ascii_pieces`): a cold `qa ask` never
imports it nor builds its vocabulary."""
PREPACK_AFTER_RUNS = 8
"""Calls of any width before pre-packing: without it each call packs every weight
matrix again, most of the work for one short question (14 pieces, 2 cores: 11.9 ms
plain, 6.0 ms pre-packed), so a process asking question after question (the chat,
`qa ask -`, `qa eval`) repays the ~0.06-0.09 s move within a few questions, while a
one-question `qa ask` never pays it."""


_THREAD_LIMIT: int | None = None


def limit_threads(count: int) -> None:
    """Use at most `count` threads in sessions this process opens from now on: a shard
    build's worker process (`index.shards`) runs beside others, one core each."""
    global _THREAD_LIMIT
    _THREAD_LIMIT = max(1, count)


def _thread_count() -> int:
    # Physical parallelism available to this process; onnxruntime's default spins one
    # thread per logical core, which oversubscribes small machines and containers.
    if _THREAD_LIMIT is not None:
        return _THREAD_LIMIT
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _batches(
    order: list[int], lengths: list[int], batch_size: int, token_budget: int
) -> Iterator[list[int]]:
    """Runs of `order` (longest first) of at most `batch_size` rows and ~`token_budget` cells.

    A run also ends where the rows get much shorter than its first (padding would be most
    of the batch), once it has `MIN_BATCH_ROWS`: a call costs ~4.5 ms fixed plus ~0.14 ms
    a cell on 2 cores, so 64 SQuAD questions (8-39 pieces) cost 3.8 ms each in one
    padded batch and 2.6 ms in runs cut this way. Padding is masked exactly, so how
    texts are batched never changes their vectors.
    """
    start = 0
    while start < len(order):
        # The first row is the longest, so it sets the padded width of the whole batch.
        width = max(1, lengths[order[start]])
        rows = max(1, min(batch_size, token_budget // width))
        end = start + 1
        while end < len(order) and end - start < rows:
            if end - start >= MIN_BATCH_ROWS and lengths[order[end]] < SHORTER_ROW * width:
                break
            end += 1
        yield order[start:end]
        start = end


class OnnxBackend:
    """An onnxruntime session over one export folder, with pooling and normalisation.

    Start-up is most of a one-question `qa ask`, so the session is made cheap to open:
    - The graph onnxruntime optimises on every load is optimised once and saved beside
      the export (`optimized_graph_dir`), then loaded with optimisation off.
    - That saved graph keeps its weights in a separate file, which onnxruntime
      memory-maps instead of copying 90 MB out of a protobuf (RSS 188 -> 107 MB).
    - Weight pre-packing (a re-layout of every MatMul weight for faster GEMM) is off at
      first: it costs ~0.1 s per load and pays back only over many inputs. After
      `PREPACK_AFTER_RUNS` calls, or `PREPACK_AFTER_CELLS` padded cells of long inputs,
      the backend moves to a pre-packed session: ~5-8% faster on passages, ~2x on
      single questions.
    Measured per process on 2 busy cores: session 0.25-0.32 s -> ~0.04 s.
    """

    def __init__(self, folder: Path, spec: ModelSpec, *, saved_graph: bool = True) -> None:
        """`saved_graph=False` opens the plain export, optimised at load (the reference)."""
        set_runtime_environment()  # before the import: it turns telemetry off
        import onnxruntime as ort

        self._ort = ort
        self.spec = spec
        self._tokenizer: Tokenizer | None = None
        self._ascii: AsciiPieces | None | bool = None
        """`ascii_pieces` for short texts: None until first tried, False if unavailable."""
        self.token_budget = TOKEN_BUDGET
        self.graph, self.optimized = folder / MODEL_FILE, False
        """The graph file the session runs, and whether it is the saved optimised one."""
        if saved_graph:
            self.session = self._open_optimized(folder)
        else:
            self.session = self._session(prepack=False)
        self.prepacked = False
        self._cells = 0
        self._runs = 0
        self._swap = threading.Lock()
        self.inputs = [i.name for i in self.session.get_inputs()]

    @property
    def tokenizer(self) -> Tokenizer:
        """The model's tokenizer (the tokenizers library), loaded on first need."""
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.spec.path, max_length=self.spec.max_seq_length)
        return self._tokenizer

    def _open_optimized(self, folder: Path) -> onnxruntime.InferenceSession:
        """A session on the saved optimised graph, saving it first if need be.

        Falls back to the plain export, optimised at each load as before, when saving
        is impossible (read-only cache) or fails; a saved graph that does not load is
        made again.
        """
        target = optimized_graph_dir(folder, self._ort.__version__)
        damaged = False
        for attempt in range(2):
            if (target / MODEL_FILE).is_file():
                self.graph, self.optimized = target / MODEL_FILE, True
                try:
                    return self._session(prepack=False)
                except Exception:  # noqa: BLE001 - damaged or foreign: made again below
                    self.graph, self.optimized = folder / MODEL_FILE, False
                    damaged = True
            elif target.exists():
                # It appears by one rename with the graph inside: without it, it is damaged.
                damaged = True
            if attempt == 0:
                try:
                    _save_optimized(self._ort, folder, target, replace=damaged)
                except Exception:  # noqa: BLE001 - the plain export still works
                    break
        return self._session(prepack=False)

    def _session(self, prepack: bool) -> onnxruntime.InferenceSession:
        ort = self._ort
        options = _session_options(ort)
        if self.optimized:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        if not prepack:
            options.add_session_config_entry("session.disable_prepacking", "1")
        return ort.InferenceSession(
            str(self.graph), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def _count(self, cells: int) -> None:
        """Move to a pre-packed session once enough text has gone through to repay it."""
        self._cells += cells
        self._runs += 1
        if self.prepacked or (
            self._cells < PREPACK_AFTER_CELLS and self._runs < PREPACK_AFTER_RUNS
        ):
            return
        with self._swap:
            if not self.prepacked:
                # Swapped as one attribute: a thread mid-run keeps the session it holds.
                self.session = self._session(prepack=True)
                self.prepacked = True

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        return self.encode_spans(texts, [() for _ in texts], batch_size)[0]

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[CharSpan]], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of `texts`, and of each text's character `spans` from the same pass."""
        quick = self._ascii_ids(texts) if len(texts) <= QUICK_TEXTS and not any(spans) else None
        if quick is not None:
            ids = [np.asarray(row, dtype=np.int64) for row in quick]
            types = [np.zeros(len(row), dtype=np.int64) for row in quick]
            ranges: list[list[tuple[int, int]]] = [[] for _ in texts]
        else:
            encodings = self.tokenizer.encode_batch(list(texts))
            ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
            types = [np.asarray(e.type_ids, dtype=np.int64) for e in encodings]
            ranges = [
                token_ranges(e.offsets, e.special_tokens_mask, parts) if parts else []
                for e, parts in zip(encodings, spans, strict=True)
            ]
        # Longest first, so batches hold similar lengths and padding costs little; the
        # original order is restored on the way out.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        out: np.ndarray | None = None
        parts_out: list[np.ndarray] = [np.empty((0, 0), dtype=np.float32)] * len(texts)
        for chunk in _batches(order, [len(row) for row in ids], batch_size, self.token_budget):
            states, mask = self._run([ids[i] for i in chunk], [types[i] for i in chunk])
            weights = mask[:, :, None].astype(np.float32)
            means = (states * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            if out is None:
                out = np.empty((len(texts), means.shape[1]), dtype=np.float32)
            out[chunk] = normalised(means)
            for row, i in enumerate(chunk):
                if ranges[i]:
                    parts_out[i] = pool_ranges(states[row], ranges[i], means[row])
        assert out is not None
        return out, parts_out

    def _ascii_ids(self, texts: Sequence[str]) -> list[list[int]] | None:
        """Piece ids of every text from `ascii_pieces`, or None if one is not ASCII (or the
        saved tokenizer parts it reads are not there yet)."""
        if self._ascii is None:
            digest = tokenizer_json_digest((self.spec.path / "tokenizer.json").read_bytes())
            self._ascii = AsciiPieces.load(digest) or False
        if self._ascii is False:
            return None
        assert isinstance(self._ascii, AsciiPieces)
        rows = [self._ascii.ids(text, self.spec.max_seq_length) for text in texts]
        return None if None in rows else rows  # type: ignore[return-value]  # None checked

    def _run(self, ids: list[np.ndarray], types: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(token states, attention mask) of one padded batch."""
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        token_types = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, (piece_ids, type_ids) in enumerate(zip(ids, types, strict=True)):
            input_ids[row, : len(piece_ids)] = piece_ids
            token_types[row, : len(type_ids)] = type_ids
            mask[row, : len(piece_ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": token_types}
        (states,) = self.session.run(None, {name: feeds[name] for name in self.inputs})
        self._count(input_ids.size if width >= PREPACK_MIN_WIDTH else 0)
        return states, mask


def _session_options(ort: ModuleType) -> onnxruntime.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = _thread_count()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: a question's run is a few ms, and
    # between runs the cores are wanted by the search (on a worker thread for `qa ask -`)
    # and by other processes. Measured on 2 busy cores: first run 27-42 -> ~20 ms.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def optimized_graph_dir(folder: Path, ort_version: str) -> Path:
    """Where the optimised graph of one export is saved for one onnxruntime version."""
    return folder / f"{OPTIMIZED_PREFIX}{ort_version}"


def _save_optimized(ort: ModuleType, folder: Path, target: Path, *, replace: bool) -> None:
    """Optimise the export's graph and save it with its weights in a separate file.

    Saved in a temporary sibling folder and renamed into place (as the export itself), so
    a killed start leaves nothing half-written where `OnnxBackend` looks.
    """
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=folder))
    try:
        options = _session_options(ort)
        # Extended, not "all": the "all" level adds layout changes specific to this CPU,
        # and a cache folder can be copied to another machine.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(work / MODEL_FILE)
        # Every weight of 1 KB or more goes to the side file; the first (the 47 MB word
        # embedding table) sits at offset 0, page-aligned, so it can be mapped.
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", WEIGHTS_FILE
        )
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
        )
        options.add_session_config_entry("session.disable_prepacking", "1")
        ort.InferenceSession(
            str(folder / MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )
        for name in (WEIGHTS_FILE, MODEL_FILE):
            fsync_file(work / name)
        if replace and target.exists():
            # Damaged (it failed to load): moved aside, as rename cannot replace a folder.
            # Never otherwise: a folder that appeared meanwhile is another process's
            # good copy, and others may be opening it.
            stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale.", dir=folder))
            os.rename(target, stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.rename(work, target)
        except OSError:
            # Another process saved the same graph first; its copy is as good as ours.
            if not (target / MODEL_FILE).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
