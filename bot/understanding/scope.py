"""Recognises questions beyond the knowledge: a certificate or job that has no catalog
entry ("do I need a certificate to work as a welder?", "月嫂证有用吗"), and a topic no entry
holds (exam fees, dates ...). The words come from knowledge/scope.yml; what counts as a
known word comes from the knowledge's own phrasings, so a new FAQ phrasing widens it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.model import KnowledgeBase, LocalizedList, UncoveredTopic
from bot.text import HAN_CHARACTER, normalize_phrase

# A misspelt word this alike (0-1) to a known word is that word ("qualifcation").
KNOWN_WORD_CUTOFF = 0.85
# English names longer than this many words are sentences, not names.
MAX_NAME_WORDS = 4
# Shorter words with a job ending are seldom jobs ("twist", "wrist").
MIN_JOB_NOUN_LENGTH = 6
# A Chinese name needs two characters: one character is too often part of another word.
MIN_CHINESE_NAME = 2
# A trade made of known words is told by its last three characters ("管理师"); shorter, it
# is too often a common word ("到手", "新手").
MIN_COMPOUND_TRADE = 3
# A Chinese name this long that the knowledge never uses whole is new, though each of its
# words is known (基层法律服务工作者); a shorter one is too often a known thing reworded.
MIN_NEW_COMPOUND = 5
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_HAN_RUN = re.compile(f"(?:{HAN_CHARACTER.pattern})+")
_HAN_TAIL = re.compile(rf"(?:{HAN_CHARACTER.pattern})*$")
_ENGLISH_ENDINGS = ("s", "es", "ing", "ed", "er", "ers")
ARTICLES = ("a", "an", "the")
# jieba's part-of-speech tags of nouns (n, nr, nz, ng, vn ...), of abbreviations (j: 房产,
# 中介) and of Latin words (eng).
_NOUN_TAGS = ("n", "vn", "j", "eng")
# A grade after a Chinese name ("普通话二甲", "人力资源管理师二级"), which is not what makes it
# a noun.
_GRADE = re.compile(r"[一二三四五六七八九十初中高特][级甲乙等]$")
# Latin letters in a Chinese message, right before a certificate or level word, or a word
# only a certificate has: the name of a certificate ("catti二级", "tesol证", "cfa报考条件",
# "rhca的有效期"), which jieba cannot tag.
_LATIN_BEFORE_CERTIFICATE = re.compile(r"([a-z][a-z0-9]+)\s*(?=证|资格证|考试|认证|[一二三四五六七八九]级"
                                       r"|报考|报名|的?有效期|含金量)")
# An acronym in capitals ("PMP", "ACCA"): most often the name of a certificate.
# Latin letters only count as its edges: "华为HCIE" names HCIE.
_ACRONYM = re.compile(r"(?<![A-Za-z0-9-])[A-Z]{3,6}(?![A-Za-z0-9-])")


# Leading words that are not part of a name: a place (许昌), a conjunction (既然), an adverb,
# a preposition, a pronoun; the verbs of asking (查中级会计师证), a schooling (大专主管护师),
# a certificate act (挂靠护士) and an edition (旧版).
_LEADING_TAGS = ("ns", "c", "d", "p", "r")
_LEADING_WORDS = frozenset({"查", "问", "查询", "考", "办", "办理", "咨询", "学", "获取", "申请", "申领", "挂靠",
                            "旧版", "大专", "本科", "中专", "高中", "初中", "硕士", "博士", "研究生"})


def _without_leading_words(name: str) -> str:
    """A name without the words in front of it that are not part of it ("许昌一级造价工程师"
    -> "一级造价工程师"), as long as two characters remain."""
    import jieba.posseg

    words = list(jieba.posseg.cut(name))
    start = 0
    for word in words[:-1]:
        if not (word.flag.startswith(_LEADING_TAGS) or word.word in _LEADING_WORDS):
            break
        if len(name) - (start + len(word.word)) < MIN_CHINESE_NAME:
            break
        start += len(word.word)
    return name[start:]


def _noun_spans(text: str) -> list[tuple[int, int]]:
    """Where jieba's nouns of two characters or more are in a Chinese text (领队)."""
    import jieba.posseg

    spans, position = [], 0
    for word in jieba.posseg.cut(text):
        if word.flag.startswith("n") and len(word.word) > 1:
            spans.append((position, position + len(word.word)))
        position += len(word.word)
    return spans


def _ends_like_a_noun(name: str, trade_endings: str, verbs_too: bool = False) -> bool:
    """Whether a Chinese name ends with a noun ("叉车") or a trade's ending, not a verb
    ("颁发", "设立"); with `verbs_too`, a verb counts as well (after 做, "推拿" is a trade;
    jieba tags "会计" as a verb)."""
    name = _GRADE.sub("", name) or name
    if name[-1] in trade_endings:
        return True
    import jieba.posseg  # loaded on first use: its dictionary takes a moment

    words = list(jieba.posseg.cut(name))
    tags = (*_NOUN_TAGS, "v") if verbs_too else _NOUN_TAGS
    return bool(words) and words[-1].flag.startswith(tags)


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Matches any of the phrases as whole words, longest first."""
    ordered = sorted({normalize_phrase(p) for p in phrases}, key=len, reverse=True)
    if not ordered:
        return None
    # Latin letters and digits bound an English word; a Chinese character does not
    # ("windows许可证" names Windows).
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(p) for p in ordered) + r")(?![a-z0-9])")


def _substring_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted({normalize_phrase(w).replace(" ", "") for w in words}, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered)) if ordered else None


class _Words:
    """Finds words of both languages in a normalised message: English ones as whole words
    (or, with `stems`, as the start of a word: "certif" in "certified"), Chinese ones
    anywhere, since Chinese is written without spaces."""

    def __init__(self, words: LocalizedList, stems: bool = False) -> None:
        english = _phrase_pattern(words["en"])
        if english is not None and stems:
            english = re.compile(english.pattern.removesuffix(r"(?![a-z0-9])"))
        self._english = english
        self._chinese = _substring_pattern(words["zh"])

    def found_in(self, normalized: str) -> bool:
        return self.longest_in(normalized) > 0

    def removed_from(self, normalized: str) -> str:
        """The message without these words (Chinese ones with the spaces taken out)."""
        if self._english:
            normalized = self._english.sub(" ", normalized)
        return self._chinese.sub("|", normalized.replace(" ", "")) if self._chinese else normalized

    def longest_in(self, normalized: str) -> int:
        """The length of the longest of the words in the message; 0 when it has none."""
        matches = [*(self._english.finditer(normalized) if self._english else ()),
                   *(self._chinese.finditer(normalized.replace(" ", "")) if self._chinese else ())]
        return max((len(match.group()) for match in matches), default=0)


@dataclass(frozen=True)
class Relatedness:
    """What a message has of the domain: a word of it, the name of a trade, or another
    meaning of "certificate" (a gift certificate, a birth certificate)."""

    domain_word: bool
    trade: bool
    other_meaning: bool

    def unrelated(self, classified_unrelated: bool) -> bool:
        """Whether the message is about something other than qualification certificates:
        another meaning of "certificate", or no word of the domain. The name of a trade
        counts as a word of the domain ("育婴师有用吗"), unless the classifier found the
        message unrelated ("理发师把我头发剪坏了")."""
        if not self.domain_word and (classified_unrelated or not self.trade):
            return True
        return self.other_meaning


class ScopeFinder:
    """Finds what a message asks about that the knowledge does not hold."""

    def __init__(self, kb: KnowledgeBase) -> None:
        scope = kb.scope
        self._domain = _Words(scope.domain_words, stems=True)
        self._qualification = _Words(scope.qualification_words, stems=True)
        # Holders of a certificate, not trades ("员工的证书" asks about an employee's).
        self._not_trades = tuple({normalize_phrase(w)
                                  for w in (*scope.holder_words["zh"], *scope.name_boundaries["zh"])})
        self._holders = _Words(scope.holder_words)
        self._unrelated = _Words(scope.unrelated_words)
        self._work_licences = _Words(scope.work_licences)
        self._abroad = _Words(scope.abroad_words)
        self._home = _Words(scope.home_words)
        self._en_certificate = {normalize_phrase(w) for w in scope.certificate_words["en"]}
        self._en_boundaries = {normalize_phrase(w) for w in scope.name_boundaries["en"]}
        self._en_job = _phrase_pattern(scope.job_words["en"])
        self._en_job_nouns, self._en_job_endings = _words_and_endings(scope.job_nouns["en"])
        self._en_not_job_nouns, self._en_not_job_endings = _words_and_endings(scope.not_job_nouns["en"])
        self._en_holders = {normalize_phrase(w) for w in scope.holder_words["en"]}
        self._not_names = {normalize_phrase(w) for words in scope.not_names.values() for w in words}
        self._trade_endings = "".join(_words_and_endings(scope.job_nouns["zh"])[1])
        self._not_trade_words = tuple(normalize_phrase(w) for w in scope.not_job_nouns["zh"])
        self._zh_certificate = _substring_pattern(scope.certificate_words["zh"])
        self._zh_not_certificate = _substring_pattern([*scope.not_certificate_words["zh"],
                                                       *scope.certificate_acts["zh"]])
        self._certificate_acts = _Words(scope.certificate_acts)
        self._exam_words = _Words(scope.exam_words)
        self._zh_job = _substring_pattern(scope.job_words["zh"])
        self._zh_boundaries = _substring_pattern(scope.name_boundaries["zh"])
        self._topics = [(topic, _Words(topic.words)) for topic in scope.uncovered_topics]
        _ends_like_a_noun("证书", "")  # loads jieba's dictionaries now, not on a user's message
        texts = _knowledge_texts(kb)
        english = [text for text in texts if not HAN_CHARACTER.search(text)]
        self._known_en_words = {word for text in english for word in text.split()}
        self._known_en_text = "".join(f" {text} " for text in english)
        self._known_zh_text = "\n".join(text.replace(" ", "") for text in texts if HAN_CHARACTER.search(text))
        self._known_zh_bigrams = {self._known_zh_text[i : i + 2] for i in range(len(self._known_zh_text) - 1)}

    # The domain gate

    def relatedness(self, text: str) -> Relatedness:
        """What tells whether a message that names no catalog entry is about qualification
        certificates (Relatedness.unrelated decides)."""
        normalized = normalize_phrase(text)
        # 「无人机驾驶证」 is no driving licence (removed only where found: removing takes the
        # spaces out, which English words need).
        without_licences = (self._work_licences.removed_from(normalized) if self._work_licences.found_in(normalized)
                            else normalized)
        return Relatedness(domain_word=self._domain.found_in(normalized),
                           trade=self._chinese_trade(normalized) is not None
                           or any(self._is_job_noun(word) for word in normalized.split()),
                           # 「养老资格认证」 is another meaning, though it says 资格.
                           other_meaning=self._unrelated.found_in(without_licences)
                           and not self._qualification.found_in(self._unrelated.removed_from(without_licences)))

    def names_a_certificate(self, text: str) -> bool:
        """Whether the message says "certificate", "licence", 证 or 资格 in any form (a
        certificate's too)."""
        normalized = normalize_phrase(text)
        if self._certificate_acts.found_in(normalized):
            return True
        if any(word.removesuffix("'s") in self._en_certificate for word in normalized.split()):
            return True
        compact = self._masked(normalized.replace(" ", ""))
        return bool(self._zh_certificate and self._zh_certificate.search(compact)) or "资格" in compact

    def names_an_exam(self, text: str) -> bool:
        """Whether the message speaks of an exam or of applying for one (报名, "exam")."""
        return self._exam_words.found_in(normalize_phrase(text))

    def _masked(self, compact: str) -> str:
        """Chinese text with the words that are no certificate ("验证" is "verify") masked by a
        character that is no word, one for each of theirs; one inside a longer certificate
        word is part of it (作证, "testify", in 操作证)."""
        if not self._zh_not_certificate:
            return compact
        inside = [match.span() for match in self._zh_certificate.finditer(compact)] if self._zh_certificate else []
        return self._zh_not_certificate.sub(
            lambda m: m.group() if any(start <= m.start() and m.end() <= end and end - start > len(m.group())
                                       for start, end in inside) else "|" * len(m.group()), compact)

    def means_another_certificate(self, name: str) -> bool:
        """Whether a name is one of the other meanings of "certificate" ("ssl", "cd")."""
        return self._unrelated.found_in(normalize_phrase(name))

    def names_a_qualification(self, text: str) -> bool:
        """Whether the message says "certificate", 证, or a word of qualifications (执业,
        "profession") in any form."""
        return self.names_a_certificate(text) or self._qualification.found_in(normalize_phrase(text))

    def abroad(self, text: str) -> bool:
        """Whether the message asks about somewhere outside China ("in all states")."""
        normalized = normalize_phrase(text)
        return self._abroad.found_in(normalized) and not self._home.found_in(normalized)

    @staticmethod
    def writes_an_acronym(text: str) -> bool:
        """Whether the message has a word in capitals that may be a certificate's ("TEFL")."""
        return _ACRONYM.search(text) is not None

    def names_a_holder(self, text: str) -> bool:
        """Whether the message says whose certificate it is ("check my licence"): a lookup."""
        return self._holders.found_in(normalize_phrase(text))

    # Unknown certificates and jobs

    def unlisted_name(self, text: str) -> str | None:
        """The name of a certificate or job the message asks about, when the knowledge's own
        words do not contain it; None when it names none or only known words."""
        normalized = normalize_phrase(text)
        # An acronym first: "do i need a TEFL to get hired as an english tutor" asks about TEFL.
        acronyms = [self._with_job_after(name, normalized) for name in _acronyms(text, normalized)
                    if name not in self._en_boundaries]
        names = [*acronyms, *self._english_names(normalized), *self._chinese_names(normalized)]
        for name in names:
            if self._is_unknown(name) and not self._names_a_holder(name) and name not in self._not_names:
                return name
        return self._chinese_trade(normalized)

    def _chinese_trade(self, normalized: str) -> str | None:
        """An unknown Chinese word that ends like the name of a trade ("育婴师有用吗"), which
        names a job even without a certificate word."""
        for word in [word for word in normalized.split() if HAN_CHARACTER.search(word)]:
            runs = [*self._unknown_chinese(word), *self._unknown_trades(word)]
            for run in map(self._after_last_boundary, runs):
                if len(run) >= MIN_CHINESE_NAME and run[-1] in self._trade_endings and not self._names_a_holder(run):
                    return _without_leading_words(run)
        return None

    def _unknown_trades(self, text: str) -> list[str]:
        """Trades made of words the knowledge uses: the text up to a trade's ending, from the
        last boundary on, whose last three characters the knowledge never uses together
        ("健康管理师": it has 健康 and 管理, not 管理师), or which is longer and never used whole
        ("造价工程师": it has 消防工程师, not 造价工程师)."""
        runs = []
        for index in range(MIN_COMPOUND_TRADE - 1, len(text)):
            if not (self._is_trade_ending(text, index)
                    and _HAN_RUN.fullmatch(last := text[index + 1 - MIN_COMPOUND_TRADE : index + 1])):
                continue
            run = self._after_last_boundary(text[: index + 1])
            if last not in self._known_zh_text or (len(run) > MIN_COMPOUND_TRADE and run not in self._known_zh_text):
                runs.append(run)
        return [run for run in runs if len(run) >= MIN_COMPOUND_TRADE]

    def _is_trade_ending(self, text: str, index: int) -> bool:
        """Whether text[index] ends a trade's name (焊工, 育婴师), neither begins a word (工资) nor
        ends one (人工)."""
        return text[index] in self._trade_endings and not text.startswith(self._not_trade_words, index) \
            and not any(text.endswith(word, 0, index + 1) for word in self._not_trade_words)

    def _with_job_after(self, acronym: str, normalized: str) -> str:
        """An acronym with the job noun right after it ("PADI divemaster")."""
        following = re.search(rf"(?<!\w){re.escape(acronym)} (\w+)", normalized)
        return f"{acronym} {following.group(1)}" if following and self._is_job_noun(following.group(1)) else acronym

    def _names_a_holder(self, name: str) -> bool:
        """"公司员工" and "temporary workers" name whose certificate it is, not a trade."""
        return name.endswith(self._not_trades) or name.split()[-1] in self._en_holders

    def _english_names(self, normalized: str) -> list[str]:
        words = [w.removesuffix("'s").strip("'") for w in normalized.split()]
        # A person at work first ("do gyms require personal trainers to ..."), then what
        # follows a job word: "do truck drivers need a special permit" asks about truck drivers.
        names = [" ".join(self._words_before(words, index) + [word])
                 for index, word in enumerate(words) if self._is_job_noun(word)]
        names += [" ".join(self._words_until_boundary(normalized[match.end():].split()))
                  for match in (self._en_job.finditer(normalized) if self._en_job else ())]
        for index, word in enumerate(words):
            if word not in self._en_certificate:
                continue
            names.append(" ".join(self._words_before(words, index)))
            if index + 1 < len(words) and words[index + 1] in ("of", "for"):
                names.append(" ".join(self._words_until_boundary(words[index + 2:])))
        return [name for name in names if name]

    def _words_before(self, words: list[str], index: int) -> list[str]:
        """The words in front of words[index] back to a boundary, certificate words left out."""
        before: list[str] = []
        for previous in reversed(words[:index]):
            if previous in self._en_boundaries or len(before) == MAX_NAME_WORDS:
                break
            if previous not in self._en_certificate:
                before.insert(0, previous)
        return before

    def _is_job_noun(self, word: str) -> bool:
        """A word for a person at work ("trainers", "florist"), in the singular or plural."""
        for singular in (word, word.removesuffix("s"), word.removesuffix("es")):
            if singular in self._en_not_job_nouns or singular.endswith(self._en_not_job_endings):
                continue
            if singular in self._en_job_nouns or (
                    singular.endswith(self._en_job_endings) and len(singular) >= MIN_JOB_NOUN_LENGTH):
                return True
        return False

    def _words_until_boundary(self, words: list[str]) -> list[str]:
        while words and words[0] in ARTICLES:
            words = words[1:]
        taken = []
        for word in words[:MAX_NAME_WORDS]:
            word = word.removesuffix("'s")
            if word in self._en_boundaries or word in self._en_certificate:
                break
            taken.append(word)
        return taken

    def _chinese_names(self, normalized: str) -> list[str]:
        if self._zh_certificate is None:
            return []
        compact = self._masked(normalized.replace(" ", ""))
        # (name, whether a verb may be the name): a verb right before the certificate word
        # ("会计证") or after a job word ("做推拿") names a trade; "颁发的证书" does not.
        names: list[tuple[str, bool]] = []
        previous_end = 0
        for match in self._zh_certificate.finditer(compact):
            # Chinese characters only: English words in front ("what is a 上岗证") name nothing.
            run = _HAN_TAIL.search(compact[previous_end : match.start()]).group()  # type: ignore[union-attr]
            name = self._after_last_boundary(run)
            names.append((name, name == run))
            previous_end = match.end()
        if self._zh_job:
            for match in self._zh_job.finditer(compact):
                following = re.match(r"\w*", compact[match.end():]).group()  # type: ignore[union-attr]
                names.append((self._before_first_stop(following), True))
        return [_without_leading_words(name) for name, verbs_too in names
                if len(name) >= MIN_CHINESE_NAME and _ends_like_a_noun(name, self._trade_endings, verbs_too)]

    def _after_last_boundary(self, run: str) -> str:
        """What follows the last boundary or job word, once those at the end are dropped
        ("我想考个叉车" -> 叉车, "月嫂要" -> 月嫂, "做月嫂需要" -> 月嫂)."""
        # A boundary inside a longer noun is part of it (领 in 领队证).
        nouns = _noun_spans(run)
        cuts = [m.span() for m in self._zh_boundaries.finditer(run)
                if not any(start <= m.start() and m.end() <= end and (start, end) != m.span() for start, end in nouns)
                ] if self._zh_boundaries else []
        cuts += [m.span() for m in self._zh_job.finditer(run)] if self._zh_job else []
        end = len(run)
        for start, stop in sorted(cuts, reverse=True):
            if stop == end:
                end = start
        return run[max((stop for _, stop in cuts if stop <= end), default=0):end]

    def _before_first_stop(self, following: str) -> str:
        """A job after 当/做 runs to the first boundary or certificate word ("月嫂需要证" -> 月嫂,
        "个月嫂要证吗" -> 月嫂); a name has two characters at least, so a boundary character
        inside its first two ("推拿", with 拿) does not end it."""
        if self._zh_boundaries and (leading := self._zh_boundaries.match(following)):
            following = following[leading.end():]
        stops = [m.start() for pattern in (self._zh_boundaries, self._zh_certificate) if pattern
                 for m in pattern.finditer(following) if m.start() >= MIN_CHINESE_NAME]
        return following[: min(stops)] if stops else following

    def unknown_words(self, text: str) -> str | None:
        """The longest Chinese noun the knowledge never uses: for a question about one job
        that names no catalog entry and no certificate word ("月嫂要考吗"), most likely the
        job. (English names are found by their job words: "do welders need ...".)"""
        runs = [run for word in normalize_phrase(text).split() if HAN_CHARACTER.search(word)
                for run in map(self._after_last_boundary, self._unknown_chinese(word))
                if len(run) >= MIN_CHINESE_NAME and _ends_like_a_noun(run, self._trade_endings)
                and not self._names_a_holder(run) and run not in self._not_names]
        return max(runs, key=len, default=None)

    def _unknown_chinese(self, text: str) -> list[str]:
        """Runs of characters that no two-character sequence of the knowledge covers."""
        covered = [False] * len(text)
        for index in range(len(text) - 1):
            if text[index : index + 2] in self._known_zh_bigrams:
                covered[index] = covered[index + 1] = True
        for index in range(1, len(text)):
            # A trade's last character belongs to the unknown word before it ("陪诊师呢": 师
            # is not part of the known "师呢").
            if not covered[index - 1] and self._is_trade_ending(text, index):
                covered[index] = False
        uncovered = "".join(" " if cover or not HAN_CHARACTER.match(char) else char
                            for char, cover in zip(text, covered, strict=True))
        return uncovered.split()

    def _is_unknown(self, name: str) -> bool:
        if HAN_CHARACTER.search(name):
            return bool(_HAN_RUN.fullmatch(name)) and (any(
                len(run) >= MIN_CHINESE_NAME for run in self._unknown_chinese(name))
                or (len(name) >= MIN_NEW_COMPOUND and name not in self._known_zh_text))
        words = name.split()
        if len(words) > 1 and self._is_job_noun(words[-1]) and f" {name} " not in self._known_en_text:
            return True  # "dental technician": known words perhaps, but no job the knowledge names
        return any(not self._is_known_word(word) for word in words)

    def _is_known_word(self, word: str) -> bool:
        """Known as it is, or without an ending ("awarding" -> "award"), or misspelt."""
        stems = [word] + [word.removesuffix(end) for end in _ENGLISH_ENDINGS if word.endswith(end)]
        if word.isdigit() or any(stem in self._known_en_words for stem in stems):
            return True
        return bool(difflib.get_close_matches(word, self._known_en_words, n=1, cutoff=KNOWN_WORD_CUTOFF))

    # Topics no entry holds

    def uncovered_topic(self, text: str) -> UncoveredTopic | None:
        """The topic of knowledge/scope.yml that the message asks about, if any: the one with
        the longest word in it, the first of equally long ones."""
        normalized = normalize_phrase(text)
        # max() keeps the first of equal lengths.
        length, topic = max(((words.longest_in(normalized), topic) for topic, words in self._topics),
                            key=lambda item: item[0], default=(0, None))
        return topic if length else None


def _words_and_endings(entries: Iterable[str]) -> tuple[set[str], tuple[str, ...]]:
    """The words of a list, and its endings (the entries that begin with "-")."""
    return ({normalize_phrase(e) for e in entries if not e.startswith("-")},
            tuple(e[1:] for e in entries if e.startswith("-")))


def _acronyms(text: str, normalized: str) -> list[str]:
    """Latin names of certificates: acronyms in capitals ("is PMP recognised?"), and Latin
    letters before a certificate word in Chinese ("catti二级")."""
    names = [acronym.lower() for acronym in _ACRONYM.findall(text)]
    if HAN_CHARACTER.search(normalized):
        names += _LATIN_BEFORE_CERTIFICATE.findall(normalized)
    return names


def _knowledge_texts(kb: KnowledgeBase) -> list[str]:
    """Every question and phrasing of the knowledge, normalised, placeholders removed: the
    words people use for what the knowledge does cover."""
    lists: list[LocalizedList] = [entry.phrasings for entry in kb.faq]
    lists += [question.phrasings for question in kb.questions]
    texts = [text for localized in lists for texts in localized.values() for text in texts]
    texts += [entry.question[language] for entry in kb.faq for language in entry.question]
    return [normalize_phrase(_PLACEHOLDER.sub(" ", text)) for text in texts]
