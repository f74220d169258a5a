"""Calculator defects found in the review of 2026-11-29 (the merge of request classes with log-normal prompts)."""

from __future__ import annotations

from apphelpers import run_page, shown

from app_pages import calc_state as cs


def test_lognormal_with_request_classes_is_refused_in_one_line_not_ignored() -> None:
    """With request classes each class has its own prompt length; the log-normal under the prompt field was dropped
    without a word (the classes' mean replaced it) while its chart, its mean and the description said otherwise."""
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select("support-mix").run()
    mix = at.session_state["scenario"]
    assert mix.classes and not at.error
    at.segmented_control(key=cs.PROMPT_SHAPE_KEY).set_value(cs.LOGNORMAL).run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith("Prompt lengths: ") and "request classes" in errors[0], errors
    assert at.session_state["scenario"] == mix  # the last valid results stay, marked as such
    assert any("results of the last valid inputs" in c.value for c in at.caption)
    # back to one length: no error, the mix as before
    at.segmented_control(key=cs.PROMPT_SHAPE_KEY).set_value(cs.ONE_LENGTH).run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    assert at.session_state["scenario"].classes == mix.classes


def test_the_description_generated_for_an_edited_mix_does_not_state_one_workload() -> None:
    """An edit of a mix generated 'N-token prompts (x% cached), traffic profile in <zone>' from the fields above the
    class table, which with classes hold the loaded mean (stale after a class edit) and a profile the classes do not
    use; the description travels into the XLSX, Markdown and Scenario JSON."""
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select("support-mix").run()
    at.text_input(key=cs.WORKLOAD_KEYS["requests_per_day"]).set_value("200K").run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    s = at.session_state["scenario"]
    assert len(s.classes) == 3 and s.name == "custom (from support-mix)"
    assert "200,000 requests a day" in s.description, s.description
    assert "3 request classes" in s.description, s.description
    assert "token prompts" not in s.description and "traffic profile in" not in s.description, s.description


def test_a_reasoning_multiplier_with_request_classes_is_refused_in_one_line_not_ignored() -> None:
    """With classes the multiplier typed above the class table was dropped without a word (the mix's mean workload
    has 1×, each class its own output tokens): 3× thinking tokens changed no figure."""
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select("support-mix").run()
    mix = at.session_state["scenario"]
    key = cs.WORKLOAD_KEYS["reasoning_multiplier"]
    at.number_input(key=key).set_value(3.0).run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Reasoning multiplier: 3× ") and "request classes" in errors[0]
    assert at.session_state["scenario"] == mix
    at.number_input(key=key).set_value(1.0).run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    assert at.session_state["scenario"].classes == mix.classes
