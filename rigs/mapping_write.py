"""Write a :class:`~rigs.mapping.Mapping` as a mapping file people can read and diff (the presets' form).

One link per line, columns aligned, defaults left out; the source and target are written as a name list
(``source = "facewarehouse46"``) when they are one, else as explicit ``source_names`` / ``target_names``.
:func:`rigs.load_mapping` reads the text back to an equal mapping.
"""

from __future__ import annotations

import json
import math

from .mapping import SCHEMA_VERSION, Link, Mapping
from .names import name_list_of

__all__ = ["mapping_to_toml"]


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"cannot write the non-finite value {value} into a mapping file")
    return repr(float(value))


def _names_entry(side: str, names: tuple[str, ...]) -> str:
    list_name = name_list_of(names)
    if list_name:
        return f"{side} = {_string(list_name)}"
    body = "".join(f"  {_string(n)},\n" for n in names)
    return f"{side}_names = [\n{body}]"


def _link_line(link: Link, width: int) -> str:
    head = f"source = {_string(link.source)},"
    parts = [f"{head:<{width}} target = {_string(link.target)}"]
    if link.gain != 1.0:
        parts.append(f"gain = {_number(link.gain)}")
    if link.offset != 0.0:
        parts.append(f"offset = {_number(link.offset)}")
    if tuple(link.clamp) != (0.0, 1.0):
        parts.append(f"clamp = [{_number(link.clamp[0])}, {_number(link.clamp[1])}]")
    if link.unless_rig_has:
        parts.append(f"unless_rig_has = [{', '.join(_string(t) for t in link.unless_rig_has)}]")
    return "  { " + ", ".join(parts) + " },"


def mapping_to_toml(mapping: Mapping, *, comment: str = "") -> str:
    """The mapping as the text of a mapping file.

    Args:
        mapping: the mapping to write.
        comment: lines for the file's header comment (``#`` is added).

    Returns:
        TOML text ending in a newline.

    Raises:
        ValueError: a gain, offset or clamp is not finite.

    Example:
        >>> from rigs.mapping import make_mapping
        >>> from rigs.names import load_names
        >>> m = make_mapping("mine", load_names("facewarehouse46"), ["Blink.L"], [Link("EyeBlink_L", "Blink.L", 0.5)])
        >>> print(mapping_to_toml(m, comment="my rig"))
        # my rig
        schema = 1
        source = "facewarehouse46"
        target_names = [
          "Blink.L",
        ]
        links = [
          { source = "EyeBlink_L", target = "Blink.L", gain = 0.5 },
        ]
        <BLANKLINE>
    """
    width = max((len(f"source = {_string(k.source)},") for k in mapping.links), default=0)
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += [
        f"schema = {SCHEMA_VERSION}",
        _names_entry("source", tuple(mapping.source_names)),
        _names_entry("target", tuple(mapping.target_names)),
        "links = [",
        *(_link_line(k, width) for k in mapping.links),
        "]",
    ]
    return "\n".join(lines) + "\n"
