"""Build hook: setuptools needs setup.py to pass cffi_modules; all metadata is in pyproject.toml."""

from setuptools import find_packages, setup

packages = ["nnfx." + p for p in find_packages("python/nnfx")] + ["nnfx"]
packages += ["nnfx.exporter"] + ["nnfx.exporter." + p for p in find_packages("exporter")]

setup(
    packages=packages,
    package_dir={"nnfx": "python/nnfx", "nnfx.exporter": "exporter"},
    package_data={"nnfx": ["data/*"]},
    cffi_modules=["python/build_binding.py:ffibuilder"],
)
