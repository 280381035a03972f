"""Calico's selector language, table-driven from libcalico-go's parser tests and the v3 API docs
(NetworkPolicySpec.Selector): every operator, precedence, quoting, and errors with their column."""

from __future__ import annotations

import pytest

from kubenet_tui.engine.dialects.calico_selector import (
    NAMESPACE_LABEL,
    AllNode,
    SelectorError,
    namespace_scope,
    parse,
)

LABELS = {"app": "web", "tier": "front-end", "env": "prod", "team": "", "version": "v1.2.3"}

# (selector, matches LABELS?)
CASES = [
    # empty and all(): everything
    ("", True),
    ("all()", True),
    ("  all( )  ", True),
    ("global()", True),
    # == and != (!= also holds when the label is absent)
    ('app == "web"', True),
    ("app == 'web'", True),
    ('app == "db"', False),
    ('missing == "x"', False),
    ('app != "db"', True),
    ('app != "web"', False),
    ('missing != "x"', True),
    ('team == ""', True),
    # in / not in (also "notin"), sets with a trailing comma, the empty set
    ('app in {"web", "db"}', True),
    ("app in {'db'}", False),
    ('app in {"db", "web",}', True),
    ("app in {}", False),
    ('missing in {"x"}', False),
    ('app not in {"db"}', True),
    ('app not in {"web"}', False),
    ('app notin {"web"}', False),
    ('missing not in {"x"}', True),
    ("app not in {}", True),
    # has() and !
    ("has(app)", True),
    ("has( app )", True),
    ("has(missing)", False),
    ("!has(missing)", True),
    ("! has(app)", False),
    ("!!has(app)", True),
    ('!app == "db"', True),
    # contains / starts with / ends with: the label must exist
    ('version contains "1.2"', True),
    ('version contains "9"', False),
    ('tier starts with "front"', True),
    ('tier startswith "front"', True),
    ('tier ends with "end"', True),
    ('tier ends with "front"', False),
    ('missing starts with ""', False),
    ('team contains ""', True),
    # && binds tighter than ||; parentheses group
    ('app == "db" || env == "prod" && tier == "back"', False),
    ('app == "web" || env == "dev" && tier == "back"', True),
    ('(app == "db" || env == "prod") && tier == "front-end"', True),
    ('!(app == "web" && env == "prod")', False),
    ('!(app == "db") && has(env)', True),
    # label names: letters, digits and _ . / -
    ('kubernetes.io/metadata.name != "x"', True),
    ('projectcalico.org/namespace == "x"', False),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_selector_matches(text: str, expected: bool) -> None:
    selector = parse(text)
    assert selector.evaluate(LABELS) is expected
    # the canonical rendering parses back to the same meaning
    assert parse(selector.root.render()).evaluate(LABELS) is expected
    if not expected:
        assert selector.root.why_not(LABELS)


def test_empty_selector_is_all() -> None:
    assert isinstance(parse("").root, AllNode)
    assert isinstance(parse("   ").root, AllNode)


# (selector, message fragment, 1-based column)
ERRORS = [
    ('app = "web"', "expected ==", 5),
    ("app == web", "expected a quoted string", 8),
    ('app == "web', "unterminated string", 8),
    ("app == 'web", "unterminated string", 8),
    ('app in "web"', "expected a set literal", 8),
    ('app in {"a" "b"}', "expected }", 13),
    ("app in {a}", "expected }", 9),
    ('(app == "web"', "expected ) to close the ( at column 1", 14),
    ("has(app", "no closing ')' after has(", 8),
    ("has()", "expected a label name", 5),
    ("all(x)", "no closing ')' after all(", 5),
    ("app", "unexpected end of selector after label 'app'", 4),
    ('app ~ "x"', "expected an operator after label 'app'", 5),
    ('app == "a" & b == "c"', "expected &&", 12),
    ('app == "a" | b == "c"', "expected ||", 12),
    ('app == "a" b == "c"', "unexpected label 'b' after a complete expression", 12),
    ('&& app == "a"', "unexpected '&&'", 1),
    ('app == "a" &&', "unexpected end of selector", 14),
    ("app\n== 'a'", "expected an operator", 4),
    ("a" * 513 + ' == "x"', "label too long", 1),
    ('app == "a")', "unexpected ')'", 11),
]


@pytest.mark.parametrize(("text", "fragment", "column"), ERRORS, ids=[e[0][:30] for e in ERRORS])
def test_selector_errors_say_what_and_where(text: str, fragment: str, column: int) -> None:
    with pytest.raises(SelectorError) as caught:
        parse(text)
    assert fragment in caught.value.message
    assert caught.value.position + 1 == column
    assert f"column {column}" in str(caught.value)


def test_three_valued_evaluation_on_unknown_labels() -> None:
    """Labels that could not be read make a test undecided unless the rest decides it."""
    def unknown(key: str) -> bool:
        return key.startswith("pcns.")

    labels = {"app": "web"}
    assert parse('pcns.team == "x"').root.evaluate3(labels, unknown) is None
    assert parse('pcns.team != "x"').root.evaluate3(labels, unknown) is None
    assert parse('pcns.team == "x" && app == "db"').root.evaluate3(labels, unknown) is False
    assert parse('pcns.team == "x" || app == "web"').root.evaluate3(labels, unknown) is True
    assert parse('!has(pcns.team)').root.evaluate3(labels, unknown) is None
    assert parse('has(pcns.team)').root.evaluate3({"pcns.team": "y", **labels}, unknown) is True


def test_prefix_and_namespace_scope() -> None:
    """How rules.go rewrites a namespaceSelector: keys prefixed pcns., all() = any namespaced endpoint,
    global() = no namespaced endpoint."""
    scoped = namespace_scope(parse('team == "x" && !has(legacy)').root)
    assert scoped.render() == 'pcns.team == "x" && !has(pcns.legacy)'
    endpoint = {"pcns.team": "x", NAMESPACE_LABEL: "a"}
    assert scoped.evaluate(endpoint)
    everything = namespace_scope(parse("all()").root)
    assert everything.evaluate({NAMESPACE_LABEL: "a"}) and not everything.evaluate({"feed": "bad"})
    outside = namespace_scope(parse("global()").root)
    assert outside.evaluate({"feed": "bad"}) and not outside.evaluate({NAMESPACE_LABEL: "a"})
