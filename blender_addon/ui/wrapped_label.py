"""Text longer than a sidebar is wide, as several labels: Blender's labels do not wrap, and cut a long one off."""

from __future__ import annotations

import textwrap

__all__ = ["CHARACTER_WIDTH_PX", "draw_wrapped"]

CHARACTER_WIDTH_PX = 7  # about one character of the interface font at scale 1
MIN_CHARACTERS = 30  # a line never wraps narrower than this (a collapsed region still reads a word or two)


def draw_wrapped(layout, text: str, context=None, *, icon: str = "NONE") -> None:
    """Draw ``text`` as labels no wider than the context's region (the icon on the first; later lines indented)."""
    region = getattr(context, "region", None) if context is not None else None
    width = max(int((region.width if region else 300) / CHARACTER_WIDTH_PX), MIN_CHARACTERS)
    for i, part in enumerate(textwrap.wrap(text, width) or [""]):
        layout.label(text=("    " if i else "") + part, icon=icon if i == 0 else "NONE")
