"""Two-Phase Commit: a coordinator gathers votes, commits only on all yes, and blocks everyone when it
crashes after logging (storyboard: two-phase-commit.md).

Each transaction is drawn as a sequence diagram (:class:`scenes.kit.sequence.SequenceDiagram`): one
lane per node, time running right, every message an arrow from sender to receiver and every log
record a labelled mark on its node's lane. Beside each lane a padlock shows whether the node holds
its locks and a word its state. Everything is a pure function of the simulated clock (the diagram's
``show_at``, :meth:`TwoPhaseCommitScene.draw_nodes`); the beats choose their moments from the trace's
events (the votes, the commit record, the NO vote, the crash, the timeouts, the recovery).
"""

from __future__ import annotations

import bisect
from itertools import pairwise
from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, Circle, FadeIn, RoundedRectangle, ValueTracker, VGroup

from scenes.kit import (Counter, CrashBolt, ExplainerScene, Legend, ServerNode, SwapText, TableWidget, TimerRing,
                        label, layout, theme)
from scenes.kit.badges import LockIcon
from scenes.kit.sequence import MessageKind, SeqEvent, SeqMessage, SequenceDiagram

__all__ = ["TwoPhaseCommitScene"]

PANEL = layout.SIDE_PANEL
DIAGRAM = layout.MAIN
NAME_ROOM = 2.9  #: left of the lanes: padlock, name and state word
KINDS = {"PREPARE": MessageKind(theme.MESSAGE), "VOTE_YES": MessageKind(theme.SUCCESS, hollow=True),
         "VOTE_NO": MessageKind(theme.FAILURE, hollow=True), "COMMIT": MessageKind(theme.SUCCESS),
         "ABORT": MessageKind(theme.FAILURE), "ACK": MessageKind(theme.MUTED, hollow=True, dashed=True),
         "DECISION_REQ": MessageKind(theme.ACCENT, dashed=True),
         "DECISION_REPLY": MessageKind(theme.ACCENT, hollow=True, dashed=True)}
TAGS = {"VOTE_NO": "no"}  #: the only tag: a NO vote must not be told from a YES by colour alone
RECORD_LOOK = {"prepared": ("ring", theme.NODE), "commit": ("square", theme.SUCCESS),
               "abort": ("square", theme.FAILURE), "end": ("dot", theme.MUTED)}
STATE_WORD = {"idle": "idle", "collecting": "collecting votes", "working": "locked, working",
              "prepared": "prepared", "committed": "committed", "aborted": "aborted", "done": "done"}
MARGIN_MS = 6  #: time shown before a transaction's first message and after its last
GAP_MS = 15  #: how much diagram time the quiet wait between the crash and the first timeout takes
VOTES_SCALE = 0.8  #: the crashed transaction's votes are drawn at this scale, to leave room for the asking


class Warp:
    """A piecewise-linear map from real time to diagram time through matching knots (clamped at the ends)."""

    def __init__(self, real: list[float], shown: list[float]) -> None:
        if len(real) != len(shown) or len(real) < 2 or any(b <= a for a, b in pairwise(real)) \
                or any(b <= a for a, b in pairwise(shown)):
            raise ValueError("a Warp needs two increasing lists of knots of the same length")
        self.real, self.shown = real, shown

    def __call__(self, t: float) -> float:
        return float(np.interp(t, self.real, self.shown))


class TwoPhaseCommitScene(ExplainerScene):
    """The happy path, a NO vote, a coordinator crash that blocks prepared participants, and its recovery."""

    # --- reading the trace --------------------------------------------------------------------
    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.p, self.s = p, s
        self.names = s["nodes"]
        self.coordinator, self.parts = self.names[0], self.names[1:]
        self.steps = self.trace["steps"]
        self.step_t = [st["t_ms"] for st in self.steps]
        txs = s["transactions"]
        self.ok = next((x for x in txs if x["decision"] == "commit" and not x["crash"]), None)
        self.no = next((x for x in txs if "no" in x["votes"].values()), None)
        self.down = next((x for x in txs if x["crash"]), None)
        if self.ok is None or self.no is None or self.down is None:
            raise ValueError("this storyboard needs a clean commit, a NO vote and a coordinator crash")
        #: each participant's lock spans per transaction, (lock, unlock) in ms
        self.holds = {x["name"]: [(self.first(x, "lock", node=n)["t_ms"], self.first(x, "unlock", node=n)["t_ms"])
                                  for n in self.parts] for x in txs}
        self.poster_time = 0.0

    def state_at(self, t: float) -> dict[str, Any]:
        i = bisect.bisect_right(self.step_t, t) - 1
        return self.steps[max(i, 0)]

    def tx_steps(self, tx: dict[str, Any], *events: str) -> list[dict[str, Any]]:
        return [st for st in self.steps if st["tx"] == tx["name"] and st["event"] in events]

    def first(self, tx: dict[str, Any], event: str, *, node: str | None = None, **detail: Any) -> dict[str, Any]:
        return next(st for st in self.tx_steps(tx, event) if node in (None, st["node"])
                    and all(st["detail"].get(k) == v for k, v in detail.items()))

    def messages(self, tx: dict[str, Any], *types: str) -> list[dict[str, Any]]:
        return [m for m in self.s["messages"] if m["tx"] == tx["name"] and (not types or m["type"] in types)]

    # --- the stage -------------------------------------------------------------------------------
    def diagram(self, tx: dict[str, Any], t0: float, t1: float, warp: Warp | None = None) -> SequenceDiagram:
        """``tx`` over real times [t0, t1], drawn on a time axis bent by ``warp`` (default: straight)."""
        warp = warp or Warp([t0, t1], [t0, t1])
        lane = {name: i for i, name in enumerate(self.names)}
        events = []
        for st in self.tx_steps(tx, "log_write", "crash", "recover"):
            if not t0 <= st["t_ms"] <= t1:
                continue
            if st["event"] == "log_write":
                shape, color = RECORD_LOOK[st["detail"]["record"]]
                events.append(SeqEvent(lane[st["node"]], warp(st["t_ms"]), st["detail"]["record"], shape, color))
            else:
                word = "crash" if st["event"] == "crash" else "restart"
                events.append(SeqEvent(lane[st["node"]], warp(st["t_ms"]), word, "diamond",
                                       theme.FAILURE if st["event"] == "crash" else theme.HIGHLIGHT, "down"))
        messages = [SeqMessage(lane[m["src"]], warp(m["send_ms"]), lane[m["dst"]], warp(m["deliver_ms"]),
                               kind=m["type"], dropped=m["dropped"], tag=TAGS.get(m["type"], ""))
                    for m in self.messages(tx) if t0 <= m["send_ms"] <= t1]
        self.events = events
        sd = SequenceDiagram(self.names, t0=warp(t0), t1=warp(t1), region=DIAGRAM, kinds=KINDS, events=events,
                             messages=messages, name_room=NAME_ROOM)
        sd.warp = warp
        return sd

    def build_nodes(self, sd: SequenceDiagram) -> VGroup:
        """Padlocks, state words, timer rings and the crash bolt beside the lanes, driven by :meth:`draw_nodes`."""
        left = DIAGRAM.left + 0.35
        self.locks, self.rings, self.words, self.word_spots = {}, {}, {}, {}
        for i, name in enumerate(self.names):
            y = sd.lane_pos[i]
            self.word_spots[name] = np.array([DIAGRAM.left + NAME_ROOM - 0.2, y - 0.32, 0.0])
            self.words[name] = SwapText("idle", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED, monospace=False)
            if name != self.coordinator:
                self.locks[name] = LockIcon(0.42, locked=False).move_to([left, y, 0])
                self.rings[name] = TimerRing(0.36, color=theme.HIGHLIGHT).move_to([left, y - 0.02, 0])
        self.bolt = CrashBolt(0.7).move_to([left, sd.lane_pos[0], 0])
        self.draw_nodes(self.clock.get_value())
        group = VGroup(*self.words.values(), *self.locks.values(), *self.rings.values(), self.bolt)
        group.add_updater(lambda _: self.draw_nodes(self.clock.get_value()))
        return group

    def draw_nodes(self, t: float) -> None:
        nodes = self.state_at(t)["nodes"]
        for name in self.names:
            n = nodes[name]
            word = STATE_WORD[n["state"]] if n["alive"] else "crashed"
            self.words[name].set_text(word, theme.FAILURE if not n["alive"] else theme.MUTED)
            self.words[name].move_to(self.word_spots[name], aligned_edge=RIGHT)
            if name in self.locks:
                self.locks[name].set_locked(n["locks_held"])
                waiting = self.timeout_left(name, t)
                self.rings[name].set_visible(waiting is not None)
                if waiting is not None:
                    self.rings[name].set_fraction(waiting)
        self.bolt.set_opacity(0.0 if nodes[self.coordinator]["alive"] else 1.0)

    def timeout_left(self, name: str, t: float) -> float | None:
        """While a YES voter of the crashed transaction waits, the fraction of its timeout left."""
        state = self.state_at(t)
        starts = [st["t_ms"] for st in self.tx_steps(self.down, "vote", "timeout") if st["node"] == name and st["t_ms"] <= t]
        if state["nodes"][name]["state"] != "prepared" or state["tx"] != self.down["name"] or not starts:
            return None
        return float(np.clip(1 - (t - starts[-1]) / self.p["participant_timeout_ms"], 0.0, 1.0))

    def show(self, tx: dict[str, Any], t0: float, t1: float, heading: str, warp: Warp | None = None, *,
             replace: list | None = None, keep: tuple = ()) -> SequenceDiagram:
        """Cut to a diagram of ``tx`` over [t0, t1] (the clock at t0) with the node marks beside it, in place of
        ``replace`` (default: the diagram on screen), bringing ``keep`` back with it."""
        sd = self.diagram(tx, t0, t1, warp)
        old = replace if replace is not None else [m for m in (getattr(self, "sd", None),
                                                               getattr(self, "node_marks", None)) if m is not None]
        for m in old:
            m.clear_updaters()

        def swap() -> None:
            self.remove(*old)
            self.clock.set_value(t0)
            self.sd = self.follow(sd)
            self.node_marks = self.build_nodes(sd)
            self.add(self.sd, self.node_marks, *keep)

        if old:
            self.fade_cut(swap)
            self.play(*self.set_heading(heading), run_time=0.4)
        else:
            swap()
            self.remove(self.sd, self.node_marks)
            self.reveal(self.sd, self.node_marks, heading=heading)
        return sd

    def side_panel(self) -> None:
        self.msg_counter = Counter("messages", 0, font_size=theme.HEADING_SIZE).move_to(PANEL.point(0.5, 0.92))
        self.lock_counter = Counter("longest lock held", 0, suffix=" ms", font_size=theme.HEADING_SIZE)
        self.lock_counter.move_to(PANEL.point(0.5, 0.71))

        def count(_: Any) -> None:
            t, tx = self.clock.get_value(), self.current
            self.msg_counter.set_value(sum(1 for m in self.messages(tx) if m["send_ms"] <= t))
            self.lock_counter.set_value(round(max([min(t, b) - a for a, b in self.holds[tx["name"]] if a <= t],
                                                  default=0)))

        def mark(kind: str):
            k = KINDS[kind]
            return Circle(radius=0.09, stroke_color=k.color, stroke_width=3.0,
                          fill_color=theme.BACKGROUND if k.hollow else k.color, fill_opacity=1.0)

        legend = Legend([(mark("PREPARE"), "prepare"), (mark("VOTE_YES"), "vote yes / no"),
                         (mark("COMMIT"), "commit / abort"), (mark("ACK"), "ack"),
                         (mark("DECISION_REQ"), "ask for the decision")], title="messages")
        PANEL.place(legend, align=DOWN + LEFT, fit=False)
        counters = VGroup(self.msg_counter, self.lock_counter)
        counters.add_updater(count)
        count(None)
        self.play(FadeIn(counters), FadeIn(legend), run_time=0.5)
        self.counters, self.legend = counters, legend

    def follow(self, sd: SequenceDiagram) -> SequenceDiagram:
        """The diagram shows the (real-time) clock's moment on its own, possibly bent, time axis."""
        sd.show_at(sd.warp(self.clock.get_value()))
        sd.add_updater(lambda m: m.show_at(m.warp(self.clock.get_value())))
        return sd

    # --- helpers ------------------------------------------------------------------------------------
    def tell(self, text: str, t_end: float, seconds: float = 0.0) -> None:
        self.narrate(text, self.clock, t_end, seconds)

    def window(self, tx: dict[str, Any]) -> tuple[float, float]:
        last = max([m["deliver_ms"] for m in self.messages(tx)] + [tx["end_ms"]])
        return tx["start_ms"] - MARGIN_MS, last + MARGIN_MS

    # --- beats ----------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("All or nothing")
        self.show_title_card(3.0)
        self.hook()
        self.clock = ValueTracker(0.0)
        self.current = self.ok
        t0, t1 = self.window(self.ok)
        self.show(self.ok, t0, t1, f"{self.ok['name']}: phase one, prepare")
        self.side_panel()
        self.caption("A coordinator now runs the commit in two phases.")
        self.wait(1.6)
        self.caption("Every node writes its log before it speaks.")
        self.wait(1.2)
        self.chapter("The happy path")
        self.happy_path()
        self.chapter("A no vote")
        self.no_vote()
        self.chapter("The blocking problem")
        self.blocking()
        self.why_not_guess()
        self.recovery()
        self.takeaway()

    def hook(self) -> None:
        spots = DIAGRAM.row(len(self.parts), fy=0.5)
        dbs = [ServerNode(name, radius=0.82, badge="…").move_to(at) for name, at in zip(self.parts, spots)]
        self.reveal(*dbs, heading="One purchase, several databases")
        self.caption(f"One purchase writes to {len(self.parts)} databases.")
        self.wait(1.4)
        won, lost = self.parts[1], self.parts[0]
        self.caption(f"If {won} commits and {lost} fails, the purchase is half done.")
        dbs[1].set_state(badge="committed ✓", color=theme.SUCCESS)
        dbs[0].set_state(badge="failed ✗", color=theme.FAILURE)
        self.play(*[FadeIn(d.badge) for d in dbs[:2]], run_time=0.5)
        self.wait(2.0)
        self.caption("How do we get all or nothing?")
        self.wait(0.6)
        self.clear_caption()
        self.clear_stage()

    def happy_path(self) -> None:
        tx = self.ok
        prepares = self.messages(tx, "PREPARE")
        yes = self.messages(tx, "VOTE_YES")
        commit = self.first(tx, "log_write", record="commit")
        self.tell("The coordinator sends PREPARE to every participant.", max(m["deliver_ms"] for m in prepares) + 1,
                  3.2)
        self.tell("Each locks its rows, does the work, logs prepared...", max(m["send_ms"] for m in yes) - 1, 3.2)
        self.tell("...and votes yes: a promise it can commit, come what may.", max(m["deliver_ms"] for m in yes), 3.5)
        self.checkpoint(f"All {len(self.parts)} votes are yes. What must the coordinator do before sending COMMIT?",
                        ["write commit to its own log", "wait for a second round of votes", "unlock the participants"],
                        0, "The decision exists only once it is in the coordinator's log; that record is the commit "
                           "point.")
        self.play(*self.set_heading(f"{tx['name']}: phase two, commit"), run_time=0.4)
        self.sd.set_rings({self.events.index(next(e for e in self.events if e.t == commit["t_ms"]
                                                  and e.label == "commit" and e.lane == 0)): theme.HIGHLIGHT})
        self.tell("All yes: the coordinator logs commit. Now it is final.", commit["t_ms"] + 2, 3.4)
        self.poster_time = self.time - 0.5
        last_unlock = max(st["t_ms"] for st in self.tx_steps(tx, "unlock"))
        self.tell("COMMIT goes out; each commits, unlocks and acks.", last_unlock + 1, 3.4)
        self.tell(f"{tx['message_count']} messages, two round trips, locks held up to {tx['lock_hold_max_ms']} ms.",
                  tx["end_ms"] + 2, 3.6)

    def no_vote(self) -> None:
        tx = self.no
        self.current = tx
        voter = next(name for name, v in tx["votes"].items() if v == "no")
        yes = [name for name, v in tx["votes"].items() if v == "yes"]
        t0, t1 = self.window(tx)
        self.caption(f"{tx['name']}: {voter} is out of stock this time.")
        self.show(tx, t0, t1, f"{tx['name']}: a no vote")
        choices = ["commit", "abort", f"commit without {voter}"]
        self.checkpoint(f"{voter.capitalize()} votes no; the others vote yes. What does the coordinator decide?",
                        choices, choices.index(tx["decision"]),
                        "Atomic commit needs every participant: a single no means abort.")
        no_vote = self.first(tx, "vote", vote="no")
        self.tell(f"{voter.capitalize()} votes no and aborts at once, freeing its locks.", no_vote["t_ms"] + 4, 3.6)
        decided = self.first(tx, "log_write", record="abort")
        self.tell("One no is enough: the coordinator logs abort.", decided["t_ms"] + 2, 3.0)
        names = f"{', '.join(yes[:-1])} and {yes[-1]}" if len(yes) > 1 else yes[0]
        self.tell(f"ABORT reaches {names}: they roll back too.", tx["end_ms"] + 2, 3.4)

    def blocking(self) -> None:
        tx = self.down
        self.current = tx
        crash = tx["crash"]
        period = self.p["participant_timeout_ms"]
        first_round = min(st["t_ms"] for st in self.tx_steps(tx, "ask_peers")) if tx["termination_rounds"] else None
        t0 = tx["start_ms"] - MARGIN_MS
        quiet_from = crash["crash_ms"] + 2 * MARGIN_MS
        if first_round is not None and first_round - 2 * MARGIN_MS > quiet_from:
            # the wait for the first timeout is squeezed so that the first round of asking has room
            asking = [m for m in self.messages(tx, "DECISION_REQ", "DECISION_REPLY")
                      if first_round <= m["send_ms"] < first_round + period / 2]
            quiet_to, shown_to = first_round - 2 * MARGIN_MS, max(m["deliver_ms"] for m in asking) + MARGIN_MS
            squeezed = t0 + (quiet_from - t0) * VOTES_SCALE
            warp = Warp([t0, quiet_from, quiet_to, shown_to],
                        [t0, squeezed, squeezed + GAP_MS, squeezed + GAP_MS + shown_to - quiet_to])
        else:
            shown_to, warp = crash["crash_ms"] + period, None
        self.caption(f"{tx['name']}: everyone votes yes again.")
        self.show(tx, t0, shown_to, f"{tx['name']}: the coordinator crashes", warp)
        self.rounds = self.rounds_counter()
        self.advance(self.clock, crash["crash_ms"] - 1, 1.6)
        found = crash["point"] == "after_commit_logged"
        self.tell("The coordinator logs commit, then crashes." if found else "The coordinator crashes before deciding.",
                  crash["crash_ms"] + 3, 3.0)
        asks = self.p["termination"] == "cooperative"
        self.checkpoint("The coordinator is down and a participant has voted yes. What should it do?",
                        ["abort on its own", "commit on its own",
                         "keep its locks and ask around" if asks else "keep its locks and wait"], 2,
                        "It promised to do either; only the coordinator's log says which, so it must wait.")
        if first_round is None:
            self.tell("The participants can only wait, locks held.", shown_to, 4.0)
            return
        self.tell(f"No decision after {period} ms: their timers run out...", first_round + 1, 3.4)
        self.tell("...so they ask everyone. Every answer: unknown.", shown_to, 4.0)
        self.caption(f"{tx['termination_rounds']} rounds of asking, {tx['unknown_replies']} unknowns, every lock "
                     f"still held.")
        self.jump(self.clock, crash["recover_ms"] - 2 * MARGIN_MS)
        self.wait(1.6)

    def rounds_counter(self) -> Counter:
        counter = Counter("rounds of asking", 0, font_size=theme.HEADING_SIZE).move_to(PANEL.point(0.5, 0.5))
        asks = sorted((st["t_ms"], st["detail"]["round"]) for st in self.tx_steps(self.down, "ask_peers"))
        counter.add_updater(lambda c: c.set_value(max([r for t, r in asks if t <= self.clock.get_value()], default=0)))
        self.play(FadeIn(counter), run_time=0.3)
        return counter

    def why_not_guess(self) -> None:
        crash = self.down["crash"]
        logged = crash["point"] == "after_commit_logged"
        self.sd.clear_updaters()
        self.node_marks.clear_updaters()
        left, right = layout.STAGE.two_up()
        cards = [self.guess_card(left, "Abort on timeout?", ["The coordinator may already", "have logged commit."],
                                 logged),
                 self.guess_card(right, "Commit on timeout?", ["It may have crashed before", "deciding: it will abort."],
                                 not logged)]
        self.caption("Why not just guess after a timeout?")
        self.rounds.clear_updaters()
        self.fade_cut(lambda: (self.remove(self.sd, self.node_marks, self.counters, self.legend, self.rounds),
                               self.add(*cards)))
        self.play(*self.set_heading("Why not guess?"), run_time=0.4)
        self.wait(1.4)
        self.caption("Either guess can break atomicity: only the coordinator knows.")
        self.wait(1.6)
        self.clear_caption()
        self.cards = cards

    @staticmethod
    def guess_card(region: layout.Region, title: str, lines: list[str], here: bool) -> VGroup:
        """One guess a prepared participant might make, why it can break atomicity, and whether this run is the case."""
        text = VGroup(label(title, font_size=theme.BODY_SIZE + 2, weight="BOLD"),
                      *[label(line, font_size=theme.LABEL_SIZE + 2) for line in lines],
                      label("✗ some commit, some abort", font_size=theme.BODY_SIZE, color=theme.FAILURE),
                      label("what happened here" if here else "what could happen", font_size=theme.LABEL_SIZE,
                            color=theme.HIGHLIGHT if here else theme.MUTED))
        text.arrange(DOWN, buff=0.28)
        panel = RoundedRectangle(corner_radius=0.2, width=region.width - 0.2, height=text.height + 0.8,
                                 fill_color=theme.PANEL, fill_opacity=1.0, stroke_width=theme.THIN_STROKE,
                                 stroke_color=theme.HIGHLIGHT if here else theme.GRID)
        return region.place(VGroup(panel, text.move_to(panel)), fit=True)

    def recovery(self) -> None:
        tx = self.down
        crash = tx["crash"]
        self.show(tx, crash["recover_ms"] - 2 * MARGIN_MS, tx["end_ms"] + MARGIN_MS, f"{tx['name']}: recovery",
                  replace=self.cards, keep=(self.counters, self.legend, self.rounds))
        found = self.first(tx, "recover")["detail"]["found"]
        self.tell(f"The coordinator restarts and finds {found} in its log." if found else
                  "The coordinator restarts with no decision in its log: abort.", crash["recover_ms"] + 2, 3.2)
        self.tell("It resends the decision; everyone finishes and unlocks.", tx["end_ms"] + 2, 3.4)
        self.caption(f"Locks held {tx['lock_hold_max_ms']} ms, against {self.ok['lock_hold_max_ms']} ms "
                     f"in {self.ok['name']}.")
        self.wait(1.4)

    def takeaway(self) -> None:
        for m in (self.sd, self.node_marks, self.counters, self.rounds):
            m.clear_updaters()
        self.clear_caption()
        self.clear_stage()
        rows = [["guarantee", "all participants commit, or none do"],
                ["cost", f"two round trips, locks held ({self.ok['lock_hold_max_ms']} ms in {self.ok['name']})"],
                ["risk", f"a coordinator crash blocks all ({self.down['lock_hold_max_ms']} ms in {self.down['name']})"],
                ["remedies", "Paxos Commit, three-phase commit, sagas"]]
        table = TableWidget(["two-phase commit", "in this run"], rows, font_size=theme.BODY_SIZE + 2,
                            row_height=0.9, max_width=layout.STAGE.width)
        layout.STAGE.place(table)
        self.caption("Atomic, but one coordinator crash can block everyone.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(2.6)
        self.finish()
