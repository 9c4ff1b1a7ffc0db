"""How long the domain gate takes to read one message (bot.understanding.gate: the entry it
names, a name the catalog lacks, the aspects asked), the part of the NLU that is our own
code: each held-out phrasing of both languages and each real tuning question, read once
after a warm-up on other texts, with the words' likeness and the Chinese word cuts
computed afresh.

    .venv/bin/python bench/gate_speed.py [--rounds 5]

Prints the mean over the texts and the p95, in milliseconds, the best of --rounds rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.knowledge import mentions  # noqa: E402
from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from bot.understanding.gate import DomainGate  # noqa: E402
from tests.evaluation import HELDOUT_SETS, load_examples  # noqa: E402
from tests.real_set import REAL_SETS, load_real_set  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    gate = DomainGate(load_knowledge(PROJECT_ROOT / "knowledge"))
    texts = [example.text for path in HELDOUT_SETS.values() for example in load_examples(path)]
    texts += [question.text for question in load_real_set(REAL_SETS["tune"])]
    for text in ("二建需要注册吗", "do I need a licence to teach in China"):
        gate.findings({"text": text})  # loads jieba and compiles the patterns
    rounds = []
    for _ in range(args.rounds):
        mentions._word_similarity.cache_clear()
        mentions._word_boundaries.cache_clear()
        times = []
        for text in texts:
            start = time.perf_counter()
            gate.findings({"text": text})
            times.append((time.perf_counter() - start) * 1000)
        rounds.append(times)
    best = min(rounds, key=statistics.mean)
    p95 = statistics.quantiles(best, n=20)[-1]
    print(f"domain gate, {len(texts)} messages: mean {statistics.mean(best):.2f} ms, p95 {p95:.2f} ms "
          f"(best of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
