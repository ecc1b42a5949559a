"""The fonts a render can draw with: a fingerprint of every font file fontconfig knows.

Fonts are part of the frames: Pango falls back to whatever installed font has a
missing glyph (Arabic, Hebrew, Greek, CJK in a title), so installing or removing
any font can change a frame. The draw hash and the Text disk cache both include
:func:`font_set_fingerprint`, so a video drawn with other fonts is drawn again.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from functools import lru_cache

__all__ = ["font_set_fingerprint"]


@lru_cache(maxsize=None)
def font_set_fingerprint() -> str:
    """sha256 over every font file fontconfig lists (path, size, modification time); "" if it cannot tell."""
    try:
        listed = subprocess.run(["fc-list", "--format", "%{file}\\n"], capture_output=True, text=True, timeout=30,
                                check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    digest = hashlib.sha256()
    for path in sorted(set(listed.split("\n")) - {""}):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
