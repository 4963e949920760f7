"""minewatch: find cryptocurrency miners in network traffic and get them shut down."""

__version__ = "0.1.0"

from minewatch import jit  # noqa: E402  (before any compiled kernel is defined)

jit.configure()
