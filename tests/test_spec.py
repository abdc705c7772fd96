"""The name grammar: parsing, formatting and JSON round trips."""

from __future__ import annotations

import json
import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from equicheck.errors import SpecError
from equicheck.spec import Spec, parse_spec

words = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda w: w not in ("true", "false", "none") and not keyword.iskeyword(w)
)
values_words = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
values = st.one_of(
    st.integers(-1000, 1000),
    st.booleans(),
    values_words.filter(lambda w: w not in ("true", "false", "none")),
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False).filter(lambda v: v != int(v)),
)
specs = st.builds(
    Spec,
    words,
    st.just(()),
    st.dictionaries(words, values, max_size=3),
)


def _plain(v):
    return v.name if isinstance(v, Spec) and not v.args and not v.params else v


@given(specs)
def test_format_then_parse_round_trips(spec):
    parsed = parse_spec(str(spec))
    assert parsed.name == spec.name
    assert {k: _plain(v) for k, v in parsed.params.items()} == spec.params


@given(specs)
def test_json_round_trips(spec):
    back = Spec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert str(back) == str(spec)


def test_nested_and_lists():
    s = parse_spec("field(spatial(axes=[1, 2]), regular(axis=1))")
    assert s.name == "field" and s.args[0].params["axes"] == [1, 2]
    assert str(s) == "field(spatial(axes=[1, 2]), regular(axis=1))"
    assert parse_spec("x(flag=TRUE, n=-3)").params == {"flag": True, "n": -3}


@pytest.mark.parametrize("bad", ["", "1", "a(", "a(**k)", "a.b(c=1)", "a(b=c.d)", "lambda: 1"])
def test_malformed_names(bad):
    with pytest.raises(SpecError):
        parse_spec(bad)


def test_not_a_string():
    with pytest.raises(SpecError, match="must be a string"):
        parse_spec(3)  # type: ignore[arg-type]
