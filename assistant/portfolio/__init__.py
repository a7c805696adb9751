"""Portfolio check: does an idea fit one of the plan's impact portfolios (§6.1) and which of the
four central action lines (§3.2) does it serve?

Everything the check knows about the portfolios and action lines is read from the STORE when the
service starts (and again when a new store generation goes live): the list under the sentence
"Deze impactportfolio's zijn:" ("- Naam: Focus ligt op ...") and the list under the sentence that
introduces the "actielijnen". No topic keywords live in this package; a new version of the plan
changes the check without code changes.

Scoring (chosen by measurement on the dev split of evals/data/portfolio_ideas.jsonl; see
evals/PORTFOLIO.md for the figures; the weights and thresholds are the `portfolio_*` settings):

* every portfolio description is split into its phrases ("kringlooplandbouw", "toepassing van
  dronetechnologie in de landbouw", ...), and the phrases and the whole item are embedded once as
  E5 *queries* (the plan's topic asks "which idea is about me?"); the idea is embedded as a
  *passage* (long ideas: as windows of about 100 words);
* raw score = 0.5 * sim(item, idea) + 0.5 * mean of the 2 best phrase similarities
  - the background: the idea's mean similarity to the plan's section titles (E5 similarities
  bunch around 0.8; what counts is how far the idea stands out from the plan's general themes
  towards one portfolio), + a small lexical bonus (IDF-weighted share of a phrase's stemmed
  words that the idea uses, via the store's Dutch analyzer);
* levels: strong / partial when the raw score clears a threshold and lies within a margin of the
  best portfolio; the verdict follows the best level. The reported `score` is a logistic map of
  the raw score onto 0..1 with 0.5 at the "partial" threshold (the no-fit bar).

Modules: `plan` (the plan's structure from the stored chunks), `plan_model` (with embeddings),
`idea` (windows and fragments of an idea), `scoring`, `explain` (matched pairs, the composed
explanation, the language-model path), `texts` (nl/en wording), `render` (terminal), `service`.
"""

from assistant.portfolio.errors import IdeaError, PlanStructureError
from assistant.portfolio.render import render_fit
from assistant.portfolio.scoring import levels, ranked, served
from assistant.portfolio.service import MAX_IDEA_CHARS, PortfolioService

__all__ = [
    "MAX_IDEA_CHARS",
    "IdeaError",
    "PlanStructureError",
    "PortfolioService",
    "levels",
    "ranked",
    "render_fit",
    "served",
]
