"""The shared kit: theme, layout regions, frame components and visual components reused across explainers.

Scenes import only these public names (and public names of the kit's modules);
what a second scene needs moves here, free of the first topic's words.
"""

from __future__ import annotations

from scenes.kit import layout, theme
from scenes.kit.badges import LockIcon, StaleBadge, VersionTag
from scenes.kit.base import ExplainerScene
from scenes.kit.cards import CaptionBar, TakeawayCard, TitleCard
from scenes.kit.charts import BarChart, LineChart
from scenes.kit.clock import ClockCursor, SimTimeReadout
from scenes.kit.clockbadge import ClockBadge
from scenes.kit.crowd import ContactLook, Crowd, FractionChart, PeerLook
from scenes.kit.curves import RevealCurve
from scenes.kit.gauges import Counter, LevelGauge, Meter
from scenes.kit.hashring import HashRing
from scenes.kit.legend import Legend
from scenes.kit.logs import LogCell, LogStrip
from scenes.kit.matrix import BarRows, EquationLine, MatrixHeatmap, VectorBars, distinct_digits, significant
from scenes.kit.messages import Flight, FlightLayer, MessageDot, route_between
from scenes.kit.netgraph import LayeredGraph
from scenes.kit.nodes import ClientNode, CrashBolt, LeaderCrown, ServerNode, TimerRing
from scenes.kit.partition import PartitionWall
from scenes.kit.queue import QueueWidget
from scenes.kit.quorum import QuorumOutline
from scenes.kit.sequence import MessageArrow, MessageKind, SeqEvent, SeqMessage, SequenceDiagram, TimeWarp
from scenes.kit.statemachine import StateMachine
from scenes.kit.suspicion import ArrivalStrip, GapHistogram, SuspicionMeter
from scenes.kit.table import TableWidget
from scenes.kit.text import SwapText, heading, label, mono
from scenes.kit.timeline import EventMarks, TimelineLane, WindowBracket, mark
from scenes.kit.tokens import TokenChip, TokenRow, TokenShelf

__all__ = [
    "ArrivalStrip", "BarChart", "BarRows", "CaptionBar", "ClientNode", "ClockBadge", "ClockCursor", "ContactLook",
    "Counter", "CrashBolt", "Crowd", "EquationLine", "EventMarks", "ExplainerScene", "Flight", "FlightLayer",
    "FractionChart", "GapHistogram", "HashRing", "LayeredGraph", "LeaderCrown", "Legend", "LevelGauge", "LineChart",
    "LockIcon", "LogCell", "LogStrip", "MatrixHeatmap", "MessageArrow", "MessageDot", "MessageKind", "Meter",
    "PartitionWall", "PeerLook", "QueueWidget", "QuorumOutline", "RevealCurve", "SeqEvent", "SeqMessage",
    "SequenceDiagram", "ServerNode", "SimTimeReadout", "StaleBadge", "StateMachine", "SuspicionMeter", "SwapText",
    "TableWidget", "TakeawayCard", "TimeWarp", "TimelineLane", "TimerRing", "TitleCard", "TokenChip", "TokenRow",
    "TokenShelf", "VectorBars", "VersionTag", "WindowBracket", "distinct_digits", "heading", "label", "layout", "mark",
    "mono", "route_between", "significant", "theme",
]
