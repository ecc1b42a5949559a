"""ExplainerScene: the base every explainer scene derives from.

It holds the trace and the catalog metadata, records captions and chapters
from the scene's own clock (``self.time``) while it renders, and draws the
title and takeaway cards.
"""

from __future__ import annotations

from typing import Any

from manim import UP, FadeIn, FadeOut, Mobject, Rectangle, Scene, VMobject, config

from render.captions import Chapter, Cue
from scenes.kit import theme
from scenes.kit.cards import CaptionBar, TakeawayCard, TitleCard
from scenes.kit.text import heading

__all__ = ["ExplainerScene"]


class ExplainerScene(Scene):
    """A scene that reads one trace and records its captions and chapters.

    Parameters
    ----------
    trace
        The simulator's trace as plain JSON data (``json.loads(trace.to_json())``).
    meta
        Catalog fields the frames show: ``title``, ``hook``, ``category``.
    """

    #: Every updater sets state from a clock tracker's value alone (the kit's widgets do), so a play can be
    #: jumped over in one step and leave the state that playing it frame by frame would. A render shared by
    #: several processes (render/drawparts.py) then skips the plays another process draws instead of
    #: replaying them. tests/test_drawparts.py checks it, frame by frame, for every ready explainer; a
    #: scene whose state depends on the path taken sets this to False.
    pure_updaters: bool = True

    def __init__(self, trace: dict[str, Any], meta: dict[str, Any], **kwargs: Any) -> None:
        if "steps" not in trace:
            raise ValueError("trace has no steps: pass the simulator's trace JSON as a dict")
        self.trace = trace
        self.meta = meta
        self.cues: list[Cue] = []
        self.chapters: list[Chapter] = []
        self._caption: CaptionBar | None = None
        self._caption_text = ""
        self._caption_start = 0.0
        self._heading: Mobject | None = None
        super().__init__(**kwargs)
        self.camera.background_color = theme.BACKGROUND

    # --- captions and chapters -------------------------------------------------
    def caption(self, text: str) -> None:
        """Put ``text`` in the caption band from now on, replacing the current caption."""
        self.clear_caption()
        self._caption = CaptionBar(text)
        self._caption_text = text
        self._caption_start = self.time
        self.add_foreground_mobject(self._caption)

    def caption_time_left(self) -> float:
        """Seconds the current caption still needs on screen to be read (0 if none)."""
        if self._caption is None:
            return 0.0
        needed = max(theme.CAPTION_MIN_S, len(self._caption_text) / (theme.CAPTION_CPS - 1.0))
        return max(0.0, needed - (self.time - self._caption_start))

    def clear_caption(self) -> None:
        """End the current caption, first holding the frame if it has not been readable long enough."""
        if self._caption is None:
            return
        left = self.caption_time_left()
        if left > 0:
            self.wait(round(left + 0.05, 2))
        self.cues.append(Cue(self._caption_text, round(self._caption_start, 3), round(self.time, 3)))
        self.remove_foreground_mobject(self._caption)
        self.remove(self._caption)
        self._caption = None

    def chapter(self, title: str) -> None:
        """Start a chapter (one per beat group) at the current time."""
        now = round(self.time, 3)
        if self.chapters:
            last = self.chapters[-1]
            self.chapters[-1] = Chapter(last.title, last.start, now)
        self.chapters.append(Chapter(title, now, now))

    def say(self, text: str, seconds: float) -> None:
        """Show a caption and hold the frame for ``seconds``."""
        self.caption(text)
        self.wait(seconds)

    def finish(self, hold: float = 0.8) -> None:
        """End the video: close the last caption, then hold the final frame uncaptioned."""
        self.clear_caption()
        self.wait(hold)

    def tear_down(self) -> None:
        self.clear_caption()
        if self.chapters:
            last = self.chapters[-1]
            self.chapters[-1] = Chapter(last.title, last.start, round(self.time, 3))
        super().tear_down()

    # --- frame ------------------------------------------------------------------
    def set_heading(self, text: str | None) -> list:
        """Animations that swap the beat heading at the top of the safe area."""
        animations = []
        if self._heading is not None:
            animations.append(FadeOut(self._heading))
        self._heading = None
        if text:
            self._heading = heading(text).move_to([0, theme.SAFE_TOP - 0.25, 0])
            animations.append(FadeIn(self._heading))
        return animations

    def show_title_card(self, seconds: float) -> None:
        card = TitleCard(self.meta["title"], self.meta["hook"], category=self.meta.get("category", ""))
        self.play(FadeIn(card, shift=UP * 0.2), run_time=theme.FADE_S)
        self.wait(max(seconds - 2 * theme.FADE_S, 0))
        self.play(FadeOut(card), run_time=theme.FADE_S)

    def show_takeaway_card(self, heading_text: str, lines: list[str], seconds: float) -> None:
        card = TakeawayCard(heading_text, lines).move_to([0, 0.3, 0])
        self.play(FadeIn(card), run_time=theme.FADE_S)
        self.wait(max(seconds - theme.FADE_S, 0))

    def _curtain(self, opacity: float) -> Rectangle:
        return Rectangle(width=config.frame_width + 1, height=config.frame_height + 1, fill_color=theme.BACKGROUND,
                         fill_opacity=opacity, stroke_width=0)

    def reveal(self, *mobjects: Mobject, run_time: float = theme.FADE_S) -> None:
        """Fade the whole stage in from the background (cheap for large groups: nothing is copied)."""
        curtain = self._curtain(1.0)
        self.add(*mobjects, curtain)
        self.play(curtain.animate.set_fill(opacity=0.0), run_time=run_time)
        self.remove(curtain)

    def clear_stage(self, run_time: float = theme.FADE_S) -> None:
        """Fade everything but the caption out to the background, then remove it."""
        gone = [m for m in self.mobjects if m is not self._caption]
        for m in gone:
            m.clear_updaters()
        if any(isinstance(m, VMobject) for m in gone):
            curtain = self._curtain(0.0)
            self.add(curtain)
            self.play(curtain.animate.set_fill(opacity=1.0), run_time=run_time)
            gone.append(curtain)
        self.remove(*gone)
        self._heading = None
