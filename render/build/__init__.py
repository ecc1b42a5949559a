"""The build: what to render (plan and content hash), one render (simulate, draw, package), where renders
run (executors), and the locks that keep concurrent commands apart.

Planning never imports Manim: a run with nothing to do stays well under a second.
"""
