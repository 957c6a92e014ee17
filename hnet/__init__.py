"""hnet-repro: reproduce "Continual learning with hypernetworks" (von Oswald et al., ICLR 2020)."""

__version__ = "0.1.0"
