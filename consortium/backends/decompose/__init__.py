"""Decomposition by target for national-scale plans (see :mod:`.driver`):
:mod:`.blocks` splits the model, :mod:`.pricing` solves each target under
prices, :mod:`.master` combines candidates, :mod:`.driver` runs the loop."""

from .blocks import Blocks, NotDecomposable, block_model, split
from .driver import decompose

__all__ = ["Blocks", "NotDecomposable", "block_model", "decompose", "split"]
