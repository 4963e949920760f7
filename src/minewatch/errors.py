"""The one small exception tree. Decoders raise DecodeError (or a subclass) and nothing else."""


class MinewatchError(Exception):
    """Base of every error minewatch raises on purpose."""


class DecodeError(MinewatchError):
    """Bytes that do not decode as the format claims."""


class NeedMoreData(DecodeError):
    """The bytes end before the record does (truncated input or a partial stream)."""


class TemplateMissing(DecodeError):
    """A NetFlow v9 / IPFIX data set whose template has not been seen (yet)."""


class InputError(MinewatchError):
    """An input that cannot be read at all: missing, empty, of unknown format."""


class UsageError(MinewatchError):
    """The caller asked for something inconsistent (bad option combination)."""
