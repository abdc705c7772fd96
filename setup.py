"""Builds the optional compiled convolution kernel (equicheck/nn/_kernels.c).

Everything else lives in pyproject.toml. The extension is optional: where no C compiler is
available, or the platform is not x86-64, the build skips it and equicheck.nn runs its NumPy
algorithms (``equicheck.nn.native_status()`` says which is in use).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "equicheck.nn._kernels",
            sources=["equicheck/nn/_kernels.c"],
            depends=["equicheck/nn/_kernels_impl.h"],
            extra_compile_args=["-O3", "-Wall"],
            extra_link_args=["-pthread"],
            optional=True,
        )
    ]
)
