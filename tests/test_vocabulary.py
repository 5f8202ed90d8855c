"""The shop's fixed words have one home each; everything that labels or colours them
covers exactly those words (a new status or channel cannot go unlabelled)."""

from __future__ import annotations

from app.ui import theme
from devices.events import Channel as DeviceChannel
from sync import lifecycle, vocabulary


def test_every_status_is_labelled_and_coloured() -> None:
    assert set(theme.STATUS_LABELS) == set(lifecycle.STATUSES)
    assert set(theme.STATUS_COLOURS) == set(lifecycle.STATUSES)


def test_every_channel_is_labelled_and_coloured() -> None:
    assert set(theme.CHANNEL_LABELS) == set(vocabulary.CHANNELS)
    assert set(theme.CHANNEL_COLOURS) == set(vocabulary.CHANNELS)


def test_devices_tag_messages_with_the_same_channels() -> None:
    assert DeviceChannel is vocabulary.Channel
    assert set(vocabulary.MESSAGE_CHANNELS) == set(vocabulary.CHANNELS) - {"counter"}


def test_open_statuses_keep_lifecycle_order() -> None:
    assert set(lifecycle.OPEN_STATUSES) == lifecycle.OPEN
    positions = [lifecycle.STATUSES.index(s) for s in lifecycle.OPEN_STATUSES]
    assert positions == sorted(positions)
