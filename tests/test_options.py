"""``equicheck.options``: every validator at its boundaries, and one rule for the command line
and the pytest plugin."""

from __future__ import annotations

import math
import subprocess
import sys
from importlib import metadata

import numpy as np
import pytest

import equicheck.pytest_plugin  # noqa: F401 - loaded once: in-process pytester runs drop new modules
from equicheck import options
from equicheck.cli import build_parser, main
from equicheck.errors import EquicheckError, OptionError

pytest_plugins = ["pytester"]


# --- whole numbers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"), [("1", 1), (1, 1), (" 7 ", 7), (np.int64(3), 3), (10**12, 10**12)]
)
def test_positive_int_accepts(value, expected):
    assert options.positive_int(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "the number of examples must be at least 1, got 0; expected a number >= 1"),
        (0, "must be at least 1, got 0"),
        ("-1", "must be at least 1, got -1"),
        ("1.5", "the number of examples = '1.5': expected a whole number >= 1"),
        (2.0, "= 2.0: expected a whole number >= 1"),
        (True, "= True: expected a whole number >= 1"),
        ("", "= '': expected"),
        (None, "= None: expected"),
    ],
)
def test_positive_int_rejects(value, message):
    with pytest.raises(OptionError) as info:
        options.positive_int(value, name="the number of examples")
    assert message in str(info.value)


@pytest.mark.parametrize(("value", "expected"), [("0", 0), (0, 0), ("1", 1), (" 12", 12)])
def test_non_negative_int_accepts(value, expected):
    assert options.non_negative_int(value) == expected


@pytest.mark.parametrize(("value", "message"), [("-1", "at least 0, got -1"), (-1, "got -1"), ("x", "= 'x'")])
def test_non_negative_int_rejects(value, message):
    with pytest.raises(OptionError, match="the margin") as info:
        options.non_negative_int(value, name="the margin")
    assert message in str(info.value)


def test_whole_number_takes_its_own_lower_bound():
    assert options.whole_number("1000", low=1000) == 1000
    with pytest.raises(OptionError, match="must be at least 1000, got 999"):
        options.whole_number("999", low=1000)


@pytest.mark.parametrize(("value", "expected"), [("0", 0), (0, 0), ("123", 123), (2**63, 2**63)])
def test_seed_accepts(value, expected):
    assert options.seed(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "the seed must be at least 0, got -1"),
        ("abc", "the seed = 'abc': expected an integer seed >= 0"),
        (1.0, "the seed = 1.0: expected an integer seed"),
        (False, "the seed = False"),
    ],
)
def test_seed_rejects(value, message):
    with pytest.raises(OptionError) as info:
        options.seed(value)
    assert message in str(info.value)


# --- tolerances -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0.0), (0, 0.0), ("1e-5", 1e-5), (5e-324, 5e-324), ("2", 2.0)]
)
def test_tolerance_accepts(value, expected):
    assert options.tolerance(value) == expected


def test_minus_zero_tolerance_is_zero():
    value = options.tolerance("-0.0")
    assert value == 0.0 and math.copysign(1.0, value) == 1.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nan", "rtol must be finite, got nan"),
        (float("nan"), "must be finite, got nan"),
        ("inf", "must be finite, got inf"),
        (-math.inf, "must be finite, got -inf"),
        ("-1e-9", "rtol must be >= 0, got -1e-09"),
        (-5e-324, "must be >= 0"),
        ("tight", "rtol = 'tight': expected a finite number >= 0"),
        (True, "rtol = True"),
    ],
)
def test_tolerance_rejects(value, message):
    with pytest.raises(OptionError) as info:
        options.tolerance(value, name="rtol")
    assert message in str(info.value)


# --- dtypes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("float32", ("float32",)),
        ("float32,float64", ("float32", "float64")),
        (" float64 , float16 ", ("float64", "float16")),
        ("float32,,float64", ("float32", "float64")),
        (["int8", "uint8", "bool"], ("int8", "uint8", "bool")),
        (("complex64",), ("complex64",)),
        ([np.float32, np.dtype("int16")], ("float32", "int16")),
        (np.dtype("float64"), ("float64",)),
    ],
)
def test_dtypes_accepts(value, expected):
    assert options.dtypes(value) == expected


def test_every_accepted_dtype_is_a_numpy_dtype_of_that_name():
    for name in options.DTYPES:
        assert np.dtype(name).name == name


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("float33", "dtypes: 'float33' is not a dtype equicheck can draw"),
        ("float32,flaot64", "'flaot64' is not a dtype equicheck can draw"),
        (["float32", "object"], "'object' is not a dtype"),
        ("f4", "'f4' is not a dtype"),  # NumPy's codes are not names
        ("bfloat16", "'bfloat16' is not a dtype"),  # no NumPy dtype to draw it in
        ("", "dtypes = '': expected at least one dtype name"),
        (" , ", "expected at least one dtype name"),
        ([], "dtypes = []: expected at least one dtype name"),
        ("float32,float32", "dtypes must be given once each, got 'float32' twice"),
        (3, "3 is not a dtype"),
    ],
)
def test_dtypes_rejects(value, message):
    with pytest.raises(OptionError) as info:
        options.dtypes(value)
    assert message in str(info.value)


# --- shapes and backends --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", (1,)),
        ("2,3,32,32", (2, 3, 32, 32)),
        ("2x3X4", (2, 3, 4)),
        ("[2, 3, None, None]", (2, 3, None, None)),
        ("3,_,?,*", (3, None, None, None)),
        ((2, None, 5), (2, None, 5)),
    ],
)
def test_shape_accepts(value, expected):
    assert options.shape(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2,0", "bad input shape '2,0': sizes must be >= 1, got 0"),
        ((2, -1), "sizes must be >= 1, got -1"),
        ("3,x5", "bad input shape '3,x5': '' is not a size"),
        ("2,a", "'a' is not a size"),
        ("()", "input shape = '()': expected at least one size"),
        ([], "expected at least one size"),
        (5, "input shape = 5: expected sizes"),
    ],
)
def test_shape_rejects(value, message):
    with pytest.raises(OptionError) as info:
        options.shape(value)
    assert message in str(info.value)


def test_backend_name():
    assert options.backend_name(" numpy ") == "numpy"
    assert options.backend_name("cupy", known=("numpy", "cupy")) == "cupy"
    with pytest.raises(OptionError, match="unknown backend 'nope'; known backends: numpy, cupy"):
        options.backend_name("nope", known=("numpy", "cupy"))
    for bad in ("", "  ", "num py", None):
        with pytest.raises(OptionError, match="expected a backend name"):
            options.backend_name(bad)


def test_option_errors_are_equicheck_and_value_errors():
    assert issubclass(OptionError, EquicheckError) and issubclass(OptionError, ValueError)


def test_options_stays_light():
    """At the bottom of the layers: importing it loads no array library or engine module."""
    code = (
        "import os, sys, types\n"
        "package = types.ModuleType('equicheck')  # without equicheck/__init__.py and what it loads\n"
        "package.__path__ = [os.path.dirname(sys.argv[1])]\n"
        "sys.modules['equicheck'] = package\n"
        "import equicheck.options\n"
        "heavy = ('numpy', 'scipy', 'hypothesis', 'matplotlib', 'equicheck.backends', 'equicheck.check')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, options.__file__], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# --- one rule for the command line and the plugin -------------------------------------------------
def _plugin_args() -> list[str]:
    installed = any(ep.name == "equicheck" for ep in metadata.entry_points(group="pytest11"))
    return ([] if installed else ["-p", "equicheck.pytest_plugin"]) + ["-p", "no:cacheprovider"]


def _cli_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("bad", ["float33", "f4", "float32,float32", ","])
def test_the_cli_and_the_plugin_reject_a_dtype_with_the_same_message(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], bad: str
):
    cli = _cli_error(["check", "m:f", "--group", "c4", "--dtype", bad], capsys)
    expected = str(pytest.raises(OptionError, options.dtypes, bad).value)
    assert f"argument --dtype: {expected}" in cli
    result = pytester.runpytest(*_plugin_args(), "--equicheck-dtype", bad)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"argument --equicheck-dtype: {expected}" in result.stderr.str()
    pytester.makeini(f"[pytest]\nequicheck_dtype = {bad}\n")
    result = pytester.runpytest(*_plugin_args())
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    ini = str(pytest.raises(OptionError, options.dtypes, bad, name="ini option equicheck_dtype").value)
    assert ini in result.stderr.str()


@pytest.mark.parametrize("good", ["int8", "complex128", "float16,bool"])
def test_the_cli_and_the_plugin_accept_the_same_dtypes(pytester: pytest.Pytester, good: str):
    parser, _ = build_parser()
    args = parser.parse_args(["check", "m:f", "--group", "c4", "--dtype", good])
    assert args.dtype == options.dtypes(good)
    pytester.makepyfile(
        f"""
def test_dtypes(pytestconfig):
    from equicheck.pytest_plugin import RUN
    assert pytestconfig.stash[RUN].options.dtypes == {options.dtypes(good)!r}
"""
    )
    result = pytester.runpytest(*_plugin_args(), "--equicheck-dtype", good)
    result.assert_outcomes(passed=1)
