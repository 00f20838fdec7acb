"""A loopback simulator of the whole RPA API contract, with switchable faults."""

from .server import Faults, RpaSimulator, Timing

__all__ = ["Faults", "RpaSimulator", "Timing"]
