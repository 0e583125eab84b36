"""``vaxel``: the command line for people, a thin client over the platform's gRPC APIs (and, for
``vaxel events tail``, the broker). See docs/cli.md."""

__all__ = ["__version__"]

__version__ = "0.1.0"
