"""`hkbot detect-language` and `hkbot bench nlu`, run as a citizen's IT team would run them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HKBOT = [str(Path(sys.executable).with_name("hkbot"))]


def run(args: list[str], stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(HKBOT + args, input=stdin, capture_output=True, timeout=120)


def test_one_tag_per_line_in_order_with_empty_lines() -> None:
    lines = [
        "點樣申請狗牌呀？",
        "",
        "How much is a dog licence?",
        "如何申請犬隻牌照",
        "   ",
        "如何申请犬只牌照，怎么办",
        "我想renew個dog licence",
        "😀",
        "I want to apply for 狗牌",
    ]
    result = run(["detect-language"], ("\n".join(lines) + "\n").encode("utf-8"))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().splitlines() == [
        "yue", "und", "en", "zh-Hant", "und", "zh-Hans", "yue", "und", "en",
    ]


def test_no_trailing_newline_and_binary_junk() -> None:
    stdin = b"\xff\xfe\x00\x80junk\n\x00\x01\n\xe7\x8b\x97\xe7\x89\x8c\xe5\xb9\xbe\xe5\xa4\x9a\xe9\x8c\xa2"  # last: 狗牌幾多錢
    result = run(["detect-language"], stdin)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().splitlines() == ["en", "und", "yue"]


def test_unicode_line_separators_do_not_split_lines() -> None:
    result = run(["detect-language"], "狗牌\u2028幾多錢\nhello\u0085world\n".encode("utf-8"))
    assert result.stdout.decode().splitlines() == ["yue", "en"]


def test_streams_line_by_line() -> None:
    process = subprocess.Popen(HKBOT + ["detect-language"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert process.stdin and process.stdout
        process.stdin.write("點樣申請狗牌呀\n".encode("utf-8"))
        process.stdin.flush()
        assert process.stdout.readline() == b"yue\n"  # answered before stdin closes
        process.stdin.write(b"hello there\n")
        process.stdin.flush()
        assert process.stdout.readline() == b"en\n"
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def test_bench_prints_figures() -> None:
    result = run(["bench", "nlu", "--sentences", "300"], b"")
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "sentences/s" in out and "first result after import" in out
