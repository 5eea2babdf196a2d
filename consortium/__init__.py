"""consortium: form innovation consortia by mixed-integer optimisation."""

__version__ = "0.1.0"
