"""The network plugin's own policies in the explorer: listed in the Policies pane with what they select,
and opened at the deciding rule from a verdict (issues 11 and 12: "the YAML view marks the deciding rule")."""

from __future__ import annotations

from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.app import make_app
from kubenet_tui.ui.model import ExplorerModel
from kubenet_tui.ui.screens import PolicyScreen
from tests.ui.fakes import screen_text
from tests.ui.helpers import keys, wait_for_data


def test_cilium_policies_are_listed_with_their_namespace_and_select_their_pods() -> None:
    model = ExplorerModel(DemoSource("cilium").load())
    shop = {item.key: item for item in model.policies("shop")}
    assert "cilnp/shop/db-ingress" in shop and "ccnp/no-world-into-shop" in shop
    item = shop["cilnp/shop/db-ingress"]
    assert item.types == "I·" and item.selector == "endpointSelector app=db"
    assert [p.key for p in model.selected_pods(item)] == ["shop/db-0"]
    assert model.policy_for("CiliumNetworkPolicy", "shop", "db-ingress") is item
    assert model.namespace_summaries()[0].policies == len(model.policies(None))


def test_calico_policies_name_their_tier() -> None:
    model = ExplorerModel(DemoSource("calico").load())
    items = {item.key: item for item in model.policies(None)}
    gnp = items["gnp/security.block-threats"]
    assert gnp.tier == "tier security" and gnp.types != "??"
    assert "calnp/payments/payments/allow-card-processor" not in items  # one namespace, once
    assert any(key.startswith("calnp/payments/") for key in items)


async def test_a_cilium_deny_opens_at_its_rule() -> None:
    app = make_app(SourceSpec(demo="cilium", namespaces=("shop",)))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "/", "debug", "enter", "s", "/", "db", "enter", "d", "p", "5432", "enter", "v", "enter")
        screen = app.screen
        assert isinstance(screen, PolicyScreen) and screen.rule_lines is not None
        text = screen_text(app)
        assert "CiliumNetworkPolicy shop/db-ingress" in text and "deciding rule ingressDeny[0]" in text
        assert "│   - fromEndpoints:" in text  # the deny rule's lines are marked
