"""`POST /api/portfolio-fit`: does an idea fit one of the plan's impact portfolios?"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from assistant.api.deps import ServicesDep
from assistant.api.errors import error_responses, no_markup
from assistant.llm.names import BACKENDS_HELP
from assistant.schema import PortfolioFit

router = APIRouter(prefix="/api", tags=["portfolio"])


class FitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idea: StrictStr = Field(
        description="the idea, Dutch or English",
        examples=["Een robot die verpleegkundigen helpt bij tilwerk in de thuiszorg"],
    )
    backend: StrictStr | None = Field(
        default=None, max_length=40, description=f"{BACKENDS_HELP} (default: the server's)"
    )


@router.post(
    "/portfolio-fit",
    response_model=PortfolioFit,
    summary="Check an idea against the impact portfolios",
    responses=error_responses({422: "invalid idea or backend", 503: "language model or store unavailable"}),
)
def portfolio_fit(body: FitRequest, services: ServicesDep) -> dict:
    fit = services.portfolio.check(body.idea, backend=body.backend)  # IdeaError -> 422 (api/errors.py)
    return no_markup(fit.model_dump(mode="json"))
