"""The search: which inputs and elements to try, run by Hypothesis (or directly).

Hypothesis draws each example (grid size, array specs, elements) from public combinators,
``target`` (in :mod:`equicheck.engine.evaluate`) steers toward large errors, and shrinking
reduces a failure to the simplest element and smallest input. Finite groups that fit
``exhaustive_limit`` are enumerated on every input; inside a user's own ``@given`` test the
given inputs are checked directly, without a nested search.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from .. import point_strategies
from ..actions import PointAction
from ..errors import EquicheckError, ShapeError
from ..groups import Element, Group, PointGroup
from ..strategies import ArraySpec, array_specs, grid_sizes, make_array
from .evaluate import Evaluator
from .failures import ONCE_KINDS, Failure
from .plan import Case, Key, Plan, fill_shape, grid_of
from .tolerance import dtype_name

__all__ = [
    "DEFAULT_SETTINGS",
    "drawn_examples",
    "drawn_point_examples",
    "has_points",
    "element_lists",
    "finite_elements",
    "run_direct",
    "run_hypothesis",
    "settings_for",
    "with_elements",
]

#: Hypothesis phases equicheck runs: no "explain" (it reads source code to print notes that
#: equicheck never prints, and costs seconds per failing check).
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)

#: equicheck's own Hypothesis settings, used when neither ``settings=`` nor a non-default
#: Hypothesis profile is active.
DEFAULT_SETTINGS = Settings(
    max_examples=100,
    phases=PHASES,
    deadline=None,
    database=None,
    verbosity=Verbosity.quiet,
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)

Example = tuple[Case, list[Element], str]


# --- choosing elements --------------------------------------------------------------------------
def finite_elements(plan: Plan, grid: tuple[int, int] | None) -> list[Element] | None:
    """The elements to check on every input (given, or all of a small finite group), else None."""
    if plan.elements is not None:
        return plan.elements
    if plan.group.order(grid) > plan.exhaustive_limit:  # counted first: never enumerate a big group
        return None
    found = plan.group.elements(grid)
    return list(found) if found is not None else None


def element_lists(plan: Plan, grid: tuple[int, int] | None) -> st.SearchStrategy[list[Element]]:
    """All elements when few, else up to ``elements_per_example`` distinct drawn ones (groups on
    coordinates draw that many at once, cheaply: see :meth:`PointGroup.element_lists`)."""
    fixed = finite_elements(plan, grid)
    if fixed is not None:
        return st.just(fixed)
    if isinstance(plan.group, PointGroup):
        return plan.group.element_lists(grid, plan.elements_per_example)
    return st.lists(plan.group.strategy(grid), min_size=1, max_size=plan.elements_per_example, unique_by=repr)


def sample_elements(plan: Plan, grid: tuple[int, int] | None, seed: int, n: int) -> list[Element]:
    """Elements without Hypothesis (inside a user's @given): enumeration or a seeded sample."""
    fixed = finite_elements(plan, grid)
    if fixed is not None:
        return fixed
    return list(plan.group.sample(np.random.default_rng(seed), n, grid))


def is_exhaustive_default(plan: Plan) -> bool:
    return plan.elements is None and plan.group.order(None) <= plan.exhaustive_limit


# --- examples -------------------------------------------------------------------------------------
def with_elements(plan: Plan, case: Case, description: str = "given input") -> st.SearchStrategy[Example]:
    """One given input with the elements to check on it."""
    grid = grid_of(plan, case)
    if grid is not None:
        plan.group.check_grid(grid)
    return element_lists(plan, grid).map(lambda els: (case, els, description))


def _strides(plan: Plan) -> list[int]:
    """The strides of every spatial action, in and out: drawn grids must be multiples of all."""
    acts = list(plan.in_actions.values()) + ([] if plan.out_action is None else plan.declared_out_actions())
    return [a.spatial.stride for a in acts if a.spatial is not None]


#: The grid sides drawn when ``sizes`` is not given (None), per number of grid axes:
#: 1-D signals are cheap, 3-D volumes are kept small so a check stays fast.
DEFAULT_SIDES = {1: (4, 48), 2: (4, 24), 3: (4, 12)}


def drawn_sides(group: Group, sizes: tuple[int, int] | None) -> tuple[int, int]:
    """The range of grid sides to draw: ``sizes`` as given, or the default for the group's grid
    (volumes at least a little above the group's smallest grid)."""
    if sizes is not None:
        return sizes
    lo, hi = DEFAULT_SIDES.get(group.dims, DEFAULT_SIDES[2])
    return (lo, max(hi, group.min_grid + 4)) if group.dims == 3 else (lo, hi)


def refuse_mixed_sides(plan: Plan, key: Key, shape: Sequence[Any], sides: set[int], label: str) -> None:
    """A :class:`ShapeError` before the search when a group that exchanges grid axes (equal
    sides, drawn together) meets a shape to draw with some grid sides fixed and others None:
    such a grid could never be square (e.g. ``(1, None, None)`` for a 3-D group)."""
    spatial = plan.in_actions[key].spatial
    if spatial is None or len(shape) < len(spatial.axes):
        return
    on_grid = [shape[a] for a in spatial.grid_axes(len(shape))]
    fixed = {n for n in on_grid if isinstance(n, int)}
    if None not in on_grid or not fixed or fixed == sides:
        return
    d = plan.group.dims
    raise ShapeError(
        f"{label} = {tuple(shape)} fixes grid sizes {sorted(fixed)} and draws the others, but "
        f"{plan.group.name} exchanges grid axes, so the {d} grid axes {spatial.axes} are drawn with "
        f"equal sides: give None on all {d} of them (e.g. {(1,) + (None,) * d}) or every size"
    )


def drawn_examples(
    plan: Plan,
    shapes: dict[Key, tuple[int | None, ...]],
    dtypes: Sequence[str],
    families: Sequence[str] | None,
    sizes: tuple[int, int] | None,
) -> st.SearchStrategy[Example]:
    """Inputs drawn from value families on drawn grids, with elements for each."""
    group = plan.group
    lo, hi = sides = drawn_sides(group, sizes)
    lo = max(lo, 2 * plan.margin + 1 + 2)
    lo = max(lo, min(group.min_grid, hi))  # interpolated groups: no tiny grids
    if families is None:  # interpolated groups draw band-limited inputs
        families = group.families
    if hi < lo:
        raise EquicheckError(
            f"sizes={sides} leaves no grid size to draw (need low <= high, and high >= "
            f"{lo} for margin={plan.margin})"
        )
    multiple = math.lcm(*(_strides(plan) + [group.step or 1]))
    square = group.needs_square
    if square:
        sides = {n for n in range(lo, hi + 1) if n % multiple == 0}
        for k, shape in shapes.items():
            label = "input_shape" if len(shapes) == 1 else f"input_shape[{k!r}]"
            refuse_mixed_sides(plan, k, shape, sides, label)
    needs_grid = any(n is None for s in shapes.values() for n in s)
    grid_strategy = (
        grid_sizes(lo, hi, square=square, multiple_of=multiple, dims=group.dims)
        if needs_grid
        else st.just(None)
    )
    channels = {}
    for k, a in plan.in_actions.items():
        channels[k] = a.fiber.prepare(group).channels() if a.fiber is not None else None
    array_specs((1,), dtypes, families)  # rejects bad dtypes and families now, before the search

    spec_strategies: dict[tuple[Any, ...], st.SearchStrategy[ArraySpec]] = {}
    element_strategies: dict[Any, st.SearchStrategy[list[Element]]] = {}

    @st.composite
    def example(draw: Callable[..., Any]) -> Example:
        grid = draw(grid_strategy)
        concrete_grid = grid if grid is not None else (1,) * group.dims
        specs: dict[Key, ArraySpec] = {}
        for k, shape in shapes.items():
            # entries given as strategies (e.g. a batch or channel size) are drawn per example
            drawn = tuple(draw(n) if isinstance(n, st.SearchStrategy) else n for n in shape)
            act = plan.in_actions[k]
            full = fill_shape(drawn, act, concrete_grid, channels[k])
            # smooth families low-pass over the grid's axes, in physical units where spaced
            spacing = act.spatial.spacing if act.spatial is not None else None
            if (full, spacing) not in spec_strategies:  # built once per shape: building costs ~1 ms
                spec_strategies[full, spacing] = array_specs(
                    full, dtypes, families, dims=group.dims, spacing=spacing
                )
            specs[k] = draw(spec_strategies[full, spacing])
        case = {k: plan.backend.asarray(make_array(s)) for k, s in specs.items()}
        real_grid = grid_of(plan, case)
        if real_grid not in element_strategies:  # per grid: checked and enumerated once
            if real_grid is not None:
                group.check_grid(real_grid)
            element_strategies[real_grid] = element_lists(plan, real_grid)
        els = draw(element_strategies[real_grid])
        description = "; ".join(s.describe() for s in specs.values())
        return case, els, description

    return example()


def has_points(plan: Plan) -> bool:
    """Whether an input of the check is a point cloud (then :func:`drawn_point_examples` draws)."""
    return any(isinstance(a, PointAction) for a in plan.in_actions.values())


#: The numbers of points drawn when ``sizes`` is not given (None).
DEFAULT_POINT_COUNTS = (1, 16)


def drawn_point_examples(
    plan: Plan,
    shapes: dict[Key, tuple[int | None, ...]],
    dtypes: Sequence[str],
    families: Sequence[str] | None,
    sizes: tuple[int, int] | None,
) -> st.SearchStrategy[Example]:
    """Point clouds (positions from the cloud families, integer types, cells, Gaussian
    features), n points for every input with a point axis, and elements for each.

    ``sizes`` is the range of n (None: 1 to 16 points). Every float
    input of an example has the same dtype. Shrinks toward the fewest points, a blob, seed 0."""
    lo, hi = DEFAULT_POINT_COUNTS if sizes is None else sizes
    counts = point_strategies.point_counts(lo, hi)
    names = list(dtypes)
    point_strategies.cloud_specs((1, 3), names, families)  # rejects bad families now
    dtype_strategy = st.sampled_from(names) if len(names) > 1 else st.just(names[0])
    spec_strategies: dict[Any, st.SearchStrategy[Any]] = {}
    element_strategies: dict[Any, st.SearchStrategy[list[Element]]] = {}

    def spec_for(kind: str, full: tuple[int, ...], dtype: str) -> st.SearchStrategy[Any]:
        key = (kind, full, dtype)
        if key not in spec_strategies:
            if kind == "positions" and len(full) >= 2 and full[-1] in (2, 3):
                spec_strategies[key] = point_strategies.cloud_specs(full, (dtype,), families)
            elif kind == "types":
                spec_strategies[key] = st.integers(0, 2**32 - 1).map(lambda s: ("types", full, s))
            elif kind == "cell":
                spec_strategies[key] = st.integers(0, 2**32 - 1).map(lambda s: ("cell", full, s, dtype))
            else:
                spec_strategies[key] = array_specs(full, (dtype,), ("noise",))
        return spec_strategies[key]

    def build(spec: Any) -> np.ndarray:
        if isinstance(spec, point_strategies.CloudSpec):
            return point_strategies.make_cloud(spec)
        if isinstance(spec, ArraySpec):
            return make_array(spec)
        if spec[0] == "types":
            return np.random.default_rng(spec[2]).integers(0, 4, size=spec[1])
        _, full, seed, dtype = spec
        cell = point_strategies.make_cell(seed, full[-1], dtype)
        return np.broadcast_to(cell, full).copy()

    def describe(spec: Any) -> str:
        if hasattr(spec, "describe"):
            return str(spec.describe())
        return f"{spec[0]}{list(spec[1])} seed={spec[2]}"

    @st.composite
    def example(draw: Callable[..., Any]) -> Example:
        n = draw(counts)
        dtype = draw(dtype_strategy)
        specs: dict[Key, Any] = {}
        for k, shape in shapes.items():
            act = plan.in_actions[k]
            drawn = tuple(draw(m) if isinstance(m, st.SearchStrategy) else m for m in shape)
            full = fill_shape(drawn, act, (n, n), None)
            kind = act.kind if isinstance(act, PointAction) else "features"
            specs[k] = draw(spec_for(kind, full, dtype))
        case = {k: plan.backend.asarray(build(s)) for k, s in specs.items()}
        grid = grid_of(plan, case)
        if grid not in element_strategies:
            if grid is not None:
                plan.group.check_grid(grid)
            element_strategies[grid] = element_lists(plan, grid)
        els = draw(element_strategies[grid])
        return case, els, "; ".join(describe(s) for s in specs.values())

    return example()


# --- running ----------------------------------------------------------------------------------------
def run_hypothesis(
    evaluator: Evaluator, strategy: st.SearchStrategy[Example], settings: Settings, seed: int | None
) -> Failure | None:
    """Search with Hypothesis; the shrunk failure, or None when every example held."""
    failures: list[Failure] = []

    def body(example: Example) -> None:
        case, els, description = example
        try:
            evaluator.evaluate(case, els, description)
        except Failure as failure:
            failures.append(failure.located(case, description, repr(els[0]) if els else None))
            raise

    test = settings(given(strategy)(body))
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    try:
        test()
    except Failure as failure:
        return failure
    except EquicheckError:
        raise
    except HypothesisException as exc:
        if failures:
            # f answered differently when Hypothesis replayed an example: report what was seen,
            # preferring the checks that run once (determinism, batch independence).
            once = [f for f in failures if f.kind in ONCE_KINDS]
            chosen = once[0] if once else failures[0]
            if not once:
                chosen.message += (
                    " (f gave different results when the example was replayed: is f deterministic?)"
                )
            return chosen
        raise EquicheckError(f"the search could not run: {type(exc).__name__}: {exc}") from exc
    except BaseException:  # an ExceptionGroup or a failure Hypothesis re-wrapped
        if failures:
            return failures[-1]
        raise
    return None


def run_direct(evaluator: Evaluator, cases: list[Case], seed: int | None) -> Failure | None:
    """Check given inputs without Hypothesis (inside a user's @given: no nested search)."""
    plan = evaluator.plan
    evaluator.steer = False  # never call target() into the user's test
    for i, case in enumerate(cases):
        grid = grid_of(plan, case)
        if grid is not None:
            plan.group.check_grid(grid)
        els = sample_elements(plan, grid, seed or 0, 16)
        description = f"given input #{i} " + ", ".join(
            f"{dtype_name(v.dtype)}{list(v.shape)}" for v in case.values()
        )
        try:
            evaluator.evaluate(case, els, description)
        except Failure as failure:
            return failure.located(case, description, None)
    return None


def settings_for(user: Settings | None, max_examples: int | None) -> Settings:
    """The Hypothesis settings of a check: the user's, or the active profile, or equicheck's."""
    if user is not None:
        base = Settings(user, report_multiple_bugs=False)
    else:
        get_name = getattr(Settings, "get_current_profile_name", None)
        profile = get_name() if get_name is not None else getattr(Settings, "_current_profile", "default")
        if profile in (None, "default"):
            base = DEFAULT_SETTINGS
        else:
            active = Settings.default
            base = Settings(
                active,
                deadline=None,
                report_multiple_bugs=False,
                suppress_health_check=list(
                    set(active.suppress_health_check) | set(DEFAULT_SETTINGS.suppress_health_check)
                ),
            )
    base = Settings(base, phases=[p for p in base.phases if p != Phase.explain])
    if max_examples is not None:
        if max_examples < 1:
            raise EquicheckError(f"max_examples must be at least 1, got {max_examples}")
        base = Settings(base, max_examples=max_examples)
    return base
