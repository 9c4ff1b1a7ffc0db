"""The open-set decision swept over its threshold (issue #9), for bench/benchmark.py.

Every held-out message is parsed once with the trained model. The decision is then replayed
for each threshold: the top intent becomes nlu_fallback below it (as FallbackClassifier
does), then the domain gate may make it out_of_scope, then the dialogue answers. For each
threshold the sweep reports in-scope answer accuracy (both languages' held-out sets) against
the share of unrelated requests answered from the knowledge, with and without the gate, and
plots both curves with the configured point marked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.answering import Dialogue
from bot.knowledge.routing import NLU_FALLBACK_INTENT
from bot.settings import PROJECT_ROOT
from bot.understanding.gate import FINDINGS_KEY, DomainGate, Findings
from tests.evaluation import (
    HELDOUT_SETS,
    OUT_OF_SCOPE_SET,
    ParseFunction,
    evaluate,
    evaluate_out_of_scope,
    evaluate_unlisted,
    load_examples,
    load_unknown,
)

THRESHOLDS = [round(0.05 * step, 2) for step in range(0, 20)]
PLOT = PROJECT_ROOT / "results" / "scope_tradeoff.png"


def configured_threshold() -> float:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    return float(next(c["threshold"] for c in config["pipeline"] if c["name"] == "FallbackClassifier"))


def _replay(parsed: Mapping[str, Any], found: Findings, threshold: float, gate: DomainGate | None) -> dict[str, Any]:
    """The parse result as the pipeline would give it with this threshold (and gate)."""
    ranking = [i for i in parsed.get("intent_ranking") or [] if i["name"] != NLU_FALLBACK_INTENT]
    top = ranking[0] if ranking else {"name": NLU_FALLBACK_INTENT, "confidence": 0.0}
    intent = top["name"] if top["confidence"] >= threshold else NLU_FALLBACK_INTENT
    if gate is not None:
        intent = gate.decide(intent, parsed, found).intent
    return {**parsed, "intent": {"name": intent, "confidence": top["confidence"]}, FINDINGS_KEY: found.as_dict()}


def sweep(parse: ParseFunction, dialogue: Dialogue) -> dict[str, Any]:
    in_scope = [example for path in HELDOUT_SETS.values() for example in load_examples(path)]
    unrelated = [example.text for example in load_examples(OUT_OF_SCOPE_SET)]
    unlisted = load_unknown()["unlisted"]
    cache = {text: parse(text) for text in
             [e.text for e in in_scope] + unrelated + [q.text for q in unlisted]}
    gate = DomainGate(dialogue.kb)
    # What the gate finds does not depend on the intent: found once per message.
    findings = {text: gate.findings(parsed) for text, parsed in cache.items()}
    curves: dict[str, list[dict[str, float]]] = {}
    for label, used_gate in (("with domain gate", gate), ("classifier only", None)):
        points = []
        for threshold in THRESHOLDS:
            def replayed(text: str, threshold: float = threshold, used_gate: DomainGate | None = used_gate):
                return _replay(cache[text], findings[text], threshold, used_gate)
            accuracy = evaluate(in_scope, replayed, dialogue).answer_accuracy
            false_answers = evaluate_out_of_scope(unrelated, replayed, dialogue).wrong_rate
            honest = evaluate_unlisted(unlisted, replayed, dialogue).right_rate
            points.append({"threshold": threshold, "in_scope_answer_accuracy": round(accuracy, 3),
                           "false_answer_rate": round(false_answers, 3), "unlisted_honest": round(honest, 3)})
        curves[label] = points
    chosen = configured_threshold()
    _plot(curves, chosen, PLOT)
    return {"configured_threshold": chosen, "curves": curves, "plot": str(PLOT.relative_to(PROJECT_ROOT))}


def _plot(curves: dict[str, list[dict[str, float]]], chosen: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5))
    for label, points in curves.items():
        xs = [p["false_answer_rate"] * 100 for p in points]
        ys = [p["in_scope_answer_accuracy"] * 100 for p in points]
        axes.plot(xs, ys, marker="o", markersize=3, label=label)
        for point in points:
            if point["threshold"] == chosen:
                axes.scatter([point["false_answer_rate"] * 100], [point["in_scope_answer_accuracy"] * 100], s=120,
                             facecolors="none", edgecolors="red", zorder=3)
                if label == "with domain gate":
                    axes.annotate(f"configured: threshold {chosen}", (point["false_answer_rate"] * 100,
                                  point["in_scope_answer_accuracy"] * 100), textcoords="offset points",
                                  xytext=(10, -15), color="red")
    axes.axvline(2, color="grey", linestyle="--", linewidth=0.8, label="target: at most 2% false answers")
    axes.set_xlabel("unrelated requests answered from the knowledge (%)")
    axes.set_ylabel("in-scope held-out answer accuracy (%)")
    axes.set_title("Open-set decision: FallbackClassifier threshold 0 to 0.95")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    path.parent.mkdir(exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
