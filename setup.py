"""Build hook: setuptools needs setup.py to pass cffi_modules; all metadata is in pyproject.toml."""

from setuptools import find_packages, setup

# nnfx.data holds the bundled sound files (no Python); listed so setuptools ships it as data.
packages = ["nnfx." + p for p in find_packages("python/nnfx")] + ["nnfx", "nnfx.data"]
packages += ["nnfx.exporter"] + ["nnfx.exporter." + p for p in find_packages("exporter")]

setup(
    packages=packages,
    package_dir={"nnfx": "python/nnfx", "nnfx.exporter": "exporter"},
    package_data={"nnfx.data": ["*.wav"]},
    cffi_modules=["python/build_binding.py:ffibuilder"],
)
