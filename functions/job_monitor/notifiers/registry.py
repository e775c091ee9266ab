"""The destination registry and the renderer table derived from it.

``DESTINATIONS``: destination type name -> ``DestinationType`` (renderers per message type, and
how to build its delivery). ``RENDERERS`` is keyed by (message type, destination type). Adding a
destination (Microsoft Teams) is its folder ``notifiers/<name>/`` with renderers and delivery, and
one row here; adding a message type is a renderer in each destination's row.
"""

from __future__ import annotations

from collections.abc import Mapping

from job_monitor.notifiers.destination import DestinationType, Renderer
from job_monitor.notifiers.slack.destination import SLACK_TYPE
from job_monitor.notifiers.teams.destination import TEAMS_TYPE

DESTINATIONS: dict[str, DestinationType] = {d.name: d for d in (SLACK_TYPE, TEAMS_TYPE)}

RENDERERS: dict[tuple[str, str], Renderer] = {
    (message_type, destination.name): renderer
    for destination in DESTINATIONS.values()
    for message_type, renderer in destination.renderers.items()
}


class NoRenderer(LookupError):
    """No renderer for a (message type, destination type) pair: the table is incomplete, or the
    message type is one this notifier does not know."""


def renderer_for(
    message_type: str,
    destination_type: str,
    renderers: Mapping[tuple[str, str], Renderer] = RENDERERS,
) -> Renderer:
    """The renderer of ``message_type`` for ``destination_type``; raises NoRenderer naming the
    pair and the message types the destination renders."""
    try:
        return renderers[(message_type, destination_type)]
    except KeyError:
        known = sorted(m for m, d in renderers if d == destination_type)
        raise NoRenderer(
            f"no renderer for message type {message_type!r} to destination "
            f"{destination_type!r}; it renders: {', '.join(known) or 'nothing'}"
        ) from None
