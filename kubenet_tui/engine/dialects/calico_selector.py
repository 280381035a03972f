"""Calico's selector language: a tokenizer and parser that follow libcalico-go's, with error positions.

The grammar (libcalico-go/lib/selector/tokenizer and parser):

    selector   := or-expr | (nothing: everything)
    or-expr    := and-expr ("||" and-expr)*              lowest precedence
    and-expr   := operation ("&&" operation)*
    operation  := "!"* ( has(LABEL) | all() | global() | "(" or-expr ")"
                       | LABEL == STRING | LABEL != STRING | LABEL in {STRINGS} | LABEL not in {STRINGS}
                       | LABEL contains STRING | LABEL starts with STRING | LABEL ends with STRING )

Labels are made of letters, digits and `_ . / -`; strings are quoted with `"` or `'` and have no
escapes; whitespace is spaces and tabs only. `!=` and `not in` also hold when the label is absent;
`contains`, `starts with` and `ends with` need it present. `global()` is true here: it is rewritten
where it has a meaning (a namespace selector, see `namespace_scope`).

Every node answers for one label map (`evaluate`), for a label map of which some keys are unknown
(`evaluate3`: True, False or None when the answer depends on them), and says why it fails (`why_not`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum

from kubenet_tui.engine.dialects.calico_model import NAMESPACE_LABEL
from kubenet_tui.engine.records import record

MAX_LABEL_LENGTH = 512

Unknown = Callable[[str], bool]


class SelectorError(ValueError):
    """A selector that does not parse: the reason and where (0-based offset into the text)."""

    def __init__(self, message: str, position: int, text: str) -> None:
        self.message = message
        self.position = position
        self.text = text
        super().__init__(f"{message} at column {position + 1} of {text!r}")


# -- nodes ------------------------------------------------------------------------------------------


class Node:
    """One node of a parsed selector."""

    __slots__ = ()

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return self.evaluate3(labels, _nothing_unknown) is True

    def evaluate3(self, labels: Mapping[str, str], unknown: Unknown) -> bool | None:
        raise NotImplementedError

    def why_not(self, labels: Mapping[str, str]) -> str:
        """Why the node is false for `labels` (only asked when it is)."""
        raise NotImplementedError

    def render(self) -> str:
        raise NotImplementedError

    def prefixed(self, prefix: str) -> Node:
        """The same test on labels renamed `prefix + key` (how Calico matches namespace and service
        account labels: `pcns.`, `pcsa.`)."""
        raise NotImplementedError

    def keys(self) -> frozenset[str]:
        return frozenset()

    @property
    def compound(self) -> bool:
        return False


def _nothing_unknown(key: str) -> bool:
    return False


def _quote(value: str) -> str:
    return f"'{value}'" if '"' in value else f'"{value}"'


@record
class AllNode(Node):
    def evaluate3(self, labels: Mapping[str, str], unknown: Unknown) -> bool | None:
        return True

    def why_not(self, labels: Mapping[str, str]) -> str:
        return "all() matches everything"

    def render(self) -> str:
        return "all()"

    def prefixed(self, prefix: str) -> Node:
        return self


@record
class GlobalNode(Node):
    def evaluate3(self, labels: Mapping[str, str], unknown: Unknown) -> bool | None:
        return True

    def why_not(self, labels: Mapping[str, str]) -> str:
        return "global() matches everything"

    def render(self) -> str:
        return "global()"

    def prefixed(self, prefix: str) -> Node:
        return self


@record
class LabelTest(Node):
    """A test of one label's value (None: the label is absent)."""

    key: str

    def holds(self, value: str | None) -> bool:
        raise NotImplementedError

    def evaluate3(self, labels: Mapping[str, str], unknown: Unknown) -> bool | None:
        value = labels.get(self.key)
        if value is None and unknown(self.key):
            return None
        return self.holds(value)

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def _missing(self) -> str:
        return f"label {self.key} is missing"


@record
class HasNode(LabelTest):
    def holds(self, value: str | None) -> bool:
        return value is not None

    def why_not(self, labels: Mapping[str, str]) -> str:
        return f"{self._missing()} (has({self.key}))"

    def render(self) -> str:
        return f"has({self.key})"

    def prefixed(self, prefix: str) -> Node:
        return HasNode(prefix + self.key)


@record
class EqNode(LabelTest):
    value: str

    def holds(self, value: str | None) -> bool:
        return value == self.value

    def why_not(self, labels: Mapping[str, str]) -> str:
        found = labels.get(self.key)
        if found is None:
            return f"{self._missing()} (wants {self.value!r})"
        return f"label {self.key} is {found!r}, not {self.value!r}"

    def render(self) -> str:
        return f"{self.key} == {_quote(self.value)}"

    def prefixed(self, prefix: str) -> Node:
        return EqNode(prefix + self.key, self.value)


@record
class NeNode(LabelTest):
    value: str

    def holds(self, value: str | None) -> bool:
        return value != self.value

    def why_not(self, labels: Mapping[str, str]) -> str:
        return f"label {self.key} is {self.value!r} ({self.render()})"

    def render(self) -> str:
        return f"{self.key} != {_quote(self.value)}"

    def prefixed(self, prefix: str) -> Node:
        return NeNode(prefix + self.key, self.value)


def _set_text(values: tuple[str, ...]) -> str:
    return "{" + ", ".join(_quote(v) for v in values) + "}"


@record
class InNode(LabelTest):
    values: tuple[str, ...]

    def holds(self, value: str | None) -> bool:
        return value is not None and value in self.values

    def why_not(self, labels: Mapping[str, str]) -> str:
        found = labels.get(self.key)
        if found is None:
            return f"{self._missing()} (wants one of {_set_text(self.values)})"
        return f"label {self.key} is {found!r}, not one of {_set_text(self.values)}"

    def render(self) -> str:
        return f"{self.key} in {_set_text(self.values)}"

    def prefixed(self, prefix: str) -> Node:
        return InNode(prefix + self.key, self.values)


@record
class NotInNode(LabelTest):
    values: tuple[str, ...]

    def holds(self, value: str | None) -> bool:
        return value is None or value not in self.values

    def why_not(self, labels: Mapping[str, str]) -> str:
        return f"label {self.key} is {labels.get(self.key)!r}, which {self.render()} excludes"

    def render(self) -> str:
        return f"{self.key} not in {_set_text(self.values)}"

    def prefixed(self, prefix: str) -> Node:
        return NotInNode(prefix + self.key, self.values)


class StringOp(Enum):
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"


@record
class StringNode(LabelTest):
    """`contains`, `starts with`, `ends with`: the label must be present."""

    op: StringOp
    value: str

    def holds(self, value: str | None) -> bool:
        if value is None:
            return False
        if self.op is StringOp.CONTAINS:
            return self.value in value
        if self.op is StringOp.STARTS_WITH:
            return value.startswith(self.value)
        return value.endswith(self.value)

    def why_not(self, labels: Mapping[str, str]) -> str:
        found = labels.get(self.key)
        if found is None:
            return f"{self._missing()} ({self.render()})"
        return f"label {self.key} is {found!r}, which does not {self.render().split(' ', 1)[1]}"

    def render(self) -> str:
        return f"{self.key} {self.op.value} {_quote(self.value)}"

    def prefixed(self, prefix: str) -> Node:
        return StringNode(prefix + self.key, self.op, self.value)


@record
class NotNode(Node):
    child: Node

    def evaluate3(self, labels: Mapping[str, str], unknown: Unknown) -> bool | None:
        found = self.child.evaluate3(labels, unknown)
        return None if found is None else not found

    def why_not(self, labels: Mapping[str, str]) -> str:
        return f"{self.child.render()} holds, and the selector negates it"

    def render(self) -> str:
        inner = self.child.render()
        return f"!({inner})" if self.child.compound else f"!{inner}"

    def prefixed(self, prefix: str) -> Node:
        return NotNode(self.child.prefixed(prefix))

    def keys(self) -> frozenset[str]:
        return self.child.keys()


@record
class AndNode(Node):
    children: tuple[Node, ...]

    def evaluate3(self, labels: Mapping[str, str], unknown: Unknown) -> bool | None:
        result: bool | None = True
        for child in self.children:
            found = child.evaluate3(labels, unknown)
            if found is False:
                return False
            if found is None:
                result = None
        return result

    def why_not(self, labels: Mapping[str, str]) -> str:
        for child in self.children:
            if not child.evaluate(labels):
                return child.why_not(labels)
        return "it matches"

    def render(self) -> str:
        return " && ".join(f"({c.render()})" if isinstance(c, OrNode) else c.render() for c in self.children)

    def prefixed(self, prefix: str) -> Node:
        return AndNode(tuple(c.prefixed(prefix) for c in self.children))

    def keys(self) -> frozenset[str]:
        return frozenset().union(*(c.keys() for c in self.children))

    @property
    def compound(self) -> bool:
        return True


@record
class OrNode(Node):
    children: tuple[Node, ...]

    def evaluate3(self, labels: Mapping[str, str], unknown: Unknown) -> bool | None:
        result: bool | None = False
        for child in self.children:
            found = child.evaluate3(labels, unknown)
            if found is True:
                return True
            if found is None:
                result = None
        return result

    def why_not(self, labels: Mapping[str, str]) -> str:
        return "none of its alternatives holds: " + "; ".join(c.why_not(labels) for c in self.children)

    def render(self) -> str:
        return " || ".join(c.render() for c in self.children)

    def prefixed(self, prefix: str) -> Node:
        return OrNode(tuple(c.prefixed(prefix) for c in self.children))

    def keys(self) -> frozenset[str]:
        return frozenset().union(*(c.keys() for c in self.children))

    @property
    def compound(self) -> bool:
        return True


def conjunction(*nodes: Node | None) -> Node:
    """The AND of the nodes given (None and all() left out); all() when nothing is left."""
    parts: list[Node] = []
    for node in nodes:
        if node is None or isinstance(node, AllNode):
            continue
        parts.extend(node.children if isinstance(node, AndNode) else (node,))
    if not parts:
        return AllNode()
    return parts[0] if len(parts) == 1 else AndNode(tuple(parts))


def replace_all_global(node: Node, for_all: Node, for_global: Node) -> Node:
    """`node` with all() and global() replaced, as libcalico-go rewrites a namespace selector."""
    if isinstance(node, AllNode):
        return for_all
    if isinstance(node, GlobalNode):
        return for_global
    if isinstance(node, NotNode):
        return NotNode(replace_all_global(node.child, for_all, for_global))
    if isinstance(node, AndNode):
        return AndNode(tuple(replace_all_global(c, for_all, for_global) for c in node.children))
    if isinstance(node, OrNode):
        return OrNode(tuple(replace_all_global(c, for_all, for_global) for c in node.children))
    return node


def namespace_scope(namespace_selector: Node, prefix: str = "pcns.") -> Node:
    """A rule's or policy's namespaceSelector as a test on endpoint labels (updateprocessors/rules.go):
    namespace labels are seen as `pcns.<key>`; all() means "any namespaced endpoint" and global()
    "no namespaced endpoint" (global network sets, host endpoints)."""
    scoped = namespace_selector.prefixed(prefix)
    return replace_all_global(scoped, HasNode(NAMESPACE_LABEL), NotNode(HasNode(NAMESPACE_LABEL)))


@record
class Selector:
    """A parsed selector and the text it was written as."""

    text: str
    root: Node

    def describe(self) -> str:
        return self.text.strip() or "all()"

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return self.root.evaluate(labels)


# -- tokenizer ----------------------------------------------------------------------------------------


class Tok(Enum):
    LABEL = "label"
    STRING = "string"
    LBRACE = "{"
    RBRACE = "}"
    COMMA = ","
    EQ = "=="
    NE = "!="
    IN = "in"
    NOT = "!"
    NOT_IN = "not in"
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    ALL = "all()"
    HAS = "has()"
    LPAREN = "("
    RPAREN = ")"
    AND = "&&"
    OR = "||"
    GLOBAL = "global()"
    EOF = "end of selector"


@record
class Token:
    kind: Tok
    value: str
    position: int

    def shown(self) -> str:
        if self.kind is Tok.LABEL:
            return f"label {self.value!r}"
        if self.kind is Tok.STRING:
            return f"string {_quote(self.value)}"
        if self.kind is Tok.EOF:
            return "the end of the selector"
        return repr(self.kind.value)


_SINGLE = {"(": Tok.LPAREN, ")": Tok.RPAREN, "{": Tok.LBRACE, "}": Tok.RBRACE, ",": Tok.COMMA}


def _identifier_char(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or ("0" <= c <= "9") or c in "_./-"


def _skip_blank(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _identifier(text: str, i: int) -> tuple[str, int]:
    end = i
    while end < len(text) and _identifier_char(text[end]):
        end += 1
    ident = text[i:end]
    if not ident:
        shown = repr(text[i]) if i < len(text) else "the end"
        raise SelectorError(f"expected a label name, found {shown}", i, text)
    if len(ident) > MAX_LABEL_LENGTH:
        raise SelectorError(f"label too long ({len(ident)} characters, at most {MAX_LABEL_LENGTH})", i, text)
    return ident, end


def _word(text: str, i: int, *words: str) -> int | None:
    """The end of `words` (blanks allowed between them) at `i` if they end on a word boundary."""
    for n, word in enumerate(words):
        if n:
            i = _skip_blank(text, i)
        if not text.startswith(word, i):
            return None
        i += len(word)
    if i < len(text) and _identifier_char(text[i]):
        return None
    return i


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while True:
        i = _skip_blank(text, i)
        if i >= len(text):
            tokens.append(Token(Tok.EOF, "", i))
            return tokens
        c = text[i]
        last = tokens[-1].kind if tokens else None
        if c in _SINGLE:
            tokens.append(Token(_SINGLE[c], c, i))
            i += 1
        elif c in "\"'":
            end = text.find(c, i + 1)
            if end < 0:
                raise SelectorError("unterminated string", i, text)
            tokens.append(Token(Tok.STRING, text[i + 1:end], i))
            i = end + 1
        elif c == "=":
            if not text.startswith("==", i):
                raise SelectorError("expected == (a single = is not an operator)", i, text)
            tokens.append(Token(Tok.EQ, "==", i))
            i += 2
        elif c == "!":
            if text.startswith("!=", i):
                tokens.append(Token(Tok.NE, "!=", i))
                i += 2
            else:
                tokens.append(Token(Tok.NOT, "!", i))
                i += 1
        elif c in "&|":
            pair = c * 2
            if not text.startswith(pair, i):
                raise SelectorError(f"expected {pair}", i, text)
            tokens.append(Token(Tok.AND if c == "&" else Tok.OR, pair, i))
            i += 2
        elif last is Tok.LABEL:
            # After a label, an operator word.
            for words, kind in ((("contains",), Tok.CONTAINS), (("starts", "with"), Tok.STARTS_WITH),
                                (("ends", "with"), Tok.ENDS_WITH), (("not", "in"), Tok.NOT_IN), (("in",), Tok.IN)):
                stop = _word(text, i, *words)
                if stop is not None:
                    tokens.append(Token(kind, " ".join(words), i))
                    i = stop
                    break
            else:
                raise SelectorError(f"expected an operator after label {tokens[-1].value!r} (==, !=, in, not in, "
                                    "contains, starts with, ends with)", i, text)
        elif text.startswith("has(", i):
            j = _skip_blank(text, i + 4)
            ident, j = _identifier(text, j)
            j = _skip_blank(text, j)
            if not text.startswith(")", j):
                raise SelectorError("no closing ')' after has(", j, text)
            tokens.append(Token(Tok.HAS, ident, i))
            i = j + 1
        elif text.startswith(("all(", "global("), i):
            kind = Tok.ALL if text.startswith("all(", i) else Tok.GLOBAL
            j = _skip_blank(text, text.index("(", i) + 1)
            if not text.startswith(")", j):
                raise SelectorError(f"no closing ')' after {kind.value[:-1]}", j, text)
            tokens.append(Token(kind, "", i))
            i = j + 1
        else:
            ident, end = _identifier(text, i)
            tokens.append(Token(Tok.LABEL, ident, i))
            i = end


# -- parser --------------------------------------------------------------------------------------------

_STRING_OPS = {Tok.CONTAINS: StringOp.CONTAINS, Tok.STARTS_WITH: StringOp.STARTS_WITH,
               Tok.ENDS_WITH: StringOp.ENDS_WITH}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.at = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def kind(self) -> Tok:
        return self.tokens[self.at].kind

    def fail(self, message: str, token: Token | None = None) -> SelectorError:
        token = token or self.token
        return SelectorError(message, token.position, self.text)

    def parse(self) -> Node:
        if self.kind() is Tok.EOF:
            return AllNode()
        node = self.or_expression()
        if self.kind() is not Tok.EOF:
            raise self.fail(f"unexpected {self.token.shown()} after a complete expression (missing && or ||?)")
        return node

    def or_expression(self) -> Node:
        nodes = [self.and_expression()]
        while self.kind() is Tok.OR:
            self.at += 1
            nodes.append(self.and_expression())
        return nodes[0] if len(nodes) == 1 else OrNode(tuple(nodes))

    def and_expression(self) -> Node:
        nodes = [self.operation()]
        while self.kind() is Tok.AND:
            self.at += 1
            nodes.append(self.operation())
        return nodes[0] if len(nodes) == 1 else AndNode(tuple(nodes))

    def operation(self) -> Node:
        negated = False
        while self.kind() is Tok.NOT:
            negated = not negated
            self.at += 1
        token = self.token
        node: Node
        if token.kind is Tok.HAS:
            node = HasNode(token.value)
            self.at += 1
        elif token.kind is Tok.ALL:
            node = AllNode()
            self.at += 1
        elif token.kind is Tok.GLOBAL:
            node = GlobalNode()
            self.at += 1
        elif token.kind is Tok.LPAREN:
            self.at += 1
            node = self.or_expression()
            if self.kind() is not Tok.RPAREN:
                raise self.fail(f"expected ) to close the ( at column {token.position + 1}, found {self.token.shown()}")
            self.at += 1
        elif token.kind is Tok.LABEL:
            node = self.comparison(token)
        elif token.kind is Tok.EOF:
            raise self.fail("unexpected end of selector: expected a label, has(), all(), global(), ! or (")
        else:
            raise self.fail(f"unexpected {token.shown()}: expected a label, has(), all(), global(), ! or (")
        return NotNode(node) if negated else node

    def comparison(self, label: Token) -> Node:
        self.at += 1
        op = self.token
        if op.kind is Tok.EOF:
            raise self.fail(f"unexpected end of selector after label {label.value!r}: expected an operator")
        self.at += 1
        if op.kind in (Tok.EQ, Tok.NE, *_STRING_OPS):
            value = self.token
            if value.kind is not Tok.STRING:
                raise self.fail(f"expected a quoted string after {op.kind.value!r}, found {value.shown()}")
            self.at += 1
            if op.kind is Tok.EQ:
                return EqNode(label.value, value.value)
            if op.kind is Tok.NE:
                return NeNode(label.value, value.value)
            return StringNode(label.value, _STRING_OPS[op.kind], value.value)
        if op.kind in (Tok.IN, Tok.NOT_IN):
            if self.kind() is not Tok.LBRACE:
                raise self.fail(f"expected a set literal {{...}} after {op.kind.value!r}, found {self.token.shown()}")
            self.at += 1
            values: list[str] = []
            while self.kind() is Tok.STRING:
                values.append(self.token.value)
                self.at += 1
                if self.kind() is not Tok.COMMA:
                    break
                self.at += 1
            if self.kind() is not Tok.RBRACE:
                raise self.fail(f"expected }} or a quoted string in the set, found {self.token.shown()}")
            self.at += 1
            unique = tuple(sorted(set(values)))
            return InNode(label.value, unique) if op.kind is Tok.IN else NotInNode(label.value, unique)
        raise self.fail(f"expected ==, !=, in, not in, contains, starts with or ends with after label "
                        f"{label.value!r}, found {op.shown()}", op)


def parse(text: str) -> Selector:
    """Parse a Calico selector; an empty one selects everything. Raises SelectorError."""
    return Selector(text, _Parser(text).parse())
