"""hnet-repro: reproduce "Continual learning with hypernetworks" (von Oswald et al., ICLR 2020)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hnet-repro")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
