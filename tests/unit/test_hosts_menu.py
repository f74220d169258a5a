"""API options grouped by the model they serve, and the cheapest host of each (costmodel.pricing.hosts,
costmodel.views.host_menu): what the Calculator's picker and its 'Cheapest host of each model' button use."""

from __future__ import annotations

import datetime as dt
import math

from costmodel.catalog import load_catalogue
from costmodel.pricing.bill import api_bill
from costmodel.pricing.hosts import cheapest_per_model, group_by_model, groups_at_volume
from costmodel.views.host_menu import cheapest_frame, menu_order, served_notes
from costmodel.workload.presets import preset
from costmodel.workload.scenario import ApiOption, PromptBucket, Workload

CAT = load_catalogue()
DAY = dt.date(2026, 12, 7)
CHAT = preset("chat", DAY).workload


def _options() -> dict[str, ApiOption]:
    out = {}
    for p in CAT.prices:
        o = ApiOption(provider=p.provider, model=p.model)
        out.setdefault(o.option_id, o)
    return out


def test_groups_follow_the_served_weights_and_rank_by_the_bill() -> None:
    groups = group_by_model(_options(), CHAT, CAT, DAY)
    by = {g.model: g for g in groups}
    # DeepSeek's Flash API has served V4.1-Flash since 2026-09-10: it sits with the V4.1-Flash hosts
    v41 = by["deepseek-v4.1-flash"]
    assert "deepseek/deepseek-v4-flash (list)" in [q.option_id for q in v41.quotes]
    assert "deepseek/deepseek-v4-flash (list)" not in [q.option_id for q in by["deepseek-v4-flash"].quotes]
    assert served_notes(groups)["deepseek/deepseek-v4-flash (list)"] == " (serves DeepSeek-V4.1-Flash)"
    assert served_notes(groups)["together/deepseek-v4.1-flash (list)"] == ""
    # a closed model is its own group
    assert [q.provider for q in by["claude-opus-4.6"].quotes] == ["anthropic"]
    # each group cheapest first, and the cost is the bill's
    for g in groups:
        costs = [q.monthly_cost_usd for q in g.quotes if not q.reason]
        assert costs == sorted(costs), g.model
    best = v41.cheapest
    assert best is not None
    opt = _options()[best.option_id]
    assert math.isclose(best.monthly_cost_usd, api_bill(opt, CHAT, CAT, DAY).monthly_cost_usd, rel_tol=1e-12)
    # every option is in exactly one group, in the menu
    assert sorted(menu_order(groups)) == sorted(_options())


def test_before_v41_the_flash_api_is_with_v4_flash() -> None:
    groups = group_by_model(_options(), CHAT, CAT, dt.date(2026, 8, 1))
    by = {g.model: [q.option_id for q in g.quotes] for g in groups}
    assert "deepseek/deepseek-v4-flash (list)" in by["deepseek-v4-flash"]


def test_an_option_that_cannot_serve_is_never_the_cheapest() -> None:
    # a 300,000-token prompt: Kimi K2.6's 262,144-token window holds none of its hosts' requests
    long = CHAT.model_copy(update={"prompt_tokens": 300_000})
    groups = group_by_model(_options(), long, CAT, DAY)
    kimi = next(g for g in groups if g.model == "kimi-k2.6")
    assert kimi.cheapest is None and all("context window" in q.reason for q in kimi.quotes)
    assert all(math.isnan(q.monthly_cost_usd) for q in kimi.quotes)
    picked = cheapest_per_model(groups)
    assert not any("kimi" in i for i in picked)
    frame = cheapest_frame(groups).set_index("model")
    assert frame.loc["Kimi K2.6 (K2 architecture)", "cheapest host"].startswith("none: ")
    assert frame.loc["Kimi K2.6 (K2 architecture)", "option"] == ""
    # no price at the date (the V3 API rows ended in 2025): listed, never picked, the reason said
    v3 = next(g for g in groups if g.model == "deepseek-v3")
    assert v3.cheapest is None and v3.quotes[0].reason


def test_a_mix_adds_its_classes_bills() -> None:
    s = preset("support-mix", DAY)
    ws = [w for _, w in s.class_workloads()]
    opt = ApiOption(provider="together", model="deepseek-v4.1-flash")
    (g,) = group_by_model([opt], ws, CAT, DAY)
    want = sum(api_bill(opt, w, CAT, DAY).monthly_cost_usd for w in ws)
    assert g.cheapest is not None and math.isclose(g.cheapest.monthly_cost_usd, want, rel_tol=1e-12)


def test_groups_priced_at_the_two_cached_share_ends_and_blended_are_the_groups_at_the_workload() -> None:
    """The Calculator's picker bills each option once per request shape, at one request per day with no prompt
    token cached and with all cached, and blends and scales (a volume or a cached-share edit then reprices nothing,
    :func:`groups_at_volume`): an API bill is linear in the volume and in the cached share, so the order is the
    same and the bills agree to rounding, at this workload and at others of the same shape."""
    for w in (
        CHAT,
        CHAT.model_copy(update={"requests_per_day": 2 * CHAT.requests_per_day}),
        CHAT.model_copy(update={"cache_hit_fraction": 0.0}),
        CHAT.model_copy(update={"cache_hit_fraction": 0.93, "requests_per_day": 777.0}),
    ):
        direct = group_by_model(_options(), w, CAT, DAY)
        blended = groups_at_volume(_options(), (w,), CAT, DAY)
        assert [[q.option_id for q in g.quotes] for g in direct] == [
            [q.option_id for q in g.quotes] for g in blended
        ]
        pairs = [
            (q, r)
            for g, h in zip(direct, blended, strict=True)
            for q, r in zip(g.quotes, h.quotes, strict=True)
        ]
        assert sum(1 for q, _ in pairs if not q.reason) > 50
        for q, r in pairs:
            assert q.reason == r.reason
            if not q.reason:
                assert math.isclose(q.monthly_cost_usd, r.monthly_cost_usd, rel_tol=1e-9)


def test_a_mix_is_blended_class_by_class() -> None:
    """Each class of a mix keeps its own cached share and volume in the blend."""
    a = CHAT.model_copy(update={"cache_hit_fraction": 0.1, "requests_per_day": 300.0})
    b = Workload.model_validate(
        CHAT.model_dump() | {"cache_hit_fraction": 0.8, "requests_per_day": 50.0, "prompt_tokens": 20_000}
    )
    direct = group_by_model(_options(), (a, b), CAT, DAY)
    blended = groups_at_volume(_options(), (a, b), CAT, DAY)
    for g, h in zip(direct, blended, strict=True):
        for q, r in zip(g.quotes, h.quotes, strict=True):
            assert (q.option_id, q.reason) == (r.option_id, r.reason)
            if not q.reason:
                assert math.isclose(q.monthly_cost_usd, r.monthly_cost_usd, rel_tol=1e-9)


def test_the_blend_holds_across_a_context_tier_peak_hours_and_a_refused_class() -> None:
    """A prompt histogram straddling a 512K-token price tier, traffic peaking in Shanghai office hours (DeepSeek's
    peak/off-peak rows), and a mix whose second class (200K-token prompts) the small-window options cannot serve: the blended bills
    equal the direct ones, with the same order and reasons."""
    peaky = tuple(3.0 if 9 <= h < 18 else 0.2 for h in range(24))
    a = Workload.model_validate(
        CHAT.model_dump()
        | {
            "prompt_tokens": 300_000,
            "prompt_histogram": (
                PromptBucket(share=0.5, prompt_tokens=10_000),
                PromptBucket(share=0.5, prompt_tokens=590_000),
            ),
            "cache_hit_fraction": 0.37,
            "timezone": "Asia/Shanghai",
            "hourly_profile_weekday": peaky,
            "hourly_profile_weekend": peaky,
        }
    )
    b = Workload.model_validate(CHAT.model_dump() | {"prompt_tokens": 200_000, "requests_per_day": 10.0})
    for ws in ((a,), (a, b)):
        direct = group_by_model(_options(), ws, CAT, DAY)
        blended = groups_at_volume(_options(), ws, CAT, DAY)
        pairs = [
            (q, r)
            for g, h in zip(direct, blended, strict=True)
            for q, r in zip(g.quotes, h.quotes, strict=True)
        ]
        assert sum(1 for q, _ in pairs if q.reason) > 0 and sum(1 for q, _ in pairs if not q.reason) > 10
        for q, r in pairs:
            assert (q.option_id, q.reason) == (r.option_id, r.reason)
            if not q.reason:
                assert math.isclose(q.monthly_cost_usd, r.monthly_cost_usd, rel_tol=1e-9)


def test_a_cached_share_or_volume_edit_bills_no_option_again() -> None:
    """Once a shape is billed, other cached shares and volumes of it are served from the cache."""
    from costmodel.pricing import hosts

    w = CHAT.model_copy(update={"cache_hit_fraction": 0.21})
    groups_at_volume(_options(), (w,), CAT, DAY)
    calls = 0
    real = hosts._quote

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    hosts._quote = counting  # type: ignore[assignment]
    try:
        for h, v in ((0.0, 5.0), (0.66, 1e6), (1.0, 123.0)):
            groups_at_volume(
                _options(), (w.model_copy(update={"cache_hit_fraction": h, "requests_per_day": v}),), CAT, DAY
            )
    finally:
        hosts._quote = real  # type: ignore[assignment]
    assert calls == 0
