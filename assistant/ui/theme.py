"""How the page looks: Gradio's theme with locally served fonts, and the stylesheet (style.css)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

STYLESHEET = Path(__file__).with_name("style.css")


def stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def make_theme() -> gr.themes.Base:
    """Gradio's default look with fonts served by Gradio itself (never Google Fonts). Only the
    Regular and Bold files of the bundled fonts are complete, so bold text uses Bold (700)."""
    LocalFont = gr.themes.LocalFont
    return gr.themes.Default(
        font=[LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "Consolas", "monospace"],
    )
