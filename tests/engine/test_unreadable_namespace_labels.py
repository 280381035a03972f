"""namespaceSelectors over a namespace whose labels could not be read (RBAC): unknown only when the
missing labels could change the answer.

The `kubernetes.io/metadata.name` label always exists and always equals the name, so any requirement on it
is decided even when the other labels are unreadable: a failing requirement on the name makes the whole
selector fail (its terms are ANDed), whatever the unreadable labels say.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.kit import check, load, namespace, netpol, pod
from kubenet_tui.engine.cluster import Cluster, Unreadable
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import NAMESPACE_NAME_LABEL


def world(selector: dict[str, Any]) -> Cluster:
    """prod/db admits only the namespaces `selector` picks; dev's Namespace object could not be read."""
    collector = load(
        namespace("prod"),
        pod("prod", "db", {"app": "db"}, ips=["10.0.0.1"]),
        pod("dev", "client", {"app": "client"}, ips=["10.0.1.1"]),
        netpol("prod", "from-selected", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": selector}]}]}),
    )
    collector.unreadable.append(Unreadable("namespaces", None, "namespaces is forbidden"))
    return collector.cluster()


@pytest.mark.parametrize(
    ("selector", "status"),
    [
        pytest.param({"matchLabels": {NAMESPACE_NAME_LABEL: "dev"}}, Status.ALLOWED, id="name-only-matches"),
        pytest.param({"matchLabels": {NAMESPACE_NAME_LABEL: "prod"}}, Status.BLOCKED, id="name-only-differs"),
        pytest.param({"matchLabels": {"team": "a"}}, Status.UNKNOWN, id="other-label-unknown"),
        pytest.param({"matchLabels": {NAMESPACE_NAME_LABEL: "dev", "team": "a"}}, Status.UNKNOWN,
                     id="name-matches-other-label-unknown"),
        pytest.param({"matchLabels": {NAMESPACE_NAME_LABEL: "prod", "team": "a"}}, Status.BLOCKED,
                     id="name-differs-so-other-labels-cannot-help"),
        pytest.param({"matchExpressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "NotIn", "values": ["dev"]},
                                           {"key": "team", "operator": "Exists"}]}, Status.BLOCKED,
                     id="name-excluded-so-other-expressions-cannot-help"),
    ],
)
def test_namespace_selector_over_unreadable_labels(selector: dict[str, Any], status: Status) -> None:
    assert check(world(selector), "dev/client", "prod/db", 80).status is status
