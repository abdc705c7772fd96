"""Actions: how a group element moves an array.

Every action is an :class:`Action` with an explicit *spatial* part (grid axes it moves) and
*fiber* part (channel axis it mixes), either possibly None. The usual ones are
:class:`Field` s built by :func:`trivial`, :func:`spatial`, :func:`regular`, :func:`vector`
and :func:`matrix`; :func:`via` acts through a group homomorphism. Actions are written
against the backend's array namespace (array-API functions only), so they run unchanged on
NumPy, CuPy or any array-API library.

Modules: ``kernels`` (array kernels), ``spatial_part`` and ``fibers`` (the two parts),
``interpolation`` (interpolated spatial actions of continuous elements), ``base`` (the
interface), ``field`` (fields, homomorphisms, names).
"""

from __future__ import annotations

from .base import Action
from .fibers import Fiber, IrrepsField, Matrix, Regular, Vector
from .field import (
    Field,
    Via,
    from_dict,
    from_name,
    irreps_field,
    is_named,
    matrix,
    regular,
    spatial,
    trivial,
    vector,
    via,
)
from .graphs import Adjacency, Batch, EdgeIndex, EdgeOrder, Edges, Nodes
from .interpolation import interpolation_order
from .points import PointAction, cell, irreps, positions, pseudovectors, scalars, tensor, types, vectors
from .spatial_part import Spatial, register_spatial

__all__ = [
    "Action",
    "Adjacency",
    "Batch",
    "EdgeIndex",
    "EdgeOrder",
    "Edges",
    "Nodes",
    "Fiber",
    "IrrepsField",
    "irreps_field",
    "PointAction",
    "cell",
    "irreps",
    "positions",
    "pseudovectors",
    "scalars",
    "tensor",
    "types",
    "vectors",
    "Field",
    "Matrix",
    "Regular",
    "Spatial",
    "Vector",
    "Via",
    "from_dict",
    "from_name",
    "interpolation_order",
    "is_named",
    "matrix",
    "register_spatial",
    "regular",
    "spatial",
    "trivial",
    "vector",
    "via",
]
