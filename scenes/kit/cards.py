"""Frame components: title card, takeaway card, caption bar."""

from __future__ import annotations

from manim import DOWN, UP, RoundedRectangle, VGroup

from scenes.captions import wrap_caption
from scenes.kit import theme
from scenes.kit.text import label

__all__ = ["TitleCard", "TakeawayCard", "CaptionBar"]


class TitleCard(VGroup):
    """The opening card: the explainer's title over its one-line hook."""

    def __init__(self, title: str, hook: str, *, category: str = "") -> None:
        if not title.strip():
            raise ValueError("a title card needs a title")
        parts = []
        if category:
            parts.append(label(category.upper(), font_size=theme.LABEL_SIZE, color=theme.NODE, weight="BOLD"))
        parts.append(label(title, font_size=theme.TITLE_SIZE, weight="BOLD"))
        parts.append(label(hook, font_size=theme.BODY_SIZE + 4, color=theme.HIGHLIGHT))
        super().__init__(*parts)
        self.arrange(DOWN, buff=0.35)
        self.scale_to_fit_width(min(self.width, theme.SAFE_RIGHT - theme.SAFE_LEFT))


class TakeawayCard(VGroup):
    """The closing card: a heading and up to four short lines, on a panel.

    The lines sit on evenly spaced baselines (a line with descenders takes no
    more room than one without), left-aligned under the heading.

    Example::

        card = TakeawayCard("Takeaway", ["Majorities overlap", "Elections cost a pause"])
        layout.STAGE.place(card)
    """

    def __init__(self, heading: str, lines: list[str]) -> None:
        if not 1 <= len(lines) <= 4:
            raise ValueError(f"a takeaway card holds 1-4 lines, got {len(lines)}")
        title = label(heading, font_size=theme.HEADING_SIZE + 6, weight="BOLD", color=theme.HIGHLIGHT)
        body = VGroup(*[label(f"• {line}", font_size=theme.BODY_SIZE) for line in lines])
        pitch = label("Ag", font_size=theme.BODY_SIZE).height + 0.3
        for i, line in enumerate(body):  # baselines ``pitch`` apart: the bullet's bottom is on the baseline
            bullet_bottom = line[0].get_bottom()[1]
            line.shift([-line.get_left()[0], -i * pitch - bullet_bottom, 0])
        content = VGroup(title, body).arrange(DOWN, buff=0.5)
        panel = RoundedRectangle(
            corner_radius=0.2,
            width=min(content.width + 1.0, theme.SAFE_RIGHT - theme.SAFE_LEFT),
            height=content.height + 0.8,
            fill_color=theme.PANEL,
            fill_opacity=1.0,
            stroke_color=theme.GRID,
            stroke_width=theme.THIN_STROKE,
        )
        super().__init__(panel, content)
        content.move_to(panel)
        if self.width > theme.SAFE_RIGHT - theme.SAFE_LEFT:
            self.scale_to_fit_width(theme.SAFE_RIGHT - theme.SAFE_LEFT)


class CaptionBar(VGroup):
    """One caption, wrapped to at most two lines, on a translucent band in the caption area."""

    def __init__(self, text: str) -> None:
        lines = VGroup(*[label(line, font_size=theme.CAPTION_SIZE) for line in wrap_caption(text)])
        lines.arrange(DOWN, buff=0.12)
        band = RoundedRectangle(
            corner_radius=0.12,
            width=lines.width + 0.6,
            height=lines.height + 0.3,
            fill_color="#000000",
            fill_opacity=0.55,
            stroke_width=0,
        )
        super().__init__(band, lines)
        lines.move_to(band)
        self.move_to([0, theme.CAPTION_Y, 0])
        if self.get_bottom()[1] < theme.SAFE_BOTTOM:
            self.shift(UP * (theme.SAFE_BOTTOM - self.get_bottom()[1]))
