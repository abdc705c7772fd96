"""Crashes, hangs and raw errors (issue 14): bad input gets a named error before f runs, a
hanging f ends the check with a ``timeout`` error, bad replay files a ``ReplayError``, and f
returning no array says what it returned.

The table of bad inputs below is the one docs/robustness.md reports (tried / named).
"""

from __future__ import annotations

import json
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

import equicheck
from equicheck import (
    DtypeError,
    EquicheckError,
    KeywordError,
    OptionError,
    ReplayError,
    ShapeError,
    SpecError,
    check_equivariance,
)
from equicheck.engine.memory import default_max_bytes

QUICK: dict[str, Any] = {"max_examples": 3, "replay_dir": None}


class Calls:
    """f = identity, counting its calls (to show that a bad input stops the check before f)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, x: Any) -> Any:
        self.n += 1
        return x


# --- 1. timeout -------------------------------------------------------------------------------------
@pytest.fixture
def never() -> Iterator[threading.Event]:
    """An event nobody sets during the test (set afterwards, so abandoned threads end)."""
    event = threading.Event()
    yield event
    event.set()


def hanging(event: threading.Event) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        event.wait()
        return x

    return f


TIMEOUT = 0.5


def _assert_timed_out(result: Any, elapsed: float) -> None:
    assert result.verdict == "error" and result.failure_kind == "timeout", result.message
    assert elapsed < TIMEOUT + 2, elapsed
    assert f"timeout={TIMEOUT:g} s" in result.message
    assert "input float32[" in result.message or "input float64[" in result.message


def test_a_hanging_f_ends_the_check_with_a_timeout_error(never):
    start = time.perf_counter()
    result = check_equivariance(hanging(never), "c4", timeout=TIMEOUT, replay_dir=None)
    _assert_timed_out(result, time.perf_counter() - start)
    assert result.counterexample is not None and result.counterexample.input


def test_the_timeout_holds_when_the_check_runs_off_the_main_thread(never):
    box: dict[str, Any] = {}

    def run() -> None:
        start = time.perf_counter()
        box["result"] = check_equivariance(hanging(never), "p4m", timeout=TIMEOUT, replay_dir=None)
        box["elapsed"] = time.perf_counter() - start

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(TIMEOUT + 10)
    assert not worker.is_alive()
    _assert_timed_out(box["result"], box["elapsed"])


def test_the_timeout_names_the_element_and_f_is_not_called_again(never):
    calls = []

    def hangs_on_the_rotated_input(x: Any) -> Any:
        calls.append(x.shape)
        if len(calls) > 1:  # x itself returns; x rotated hangs
            never.wait()
        return x

    start = time.perf_counter()
    result = check_equivariance(
        hangs_on_the_rotated_input,
        "c4",
        elements=["rot90(k=1)"],
        timeout=TIMEOUT,
        max_examples=20,
        replay_dir=None,
    )
    _assert_timed_out(result, time.perf_counter() - start)
    assert "x transformed by rot90(k=1)" in result.message
    assert result.counterexample.element == "rot90(k=1)"
    assert len(calls) == 2  # no call after the one that timed out (shrinking included)


@pytest.mark.parametrize(
    "kwargs", [{"inputs": np.ones((4, 4))}, {"batched": True, "input_shape": (2, None, None)}]
)
def test_the_timeout_holds_for_given_inputs_and_batches(never, kwargs):
    start = time.perf_counter()
    result = check_equivariance(hanging(never), "c4", timeout=TIMEOUT, replay_dir=None, **kwargs)
    _assert_timed_out(result, time.perf_counter() - start)


def test_a_timeout_leaves_fast_functions_and_their_exceptions_as_they_were():
    assert check_equivariance(lambda x: x, "c4", timeout=5, **QUICK).passed

    def raises(x: Any) -> Any:
        raise ValueError("no")

    result = check_equivariance(raises, "c4", timeout=5, **QUICK)
    assert result.failure_kind == "exception" and "ValueError: no" in result.message


def test_assert_equivariant_raises_function_error_on_a_timeout(never):
    with pytest.raises(equicheck.FunctionError, match="timeout"):
        equicheck.assert_equivariant(hanging(never), "c4", timeout=TIMEOUT, replay_dir=None)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), "soon", True])
def test_bad_timeouts_are_refused_before_f_runs(bad):
    f = Calls()
    with pytest.raises(OptionError, match="timeout"):
        check_equivariance(f, "c4", timeout=bad, **QUICK)
    assert f.n == 0


# --- 2. bad inputs, named and early ------------------------------------------------------------------
def _cases() -> list[tuple[str, dict[str, Any], type[Exception], str]]:
    big = (10**6, 10**6)
    return [
        ("empty array as inputs", {"inputs": np.zeros((0, 4, 4))}, ShapeError, "holds no entries"),
        ("empty array in a list", {"inputs": [np.ones((4, 4)), np.ones((4, 0))]}, ShapeError, r"inputs\[1\]"),
        ("size 0 in input_shape", {"input_shape": (0, None, None)}, ShapeError, "size 0"),
        ("string array as inputs", {"inputs": np.array([["a"] * 4] * 4)}, DtypeError, "numeric arrays"),
        ("object array as inputs", {"inputs": np.empty((4, 4), object)}, DtypeError, "numeric arrays"),
        ("ragged list as inputs", {"inputs": [[[1.0, 2.0], [3.0]]]}, ShapeError, "cannot be made an array"),
        ("sizes='big'", {"sizes": "big"}, OptionError, "sizes"),
        ("sizes=(4.5, 8)", {"sizes": (4.5, 8)}, OptionError, "4.5"),
        ("sizes=(8, 4)", {"sizes": (8, 4)}, OptionError, "low <= high"),
        ("sizes=(0, 4)", {"sizes": (0, 4)}, OptionError, "sizes"),
        ("input_shape='abc'", {"input_shape": "abc"}, OptionError, "'abc' is not a size"),
        ("input_shape=(4.5, None)", {"input_shape": (4.5, None)}, OptionError, "4.5 is not a size"),
        ("input_shape=((4, 4), 5)", {"input_shape": ((4, 4), 5)}, OptionError, r"input_shape\[1\]"),
        ("sizes=(10**6,)*2", {"sizes": big}, ShapeError, "max_bytes"),
        ("max_bytes=0", {"max_bytes": 0}, OptionError, "max_bytes"),
        (
            "a given input over max_bytes",
            {"inputs": np.ones((8, 8)), "max_bytes": 1000},
            ShapeError,
            "max_bytes",
        ),
        ("translation(step=1, step=2)", {"group": "translation(step=1, step=2)"}, SpecError, "twice"),
        ("max_example=3", {"max_example": 3}, KeywordError, "did you mean 'max_examples'"),
        ("seeds=1", {"seeds": 1}, KeywordError, "did you mean 'seed'"),
    ]


CASES = _cases()


@pytest.mark.parametrize("label, kwargs, error, match", CASES, ids=[c[0] for c in CASES])
def test_bad_inputs_get_a_named_error_before_f_runs(label, kwargs, error, match):
    f = Calls()
    kwargs = dict(kwargs)
    group = kwargs.pop("group", "c4")
    with pytest.raises(error, match=match) as raised:
        check_equivariance(f, group, **QUICK, **kwargs)
    assert isinstance(raised.value, EquicheckError)
    assert f.n == 0, f"f was called {f.n} times before the error"


def test_a_shape_given_as_text_or_several_shapes_still_work():
    assert check_equivariance(lambda x: x, "c4", input_shape="3,None,None", **QUICK).passed
    two = check_equivariance(
        lambda x, y: x + y.sum(),
        "c4",
        in_action=("spatial", "trivial"),
        out_action="spatial",
        input_shape=((None, None), (3, 3)),
        **QUICK,
    )
    assert two.passed, two.message
    drawn = check_equivariance(lambda x: x, "c4", input_shape=(st.integers(1, 2), None, None), **QUICK)
    assert drawn.passed


def test_a_strategy_of_strings_is_named_too():
    with pytest.raises(DtypeError, match="a value drawn from inputs"):
        check_equivariance(lambda x: x, "c4", inputs=st.just(np.array([["a"] * 4] * 4)), **QUICK)


def test_the_memory_limit_defaults_to_half_the_memory_and_is_said():
    assert default_max_bytes() >= 2**20
    with pytest.raises(ShapeError) as raised:
        check_equivariance(lambda x: x, "translation", sizes=(10**6, 10**6))
    message = str(raised.value)
    assert "estimated to need" in message and "TiB" in message
    assert "lower sizes=" in message and "raise max_bytes=" in message
    # what fits the limit runs as before
    assert check_equivariance(lambda x: x, "c4", sizes=(4, 8), max_bytes=10**6, **QUICK).passed


def test_long_products_of_elements_read_back():
    g = equicheck.groups.element_from_repr(" * ".join(["rot90(k=1)"] * 20000))
    assert g == equicheck.groups.identity()  # 20000 quarter turns
    assert repr(equicheck.groups.element_from_repr("shift(dy=1, dx=-2) * rot90(k=1)")) == (
        "shift(dy=1, dx=-2) * rot90(k=1)"
    )
    assert equicheck.groups.element_from_repr("(rot90(k=1) * rot90(k=1)) * rot90(k=1)") == (
        equicheck.groups.rot90(3)
    )
    assert equicheck.groups.element_from_repr("shift(dy=1, dx=0) * flip(axis='x')") is not None


@pytest.mark.parametrize(
    "text, match",
    [
        (" * ".join(["identity()"] * (equicheck.groups.MAX_FACTORS + 1)), "MAX_FACTORS"),
        ("(" * 100_000 + "identity()" + ")" * 100_000, "MAX_NESTING"),
        ("rot90(k=1) ** 2", "empty factor"),
        ("", "empty"),
        ("rot90(k=1))", "unmatched"),
    ],
    ids=["too many factors", "deep parentheses", "power", "empty", "unmatched"],
)
def test_crafted_element_reprs_get_a_spec_error(text, match):
    with pytest.raises(SpecError, match=match):
        equicheck.groups.element_from_repr(text)


def test_deeply_nested_names_get_a_spec_error():
    with pytest.raises(SpecError, match="nested too deeply|cannot parse"):
        equicheck.groups.from_name("a(" * 5000 + ")" * 5000)


def test_misspelled_keywords_through_the_assertions():
    with pytest.raises(KeywordError, match="assert_equivariant.*did you mean 'max_examples'"):
        equicheck.assert_equivariant(lambda x: x, "c4", max_example=3)
    with pytest.raises(KeywordError, match="assert_invariant.*did you mean 'rtol'"):
        equicheck.assert_invariant(lambda x: x, "c4", rtl=1e-3)
    with pytest.raises(TypeError):  # still a TypeError for code that catches that
        check_equivariance(lambda x: x, "c4", max_example=3)


def test_the_signature_stays_visible():
    import inspect

    parameters = inspect.signature(check_equivariance).parameters
    assert {"max_examples", "timeout", "max_bytes", "sizes"} <= set(parameters)


def test_misspelled_keywords_through_the_fixture():
    from types import SimpleNamespace

    from equicheck.pytest_plugin import EquicheckFixture, Options

    fixture = EquicheckFixture(SimpleNamespace(current=None, options=Options()))  # type: ignore[arg-type]
    with pytest.raises(KeywordError, match="did you mean 'max_examples'"):
        fixture.check(lambda x: x, "c4", max_example=3)
    with pytest.raises(KeywordError, match="did you mean 'max_examples'"):
        fixture.assert_equivariant(lambda x: x, "c4", max_example=3)


# --- 3. replay of bad files --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real counterexample file, saved by a failing check."""
    folder = tmp_path_factory.mktemp("replays")
    result = check_equivariance(
        lambda x: np.roll(x, 1, axis=-1), "c4", seed=0, max_examples=5, replay_dir=folder
    )
    assert result.counterexample is not None and result.counterexample.path
    return Path(result.counterexample.path)


def _write_npz(path: Path, meta: Any = None, **arrays: Any) -> Path:
    if meta is not None:
        arrays["__meta__"] = np.asarray(meta if isinstance(meta, str) else json.dumps(meta))
    np.savez(path, **arrays)
    return path


def _bad_files(tmp: Path, good: Path) -> dict[str, tuple[Path, str]]:
    data = good.read_bytes()
    with np.load(good) as archive:
        meta = json.loads(str(archive["__meta__"]))
        x = np.array(archive["arg_0"])
    (tmp / "empty.npz").write_bytes(b"")
    (tmp / "truncated.npz").write_bytes(data[: len(data) // 2])
    corrupt = bytearray(data)
    for i in range(60, min(len(corrupt), 400)):
        corrupt[i] ^= 0xFF
    (tmp / "corrupt.npz").write_bytes(bytes(corrupt))
    (tmp / "random.npz").write_bytes(b"this is not a counterexample at all")
    import pickle

    (tmp / "pickle.npz").write_bytes(pickle.dumps({"x": x}))
    np.save(tmp / "single.npy", x)
    object_array = np.empty(2, dtype=object)
    object_array[:] = [1, "a"]
    missing_group = {k: v for k, v in meta.items() if k != "group"}
    return {
        "missing": (tmp / "nowhere.npz", "no counterexample file"),
        "empty": (tmp / "empty.npz", "is empty"),
        "truncated": (tmp / "truncated.npz", "truncated or corrupt"),
        "corrupt": (tmp / "corrupt.npz", "truncated or corrupt|corrupt"),
        "random bytes": (tmp / "random.npz", "not an .npz archive"),
        "pickle": (tmp / "pickle.npz", "pickle"),
        "npy": (tmp / "single.npy", "single NumPy array"),
        "a folder": (tmp, "cannot read"),
        "no metadata": (_write_npz(tmp / "nometa.npz", None, arg_0=x), "no __meta__"),
        "bad JSON": (_write_npz(tmp / "badjson.npz", "{not json", arg_0=x), "not valid JSON"),
        "JSON list": (_write_npz(tmp / "list.npz", [1, 2], arg_0=x), "not an object"),
        "missing key": (_write_npz(tmp / "nogroup.npz", missing_group, arg_0=x), "lacks group"),
        "wrong type": (_write_npz(tmp / "type.npz", {**meta, "margin": "wide"}, arg_0=x), "margin"),
        "no arrays": (_write_npz(tmp / "noarrays.npz", meta), "no input arrays"),
        "pickled array": (_write_npz(tmp / "objects.npz", meta, arg_0=object_array), "pickled"),
        "bad group": (_write_npz(tmp / "group.npz", {**meta, "group": "p5"}, arg_0=x), "p5"),
        "bad element": (
            _write_npz(tmp / "element.npz", {**meta, "element": "rot90(k=1) ** 2"}, arg_0=x),
            "empty factor",
        ),
    }


BAD_FILES = [
    "missing",
    "empty",
    "truncated",
    "corrupt",
    "random bytes",
    "pickle",
    "npy",
    "a folder",
    "no metadata",
    "bad JSON",
    "JSON list",
    "missing key",
    "wrong type",
    "no arrays",
    "pickled array",
    "bad group",
    "bad element",
]


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_replay_files_raise_replay_error(kind, saved, tmp_path):
    path, match = _bad_files(tmp_path, saved)[kind]
    f = Calls()
    with pytest.raises(ReplayError, match=match) as raised:
        equicheck.replay(path, f)
    assert str(path) in str(raised.value) or repr(str(path)) in str(raised.value)
    assert f.n == 0
    if kind not in ("bad group", "bad element"):  # those are read by replay, not by the loader
        with pytest.raises(ReplayError, match=match):
            equicheck.load_counterexample(path)


def test_a_good_file_still_replays(saved):
    value, meta = equicheck.load_counterexample(saved)
    assert meta["group"] == "c4" and isinstance(value, np.ndarray)
    assert not equicheck.replay(saved, lambda x: np.roll(x, 1, axis=-1)).passed
    with pytest.raises(KeywordError, match="replay.*did you mean 'elements'"):
        equicheck.replay(saved, lambda x: x, element=None)


def test_a_truncated_zip_member_is_named(saved, tmp_path):
    """A zip whose directory is intact but whose member is cut short."""
    path = tmp_path / "member.npz"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info, data[: len(data) // 2] if info.filename.startswith("arg_") else data)
    with pytest.raises(ReplayError, match=str(path)):
        equicheck.replay(path, lambda x: x)


# --- 4. f returning no array --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "f, said",
    [
        (lambda x: None, "f returned None"),
        (lambda x: "abc", "f returned a str"),
        (lambda x: (v for v in x), "f returned a generator"),
        (lambda x: np.empty(x.shape, object), "f returned an array of dtype object"),
        (lambda x: np.full(x.shape, "a"), "f returned an array of dtype <U1"),
        (lambda x: (x, None), "output 1 of f is None"),
        (lambda x: {"y": "abc"}, "output 'y' of f is a str"),
        (lambda x: (), "f returned an empty tuple"),
    ],
    ids=[
        "None",
        "str",
        "generator",
        "object array",
        "string array",
        "None in a tuple",
        "str in a dict",
        "()",
    ],
)
def test_f_returning_no_array_says_what_it_returned(f, said):
    result = check_equivariance(f, "c4", in_action="spatial", out_action=None, **QUICK)
    assert result.verdict == "failed" and result.failure_kind == "shape", result.message
    assert said in result.message
    assert "must return a numeric array" in result.message
    assert "deterministic" not in result.message  # the same failure on every call, not a flaky one


# --- the command line -------------------------------------------------------------------------------
HANGING_MODULE = """
import threading
RELEASE = threading.Event()

def hang(x):
    RELEASE.wait()
    return x
"""


def test_the_command_line_takes_a_timeout(tmp_path, monkeypatch, capsys):
    import sys

    from equicheck.cli import main

    (tmp_path / "ec_hanging_module.py").write_text(HANGING_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.delitem(sys.modules, "ec_hanging_module", raising=False)
    try:
        start = time.perf_counter()
        status = main(["check", "ec_hanging_module:hang", "--group", "c4", "--timeout", str(TIMEOUT)])
        elapsed = time.perf_counter() - start
        out = capsys.readouterr().out
        assert status == 1 and elapsed < TIMEOUT + 2
        assert "did not return in time" in out and f"timeout={TIMEOUT:g} s" in out
    finally:
        module = sys.modules.get("ec_hanging_module")
        if module is not None:
            module.RELEASE.set()
    with pytest.raises(SystemExit) as raised:
        main(["check", "ec_hanging_module:hang", "--group", "c4", "--timeout", "0"])
    assert raised.value.code == 2
    assert "--timeout" in capsys.readouterr().err
