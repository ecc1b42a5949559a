"""The shared kit: theme, layout regions, frame components and visual components reused across explainers.

Scenes import only these public names (and public names of the kit's modules);
what a second scene needs moves here, free of the first topic's words.
"""

from __future__ import annotations

from scenes.kit import layout, theme
from scenes.kit.base import ExplainerScene
from scenes.kit.cards import CaptionBar, TakeawayCard, TitleCard
from scenes.kit.charts import BarChart, LineChart
from scenes.kit.clock import ClockCursor, SimTimeReadout
from scenes.kit.gauges import Counter, LevelGauge, Meter
from scenes.kit.legend import Legend
from scenes.kit.logs import LogCell, LogStrip
from scenes.kit.messages import Flight, FlightLayer, MessageDot, route_between
from scenes.kit.nodes import ClientNode, CrashBolt, LeaderCrown, ServerNode, TimerRing
from scenes.kit.queue import QueueWidget
from scenes.kit.table import TableWidget
from scenes.kit.text import SwapText, heading, label, mono
from scenes.kit.timeline import EventMarks, TimelineLane, WindowBracket, mark

__all__ = [
    "BarChart", "CaptionBar", "ClientNode", "ClockCursor", "Counter", "CrashBolt", "EventMarks", "ExplainerScene",
    "Flight", "FlightLayer", "LeaderCrown", "Legend", "LevelGauge", "LineChart", "LogCell", "LogStrip", "MessageDot",
    "Meter", "QueueWidget", "ServerNode", "SimTimeReadout", "SwapText", "TableWidget", "TakeawayCard",
    "TimelineLane", "TimerRing", "TitleCard", "WindowBracket", "heading", "label", "layout", "mark", "mono",
    "route_between", "theme",
]
