"""Share links carry the prompt-length distribution (URL key ``ph``): a log-normal as its two parameters, any other
histogram bucket by bucket, exactly; decoded with a file's validation (bad -> the key is named and dropped); links
made before the key existed load as they did."""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import parse_qs, urlencode

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from costmodel.views.links.query import scenario_from_query, scenario_from_query_string, scenario_to_query
from costmodel.workload.distributions import with_lognormal_prompts
from costmodel.workload.presets import preset
from costmodel.workload.scenario import PromptBucket, Scenario, Workload

AS_OF = dt.date(2026, 10, 1)
DEFAULT = preset("chat", dt.date(2020, 1, 1))

#: A link to the rag-long-docs preset (as of 2026-10-01) written by scenario_to_query before the distribution
#: keys existed (branch main at a591ba6), copied verbatim.
OLD_URL = (
    "v=1&n=rag-long-docs&desc=Retrieval-augmented+answers+over+long+documents%3A+20%2C000+requests+a+day%2C+60%2C000"
    "-token+prompts+of+retrieved+passages+with+a+10%25+cached+prefix%2C+800-token+answers%2C+office+hours+in+Berlin"
    "%2C+quiet+weekends.&d=2026-10-01&rpd=20000&pt=60000&ot=800&rm=1&ch=0.1&pwd=1%2C1%2C1%2C1%2C1%2C1%2C2%2C4%2C8%2C"
    "10%2C10%2C10%2C9%2C10%2C10%2C10%2C9%2C7%2C5%2C4%2C3%2C2%2C1%2C1&pwe=1%2C1%2C1%2C1%2C1%2C1%2C2%2C4%2C8%2C10%2C"
    "10%2C10%2C9%2C10%2C10%2C10%2C9%2C7%2C5%2C4%2C3%2C2%2C1%2C1&ww=0.2&tz=Europe%2FBerlin&dpm=30.4375&api=deepseek"
    "%3Adeepseek-v4-flash%3Alist%2Cdeepseek%3Adeepseek-v4-pro%3Alist%2Cmoonshot%3Akimi-k2.6%3Alist%2Cminimax%3A"
    "minimax-m3%3Alist%2Canthropic%3Aclaude-opus-4.6%3Alist&sh=deepseek-v4-flash%3Ah200%3Anative%3A%3A%3A%3A"
    "always_on%3A0%3A%3A%3Aauto%3Arent%2Cdeepseek-v4-pro%3Ab200%3Anative%3A%3A%3A%3Aalways_on%3A0%3A%3A%3Aauto%3A"
    "rent&eff=base&tpot=50&ttft=&ovh=0&spec=0&mtp=0.7&kv=deployed&util=1&ops=0&life=4&pue=1.3&kwh=0.1&host=0"
)


def _through_url(q: dict[str, str]) -> tuple[Scenario, list[str]]:
    return scenario_from_query(parse_qs(urlencode(q), keep_blank_values=True), DEFAULT)


def _with(s: Scenario, w: Workload) -> Scenario:
    return s.model_copy(update={"workload": w})


def test_a_link_made_before_the_distribution_keys_loads_as_it_did() -> None:
    s, ignored = scenario_from_query_string(OLD_URL, DEFAULT)
    assert ignored == []
    # the link predates the dated weights: its Flash self-hosting option is V4-Flash (the preset dated 2026-10-01 now
    # self-hosts V4.1-Flash, what the Flash API serves then); the link keeps what it said
    want = preset("rag-long-docs", AS_OF)
    want = want.model_copy(update={"self_host_options": tuple(
        o.model_copy(update={"model": "deepseek-v4-flash"}) if o.model == "deepseek-v4.1-flash" else o
        for o in want.self_host_options
    )})  # fmt: skip
    assert s == want
    # and a scenario without a histogram (or growth) still writes exactly that link
    assert urlencode(scenario_to_query(want)) == OLD_URL


def test_a_lognormal_travels_as_its_parameters_and_comes_back_equal() -> None:
    rag = preset("rag-long-docs", AS_OF)
    s = _with(rag, with_lognormal_prompts(rag.workload, 40_000, 300_000))
    q = scenario_to_query(s, (40_000, 300_000))
    assert q["ph"] == "ln:40000:300000" and q["pt"] == str(s.workload.prompt_tokens)
    back, ignored = _through_url(q)
    assert ignored == [] and back == s
    # without the parameters (e.g. a scenario file): found from the histogram (costmodel.workload.prompt_shape)
    assert scenario_to_query(s)["ph"] == "ln:40000:300000"
    # a log-normal too narrow to tell (two buckets): every bucket, still exact
    narrow = _with(rag, with_lognormal_prompts(rag.workload, 60_000, 66_000))
    q2 = scenario_to_query(narrow)
    assert q2["ph"].count(",") == len(narrow.workload.prompt_histogram) - 1
    back2, ignored2 = _through_url(q2)
    assert ignored2 == [] and back2 == narrow


def test_a_usage_log_histogram_round_trips_exactly() -> None:
    # the generic sample log's four buckets (tests/data/usage_logs/generic.csv): shares of thirds and a sixth
    hist = (
        PromptBucket(share=1 / 3, prompt_tokens=1000),
        PromptBucket(share=1 / 6, prompt_tokens=2000),
        PromptBucket(share=1 / 6, prompt_tokens=3000),
        PromptBucket(share=1 / 3, prompt_tokens=600_000),
    )
    mean = math.fsum(b.share * b.prompt_tokens for b in hist)
    chat = preset("chat", AS_OF)
    w = Workload.model_validate(
        {**chat.workload.model_dump(), "prompt_tokens": round(mean), "prompt_histogram": hist}
    )
    s = _with(chat, w)
    back, ignored = _through_url(scenario_to_query(s))
    assert ignored == [] and back == s


def _histograms() -> st.SearchStrategy[tuple[PromptBucket, ...]]:
    weights = st.lists(st.floats(0.001, 1.0), min_size=1, max_size=64)
    tokens = st.floats(0.0, 2.0**24, allow_nan=False)

    def build(ws: list[float], ts: list[float]) -> tuple[PromptBucket, ...]:
        total = math.fsum(ws)
        return tuple(PromptBucket(share=w / total, prompt_tokens=t) for w, t in zip(ws, ts, strict=False))

    return weights.flatmap(
        lambda ws: st.lists(tokens, min_size=len(ws), max_size=len(ws)).map(lambda ts: build(ws, ts))
    )


@settings(max_examples=60, deadline=None)
@given(_histograms())
def test_any_valid_histogram_round_trips_exactly(hist: tuple[PromptBucket, ...]) -> None:
    chat = preset("chat", AS_OF)
    mean = math.fsum(b.share * b.prompt_tokens for b in hist)
    try:
        w = Workload.model_validate(
            {**chat.workload.model_dump(), "prompt_tokens": max(1, round(mean)), "prompt_histogram": hist}
        )
    except (
        ValueError
    ):  # shares that do not sum to 1 within 1e-6, or a mean under half a token: not a workload
        assume(False)
        return
    s = _with(chat, w)
    q = scenario_to_query(s)
    assert len(q["ph"]) <= 4000  # within the URL's per-value limit: every histogram fits
    back, ignored = _through_url(q)
    assert ignored == [] and back == s


def test_bad_histograms_in_a_link_are_named_and_the_rest_is_kept() -> None:
    rag = preset("rag-long-docs", AS_OF)
    good = scenario_to_query(rag)
    for bad in (
        "0.5:1000,0.5:3000",  # its mean (2,000) is not the link's mean prompt (60,000)
        "0.5:1000,0.4:119000",  # shares sum to 0.9
        "ln:300000:40000",  # p95 under the median
        "ln:1000:99999999",  # p95 beyond the longest prompt
        "1:x",
        "1:-5",
        "nonsense",
        "1:nan",
        "1:inf",
        "0:60000",  # a share of 0
        "1:60000,",  # an empty bucket
        ",",
        "ln::",
        "ln:1e308:1e309",
        "ln:nan:5",
        "true:60000",
        ",".join([f"{1 / 65!r}:60000"] * 65),  # 65 buckets, else valid: more than a scenario accepts
    ):
        s, ignored = _through_url({**good, "ph": bad})
        assert ignored == ["ph"], (bad, ignored)
        assert s == rag  # everything else restored, no histogram
    # a key given twice is refused as for every key
    s, ignored = scenario_from_query({**good, "ph": ["ln:1000:4000", "ln:1000:5000"]}, DEFAULT)
    assert ignored == ["ph"] and s == rag
