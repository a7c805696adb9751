"""Line shapes that several reading steps recognise: '#' headings, section numbers, sentence ends."""

from __future__ import annotations

import re

MD_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$")
NUMBER_ONLY = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?$")
NUMBERED_TITLE = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})(?P<dot>\.?)\s+(?P<title>\S.*)$")
TERMINAL_END = re.compile(r"[.!?:;…][\"'”’»)\]]*$")
