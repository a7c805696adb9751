"""Result shapes shared by library, CLI, API and UI, so they cannot drift apart."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ChatMessage(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str


class Citation(BaseModel):
    id: int = Field(description="the n of an [n] marker in the answer")
    document: str = Field(description="document title")
    document_id: str
    section: str | None = Field(default=None, description="section number, e.g. 6.1")
    section_title: str | None = None
    page: int | None = None
    text: str
    score: float
    chunk_id: str = ""
    heading_path: str = ""
    quotes: list[str] = Field(
        default_factory=list, description="the passage's sentences the answer rests on (highlighted in the source view)"
    )

    def location(self, section_sign: str = "§", page_word: str = "p.") -> str:
        """Where in the document: '§6.1 Focus op impactportfolio's, p. 21'. Missing parts are left
        out; a section title that only repeats the document title is not shown."""
        parts = []
        if self.section:
            parts.append(f"{section_sign}{self.section}")
        if self.section_title and self.section_title.strip() != self.document.strip():
            parts.append(self.section_title)
        where = " ".join(parts)
        if self.page is not None:
            where = f"{where}, {page_word} {int(self.page)}" if where else f"{page_word} {int(self.page)}"
        return where


Status = Literal["answered", "not_found"]


class Answer(BaseModel):
    answer: str
    status: Status
    citations: list[Citation] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="milliseconds per stage")
    backend: str = "extractive"
    question: str = ""
    standalone_question: str = ""
    flagged_sentences: list[str] = Field(
        default_factory=list, description="generated sentences dropped for lack of support"
    )
    usage: dict[str, int] = Field(
        default_factory=dict, description="language-model tokens: prompt_tokens, completion_tokens (as OpenAI's API)"
    )
    notice: str | None = Field(
        default=None, description="why the answer came from another backend than asked (busy, unavailable)"
    )
    conversation_id: str | None = Field(default=None, description="the conversation the turn was saved in")
    turn_id: str | None = Field(default=None, description="the saved turn (for feedback on this answer)")


FitLevel = Literal["strong", "partial", "none"]
Verdict = Literal["fit", "partial", "no_fit"]
FitRole = Literal["primary", "secondary"] | None


class PortfolioMatch(BaseModel):
    id: str = Field(description="digitalisering | innovatie-in-de-zorg | circulaire-economie | sleuteltechnologieen")
    name: str
    score: float
    fit: FitLevel
    role: FitRole = Field(
        default=None, description="'primary': what the idea is for; 'secondary': a second portfolio it also fits"
    )
    matched: list[str] = Field(default_factory=list, description="what in the idea matches what in the plan")
    evidence: list[Citation] = Field(default_factory=list)


class ActionLineMatch(BaseModel):
    id: str
    name: str
    description: str
    score: float
    served: bool
    evidence: list[Citation] = Field(default_factory=list)


class PlanCondition(BaseModel):
    text: str
    citation: Citation | None = None


class PortfolioFit(BaseModel):
    idea: str
    language: str
    verdict: Verdict
    explanation: str
    portfolios: list[PortfolioMatch]
    action_lines: list[ActionLineMatch]
    conditions: list[PlanCondition] = Field(default_factory=list)
    support: list[PlanCondition] = Field(default_factory=list, description="regional actors the plan names (5.1)")
    backend: str = "extractive"
    flagged_sentences: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
