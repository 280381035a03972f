"""kubectl's label selector syntax (`-l app=web,tier!=db,env in (prod,staging),!legacy`) as a LabelSelector.

The grammar and the checks follow k8s.io/apimachinery `labels.Parse`: requirements separated by commas
(commas inside a parenthesised set belong to the set), operators `=`, `==`, `!=`, `in`, `notin`,
`key` (exists) and `!key` (does not exist); keys are qualified names, values label values. `!=` and
`notin` also match pods without the key, as in kubectl. `>`/`<` (numeric comparisons) have no
counterpart in a NetworkPolicy selector and are refused rather than approximated.
"""

from __future__ import annotations

import re

from kubenet_tui.engine.model import LabelSelector, Operator, Requirement

_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# One token: a parenthesis, a comma, an operator, or a run of anything else (a key, value or keyword).
_TOKEN = re.compile(r"\s*(\(|\)|,|==|!=|=|!|>|<|[^\s(),=!<>]+)")


class SelectorError(ValueError):
    """The selector cannot be parsed; the message says where and why, in one line."""


def _check_key(key: str, text: str) -> str:
    prefix, slash, name = key.rpartition("/")
    problem = None
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        problem = f"the prefix {prefix!r} of key {key!r} is not a DNS subdomain"
    elif not name or len(name) > 63 or not _NAME.match(name):
        problem = (f"{key!r} is not a valid label key (up to 63 letters, digits, '-', '_', '.', "
                   "starting and ending with a letter or digit, optionally prefixed by a DNS name and '/')")
    if problem:
        raise SelectorError(f"invalid label selector {text!r}: {problem}")
    return key


def _check_value(value: str, text: str) -> str:
    if value and (len(value) > 63 or not _NAME.match(value)):
        raise SelectorError(f"invalid label selector {text!r}: {value!r} is not a valid label value (up to 63 "
                            "letters, digits, '-', '_', '.', starting and ending with a letter or digit)")
    return value


def _tokens(text: str) -> list[str]:
    out = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if found is None:  # pragma: no cover - the pattern's last branch takes any other character
            raise SelectorError(f"invalid label selector {text!r}")
        out.append(found.group(1))
        position = found.end()
    return out


def parse_label_selector(text: str) -> LabelSelector:
    """`text` as a LabelSelector; an empty selector selects everything, like kubectl's `-l ''`."""
    tokens = _tokens(text)
    requirements: list[Requirement] = []
    at = 0

    def fail(why: str) -> SelectorError:
        return SelectorError(f"invalid label selector {text!r}: {why}")

    def take() -> str | None:
        nonlocal at
        if at >= len(tokens):
            return None
        at += 1
        return tokens[at - 1]

    def is_word(token: str | None) -> bool:
        return token is not None and token not in ("(", ")", ",", "==", "!=", "=", "!", ">", "<")

    while at < len(tokens):
        token = take()
        if token == "!":
            key = take()
            if not is_word(key):
                raise fail("'!' must be followed by a label key")
            assert key is not None
            requirements.append(Requirement(_check_key(key, text), Operator.DOES_NOT_EXIST))
        elif is_word(token):
            assert token is not None
            key = _check_key(token, text)
            op = take() if at < len(tokens) and tokens[at] != "," else None
            if op is None:
                requirements.append(Requirement(key, Operator.EXISTS))
            elif op in ("=", "==", "!="):
                value = tokens[at] if at < len(tokens) and is_word(tokens[at]) else ""
                if value:
                    at += 1
                operator = Operator.NOT_IN if op == "!=" else Operator.IN
                requirements.append(Requirement(key, operator, (_check_value(value, text),)))
            elif op in ("in", "notin"):
                if take() != "(":
                    raise fail(f"'{op}' needs a parenthesised set of values, e.g. {key} {op} (a,b)")
                values: list[str] = []
                while True:
                    item = take()
                    if item == ")" and not values:
                        break
                    if is_word(item):
                        assert item is not None
                        values.append(_check_value(item, text))
                        item = take()
                    elif item in (",", ")"):
                        values.append("")  # an empty value between commas, as kubectl allows
                    if item == ")":
                        break
                    if item != ",":
                        raise fail(f"the set of values after '{op}' is not closed with ')'")
                if not values:
                    raise fail(f"'{op}' needs at least one value")
                operator = Operator.IN if op == "in" else Operator.NOT_IN
                requirements.append(Requirement(key, operator, tuple(dict.fromkeys(values))))
            elif op in (">", "<"):
                raise fail(f"'{op}' (a numeric comparison) has no NetworkPolicy counterpart and is not supported")
            else:
                raise fail(f"unexpected {op!r} after {key!r}: expected =, ==, !=, in, notin, or ','")
        else:
            raise fail(f"unexpected {token!r}: a requirement starts with a label key or '!'")
        if at < len(tokens):
            if take() != ",":
                raise fail(f"expected ',' before {tokens[at - 1]!r}")
            if at >= len(tokens):
                raise fail("a trailing ',' with no requirement after it")
    return LabelSelector((), tuple(requirements))
