"""gvcodec's exception types: each says what was wrong and what was expected."""


class GvcError(Exception):
    """Base of every error gvcodec raises on purpose."""


class InputError(GvcError):
    """The input video or an option is not what the codec can take."""


class ModelError(GvcError):
    """A model folder is missing, malformed, or does not match the stream."""


class StreamError(GvcError):
    """A bitstream is damaged, truncated, or of a format this release cannot decode."""


class InstallError(GvcError):
    """A part of gvcodec that is built at install time is missing: reinstall the package."""
