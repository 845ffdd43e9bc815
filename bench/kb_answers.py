"""Knowledge-base answers in subscribers' own words: the bundled language model against the
extractive answerer, through the product's dialogue (`conversation_message`), in one run.

The labelled set (bench/data/kb_questions.json) holds questions over the demo knowledge base,
most of them paraphrases that share few words with their article, each with the key facts an
answer must contain (a list of groups; any alternative of every group), and questions the
knowledge base cannot answer. Per answerer: accuracy (every key fact present), correct refusals
(the assistant says it does not know), citation correctness (the article is cited). For the
model also: full-answer and first-token latency, throughput with 4 concurrent chats, and the
process's memory with the model loaded (the llama.cpp server runs in this process).

    .venv/bin/python bench/kb_answers.py [--model qwen2.5-1.5b] [--limit N] [--threads 0]
"""

import argparse
import atexit
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "VAR_DIR" not in os.environ:
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-kb-answers-")
    atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)
# The joined weights are shared with `make run` (var/models) rather than copied per run.
os.environ.setdefault("AI_CACHE_DIR", str(ROOT / "var" / "models"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

QUESTIONS = ROOT / "bench/data/kb_questions.json"
ARTICLES = ROOT / "customer_service/data/kb_articles.json"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0


def _has_facts(text: str, facts: list[list[str]]) -> bool:
    return all(any(alt in text for alt in group) for group in facts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="qwen2.5-1.5b")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument(
        "--accuracy-only",
        action="store_true",
        help="the model's answers only (no baseline, latency or throughput), every miss listed",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import translation

    # This run's own database, so its own knowledge index (the shared AI_CACHE_DIR keeps only
    # the joined weights).
    settings.CUSTOMER_SERVICE_INDEX_DIR = Path(os.environ["VAR_DIR"]) / "kb-index"

    call_command("migrate", verbosity=0)
    from customer_service import knowledge
    from customer_service.models import KbArticle, Turn, TurnRole
    from customer_service.services import dialogue
    from customer_service.services.knowledge import article_create
    from suite.ai import gateway
    from suite.ai.config_cache import invalidate
    from suite.ai.llm_server import ServerConfig, start
    from suite.ai.types import ChatMessage, Passage
    from suite.tenancy.models import TenantKind
    from suite.tenancy.services import tenant_get_or_create

    translation.activate("zh-hans")
    province = tenant_get_or_create(slug="bench-p", name="bench province", kind=TenantKind.PROVINCE)
    tenant = tenant_get_or_create(
        slug="bench-kb", name="bench city", kind=TenantKind.CITY, parent=province
    )
    if not KbArticle.objects.for_tenant(tenant).exists():
        for a in json.loads(ARTICLES.read_text(encoding="utf-8")):
            article_create(
                tenant=tenant, title=a["title"], body=a["body"], category=a["category"],
                status="published",
            )  # fmt: skip
    titles = {a.pk: a.title for a in KbArticle.objects.for_tenant(tenant)}
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]
    if args.limit:
        answerable = [q for q in questions if q.get("article")][: args.limit]
        unanswerable = [q for q in questions if not q.get("article")][: max(2, args.limit // 5)]
        questions = answerable + unanswerable

    config = ServerConfig(
        model=args.model,
        api_key=secrets.token_urlsafe(16),
        port=18080,
        slots=4,
        context_per_slot=settings.AI_LOCAL_LLM_CONTEXT,
        threads=args.threads,
    )
    loaded = time.perf_counter()
    server = start(config)
    load_s = time.perf_counter() - loaded
    extractive = {"name": "extractive-answerer", "engine": "extractive"}
    model_entry = {
        "name": config.served_name,
        "engine": "openai-compatible",
        "options": {
            "base_url": config.base_url,
            "model": config.served_name,
            "api_key": config.api_key,
            "timeout": 300,
        },
        "timeout_s": 300,
    }

    def use(chat: list[dict]) -> None:
        settings.AI_DEFAULT_MODELS = {**settings.AI_DEFAULT_MODELS, "chat": chat}
        invalidate()

    def evaluate(label: str) -> dict:
        correct = refused_right = cited_right = answerable = unanswerable = 0
        latencies, misses, answered_wrongly = [], [], []
        for q in questions:
            conversation = dialogue.conversation_start(tenant=tenant)
            started = time.perf_counter()
            reply = dialogue.conversation_message(conversation=conversation, text=q["question"])
            latencies.append(time.perf_counter() - started)
            # Every reply the customer sees: a business question gets its answer, then the
            # first thing its ticket needs ("网速慢怎么办").
            said = Turn.objects.filter(
                conversation=conversation, role=TurnRole.BOT, seq__gt=reply.customer_turn.seq
            )
            text = "\n".join(t.text for t in said)
            cited = {titles.get(c["id"]) for t in said for c in (t.citations or [])}
            if q.get("article"):
                answerable += 1
                ok = reply.customer_turn.answered is True and _has_facts(text, q["facts"])
                correct += ok
                cited_right += q["article"] in cited
                if not ok:
                    misses.append({"id": q["id"], "question": q["question"], "answer": text[:120]})
            else:
                unanswerable += 1
                refused_right += reply.customer_turn.answered is False
                if reply.customer_turn.answered is not False:
                    answered_wrongly.append({"id": q["id"], "answer": text[:120]})
        return {
            "answerer": label,
            "answered_correctly": round(correct / max(answerable, 1), 3),
            "correct_refusals": round(refused_right / max(unanswerable, 1), 3),
            "citation_correct": round(cited_right / max(answerable, 1), 3),
            "answer_s_p50": _pct(latencies, 0.5),
            "answer_s_p95": _pct(latencies, 0.95),
            "misses": misses if args.accuracy_only else misses[:8],
            "unanswerable_answered": answered_wrongly if args.accuracy_only else [],
        }

    if args.accuracy_only:
        use([model_entry, extractive])
        print(json.dumps(evaluate(config.served_name), ensure_ascii=False, indent=2))
        return

    use([extractive])
    baseline = evaluate("extractive")
    use([model_entry, extractive])
    model = evaluate(config.served_name)

    # First token: the same grounded request, streamed.
    caller = gateway.Caller(tenant=tenant)
    first_tokens, full = [], []
    sample = [q for q in questions if q.get("article")][:20]
    for q in sample:
        hits, _v = knowledge.search(tenant, q["question"], k=dialogue.MODEL_PASSAGES)
        bodies = dict(
            KbArticle.objects.filter(pk__in=[h.id for h in hits]).values_list("pk", "body")
        )
        passages = [Passage(str(h.id), bodies[h.id], f"KB-{h.id} {h.title}") for h in hits]
        started = time.perf_counter()
        stream = gateway.chat_stream(
            caller, [ChatMessage("user", q["question"])], passages=passages,
            max_tokens=dialogue.KB_ANSWER_TOKENS, temperature=0.2,
        )  # fmt: skip
        first = None
        for _delta in stream:
            first = first or time.perf_counter() - started
        first_tokens.append(first or 0.0)
        full.append(time.perf_counter() - started)

    # Throughput: 4 chats at once, through the dialogue.
    batch = [q for q in questions if q.get("article")][:12]

    def one(q: dict) -> None:
        from django.db import connection

        try:
            conversation = dialogue.conversation_start(tenant=tenant)
            dialogue.conversation_message(conversation=conversation, text=q["question"])
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, batch))
    per_minute = len(batch) / (time.perf_counter() - started) * 60

    print(
        json.dumps(
            {
                "benchmark": "kb_answers",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
                "questions": len(questions),
                "model_load_s": round(load_s, 1),
                "baseline": baseline,
                "model": model,
                "stream_first_token_s_p50": _pct(first_tokens, 0.5),
                "stream_full_answer_s_p50": _pct(full, 0.5),
                "answers_per_minute_4_concurrent": round(per_minute, 1),
                "rss_mb_with_model": _rss_mb(),
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    del server


if __name__ == "__main__":
    main()
