"""The one theme: palette with roles, fonts, sizes, safe area and timing constants.

Scenes name roles (``theme.SUCCESS``), never hex codes. The palette is
Okabe-Ito on a dark slate background, distinguishable under the common
color-vision deficiencies; meanings are never carried by color alone
(admitted = filled disc, rejected = cross).
"""

from __future__ import annotations

from scenes.captions import CAPTION_BAND_SHARE

__all__ = [
    "BACKGROUND", "PANEL", "GRID", "TEXT", "MUTED", "NODE", "MESSAGE", "SUCCESS", "FAILURE",
    "HIGHLIGHT", "ACCENT", "FONT", "MONO", "FONT_FAMILIES",
    "TITLE_SIZE", "HEADING_SIZE", "BODY_SIZE", "LABEL_SIZE", "CAPTION_SIZE", "MIN_FONT_SIZE",
    "SAFE_LEFT", "SAFE_RIGHT", "SAFE_TOP", "SAFE_BOTTOM", "CAPTION_Y", "CONTENT_BOTTOM", "HEADING_BAND",
    "SIDE_PANEL_WIDTH", "PANEL_GAP", "STROKE", "THIN_STROKE", "DIM_OPACITY", "FADE_S", "CAPTION_READING_MARGIN",
]

# Okabe-Ito
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

BACKGROUND = "#1B2330"  #: dark slate
PANEL = "#263142"  #: cards, widget backgrounds
GRID = "#4A5568"  #: axes, lane lines, window grid
TEXT = "#ECEFF4"
MUTED = "#9AA5B5"  #: secondary text, not-yet-decided requests
NODE = SKY_BLUE
MESSAGE = ORANGE
SUCCESS = BLUISH_GREEN
FAILURE = VERMILLION
HIGHLIGHT = YELLOW
ACCENT = REDDISH_PURPLE

#: Pango font families; installed from Debian's fonts-inter and fonts-jetbrains-mono.
FONT = "Inter"
MONO = "JetBrains Mono"
FONT_FAMILIES = (FONT, MONO)

# Font sizes in Manim's Text units. 1 unit of frame height is 135 px at 1080p
# and 60 px at 480p; MIN_FONT_SIZE 20 is ~11 px cap height at 480p.
TITLE_SIZE = 60
HEADING_SIZE = 34
BODY_SIZE = 28
CAPTION_SIZE = 30
LABEL_SIZE = 22
MIN_FONT_SIZE = 20

# Title-safe area (90 % of the 14.22 x 8 frame) and the caption band inside it.
SAFE_LEFT, SAFE_RIGHT = -6.4, 6.4
SAFE_TOP, SAFE_BOTTOM = 3.6, -3.6
CAPTION_Y = -3.2
#: nothing but the caption goes below this line (a two-line caption's top is at -2.4): the caption band, the
#: bottom CAPTION_BAND_SHARE of the 8-unit-high frame
CONTENT_BOTTOM = -4.0 + CAPTION_BAND_SHARE * 8.0
HEADING_BAND = 0.5  #: height of the beat heading's band at the top of the safe area
SIDE_PANEL_WIDTH = 3.6  #: the stage's right column (counters, legends, gauges)
PANEL_GAP = 0.3  #: between the main stage and the side panel

STROKE = 4.0
THIN_STROKE = 2.0
DIM_OPACITY = 0.25

# Timing (the caption rules themselves are in scenes.captions)
FADE_S = 0.6
#: A caption is held for its reading time at this many characters/s fewer than the limit, for slack.
CAPTION_READING_MARGIN = 1.0
