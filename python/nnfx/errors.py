"""Exceptions shared by every part of the nnfx package."""


class NnfxError(Exception):
    """Base class: a problem the user can fix, reported as one clear line."""


class ModelError(NnfxError):
    """The C runtime refused a model file or an operation on a model."""
