"""minewatch: find cryptocurrency miners in network traffic and get them shut down."""

__version__ = "0.1.0"
