"""ExplainerScene: the base every explainer scene derives from, and the contract it keeps.

A scene module holds exactly one subclass. The subclass

* reads its trace in ``setup()`` (``self.trace``: the simulator's trace as plain
  JSON data; ``self.meta``: the catalog fields it may draw: ``title``, ``hook``,
  ``category``, ``duration_s``) and plays its beats in ``construct()``;
* opens with :meth:`show_title_card` and closes with :meth:`show_takeaway_card`
  or its own takeaway, then :meth:`finish`;
* starts a chapter per beat group with :meth:`chapter` (the first at 0:00, 3-7 of
  them, each at least 10 s) and captions with :meth:`caption` / :meth:`narrate`,
  which hold the frame until a caption has been readable (:mod:`scenes.captions`);
* sets :attr:`poster_time` to a moment of the mechanism at work;
* drives every moving widget from a clock tracker (:meth:`advance`,
  :meth:`narrate`, :meth:`jump`): updaters set state from the tracker's value
  alone (:attr:`pure_updaters`), so a play can be jumped over and a video drawn
  by several processes is identical to one drawn by one;
* places things by the kit's layout regions (:mod:`scenes.kit.layout`), and
  states only numbers that come from the trace or its params.

The scene records its captions and chapters from its own clock while it
renders, so the caption files match the frames.
"""

from __future__ import annotations

from typing import Any, Callable

from manim import UP, FadeIn, FadeOut, Mobject, Rectangle, Scene, ValueTracker, VGroup, VMobject, config, linear

from scenes.captions import MAX_CPS, MIN_CUE_S, Chapter, Checkpoint, Cue
from scenes.kit import theme
from scenes.kit.cards import CaptionBar, TakeawayCard, TitleCard
from scenes.kit.layout import HEADING, STAGE
from scenes.kit.text import heading

__all__ = ["ExplainerScene"]


class ExplainerScene(Scene):
    """A scene that reads one trace and records its captions and chapters.

    Parameters
    ----------
    trace
        The simulator's trace as plain JSON data (``json.loads(trace.to_json())``).
    meta
        Catalog fields the frames may show: ``title``, ``hook``, ``category``, ``duration_s``; and
        ``captions``: ``"burned"`` (drawn in the caption band, the default) or ``"track"`` (not drawn).
    """

    #: Every updater sets state from a clock tracker's value alone (the kit's widgets do), so a play can be
    #: jumped over in one step and leave the state that playing it frame by frame would. A render shared by
    #: several processes then skips the plays another process draws instead of replaying them; the shared
    #: tests check it frame by frame for every ready explainer. A scene whose state depends on the path
    #: taken sets this to False.
    pure_updaters: bool = True

    #: Seconds into the video of the poster frame: a moment of the mechanism at work (set while
    #: constructing). None: five seconds into the second chapter.
    poster_time: float | None = None

    def __init__(self, trace: dict[str, Any], meta: dict[str, Any], **kwargs: Any) -> None:
        if "steps" not in trace:
            raise ValueError("trace has no steps: pass the simulator's trace JSON as a dict")
        self.trace = trace
        self.meta = meta
        self.cues: list[Cue] = []
        self.chapters: list[Chapter] = []
        self.checkpoints: list[Checkpoint] = []
        self._driver = VGroup()  #: empty, at the back of the scene while :meth:`drive` runs
        self._caption: CaptionBar | None = None
        self._caption_text = ""
        self._caption_start = 0.0
        self.heading_mobject: Mobject | None = None  #: the beat heading on screen, if any
        super().__init__(**kwargs)
        self.camera.background_color = theme.BACKGROUND

    # --- captions and chapters -------------------------------------------------
    def caption(self, text: str) -> None:
        """Put ``text`` in the caption band from now on, replacing the current caption.

        With ``meta["captions"] == "track"`` nothing is drawn (the captions reach the viewer as a track
        only), but the caption is timed and held exactly as when it is drawn.
        """
        self.clear_caption()
        self._caption = CaptionBar(text)
        self._caption_text = text
        self._caption_start = self.time
        if self.meta.get("captions", "burned") == "burned":
            self.add_foreground_mobject(self._caption)

    def caption_time_left(self) -> float:
        """Seconds the current caption still needs on screen to be read (0 if none), with some slack."""
        if self._caption is None:
            return 0.0
        needed = max(MIN_CUE_S, len(self._caption_text) / (MAX_CPS - theme.CAPTION_READING_MARGIN))
        return max(0.0, needed - (self.time - self._caption_start))

    def hold_for_caption(self) -> None:
        """Hold the frame until the current caption has been readable (call before the stage changes under it)."""
        left = self.caption_time_left()
        if left > 0:
            self.wait(round(left + 0.05, 2))

    def clear_caption(self) -> None:
        """End the current caption, first holding the frame if it has not been readable long enough."""
        if self._caption is None:
            return
        self.hold_for_caption()
        self.cues.append(Cue(self._caption_text, round(self._caption_start, 3), round(self.time, 3)))
        if self._caption in self.foreground_mobjects:
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

    def checkpoint(self, prompt: str, choices: list[str], answer: int, why: str) -> None:
        """Ask a multiple-choice question at this moment (a course player pauses here; nothing is drawn).

        Build every part from the trace, and ask it where the viewer can reason it out from what was
        just shown, best as a prediction just before the reveal. At most one per chapter.
        """
        chapter = self.chapters[-1].title if self.chapters else ""
        if any(c.chapter == chapter for c in self.checkpoints):
            raise ValueError(f"chapter {chapter!r} already has a checkpoint")
        self.checkpoints.append(Checkpoint(round(self.time, 3), chapter, prompt, tuple(choices), answer, why))

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

    # --- the simulated clock -----------------------------------------------------
    def advance(self, clock: ValueTracker, t_end: float, seconds: float) -> None:
        """Move the simulated ``clock`` to ``t_end`` at a steady pace over ``seconds`` of video."""
        self.play(clock.animate.set_value(t_end), run_time=seconds, rate_func=linear)

    def narrate(self, text: str, clock: ValueTracker, t_end: float, seconds: float = 0.0) -> None:
        """Caption ``text`` and advance ``clock`` to ``t_end`` over ``seconds``, or the caption's reading time
        if that is longer: whatever the caption names happens while it can be read."""
        self.caption(text)
        self.advance(clock, t_end, max(seconds, round(self.caption_time_left() + 0.05, 2)))

    def drive(self, clock: ValueTracker, draw: Callable[[float], Any]) -> None:
        """Call ``draw(clock value)`` now and at every frame until :meth:`stop_driving` (or :meth:`clear_stage`).

        For a stage that is redrawn from the trace at one time value. Manim redraws, each frame, only the
        mobjects that move and everything in front of them; the updater sits on an empty group at the very
        back, so the whole stage, whatever ``draw`` changes, is redrawn.
        """
        draw(clock.get_value())
        driver = self._driver
        driver.clear_updaters()
        driver.add_updater(lambda _: draw(clock.get_value()))
        self.add(driver)
        self.bring_to_back(driver)

    def stop_driving(self) -> None:
        """Stop the :meth:`drive` updater (the stage keeps what it last drew)."""
        self._driver.clear_updaters()

    def jump(self, clock: ValueTracker, t: float, *, run_time: float = 0.8) -> None:
        """Cut to another moment of the run: fade to the background, set ``clock`` to ``t``, fade back."""
        self.fade_cut(lambda: clock.set_value(t), run_time=run_time)

    def fade_cut(self, change: Callable[[], Any], *, run_time: float = 0.8) -> None:
        """Fade the frame to the background, call ``change()`` (swap what is shown), fade back in."""
        curtain = self._curtain(0.0)
        self.add(curtain)
        self.play(curtain.animate.set_fill(opacity=1.0), run_time=run_time / 2)
        change()
        self.play(curtain.animate.set_fill(opacity=0.0), run_time=run_time / 2)
        self.remove(curtain)

    # --- frame ------------------------------------------------------------------
    def set_heading(self, text: str | None) -> list:
        """Animations that swap the beat heading in the heading band (``None``: remove it)."""
        animations = []
        if self.heading_mobject is not None:
            animations.append(FadeOut(self.heading_mobject))
        self.heading_mobject = None
        if text:
            self.heading_mobject = heading(text).move_to(HEADING.center)
            animations.append(FadeIn(self.heading_mobject))
        return animations

    def show_title_card(self, seconds: float) -> None:
        """The opening card (category, title, hook) for ``seconds``, faded in and out."""
        card = TitleCard(self.meta["title"], self.meta["hook"], category=self.meta.get("category", ""))
        self.play(FadeIn(card, shift=UP * 0.2), run_time=theme.FADE_S)
        self.wait(max(seconds - 2 * theme.FADE_S, 0))
        self.play(FadeOut(card), run_time=theme.FADE_S)

    def show_takeaway_card(self, heading_text: str, lines: list[str], seconds: float) -> None:
        """The closing card (a heading and 1-4 lines) on the stage, for ``seconds``."""
        card = TakeawayCard(heading_text, lines)
        STAGE.place(card)
        self.play(FadeIn(card), run_time=theme.FADE_S)
        self.wait(max(seconds - theme.FADE_S, 0))

    def _curtain(self, opacity: float) -> Rectangle:
        return Rectangle(width=config.frame_width + 1, height=config.frame_height + 1, fill_color=theme.BACKGROUND,
                         fill_opacity=opacity, stroke_width=0)

    def reveal(self, *mobjects: Mobject, heading: str | None = None, run_time: float = theme.FADE_S) -> None:
        """Fade the stage (and a new beat ``heading``) in from the background: cheap for large groups,
        nothing is copied."""
        if heading is not None:
            self.set_heading(heading)
        shown = [m for m in (*mobjects, self.heading_mobject if heading is not None else None) if m is not None]
        curtain = self._curtain(1.0)
        self.add(*shown, curtain)
        self.play(curtain.animate.set_fill(opacity=0.0), run_time=run_time)
        self.remove(curtain)

    def clear_stage(self, run_time: float = theme.FADE_S) -> None:
        """Fade everything but the caption out to the background, then remove it."""
        gone = [m for m in self.mobjects if m is not self._caption]
        for m in gone:
            m.clear_updaters()
        if any(isinstance(m, VMobject) and m is not self._driver for m in gone):
            curtain = self._curtain(0.0)
            self.add(curtain)
            self.play(curtain.animate.set_fill(opacity=1.0), run_time=run_time)
            gone.append(curtain)
        self.remove(*gone)
        self.heading_mobject = None
