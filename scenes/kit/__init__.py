"""The shared kit: theme, frame components and visual components reused across explainers."""

from __future__ import annotations

from scenes.kit import theme
from scenes.kit.base import ExplainerScene
from scenes.kit.cards import CaptionBar, TakeawayCard, TitleCard
from scenes.kit.charts import BarChart, LineChart
from scenes.kit.gauges import Counter, LevelGauge, Meter
from scenes.kit.logs import LogCell, LogStrip
from scenes.kit.messages import Flight, FlightLayer, MessageDot, route_between
from scenes.kit.nodes import ClientNode, CrashBolt, LeaderCrown, ServerNode, TimerRing
from scenes.kit.table import TableWidget
from scenes.kit.text import heading, label, mono
from scenes.kit.timeline import EventMarks, TimelineLane, WindowBracket, mark

__all__ = [
    "BarChart", "CaptionBar", "Counter", "EventMarks", "ExplainerScene", "LevelGauge", "LineChart", "Meter",
    "TableWidget", "TakeawayCard", "TimelineLane", "TitleCard", "WindowBracket", "heading", "label", "mark",
    "mono", "theme",
    "ClientNode", "CrashBolt", "Flight", "FlightLayer", "LeaderCrown", "LogCell", "LogStrip", "MessageDot",
    "ServerNode", "TimerRing", "route_between",
]
