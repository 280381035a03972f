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


# --- requests from outside (issue 17): a URL as the source ---------------------------------------------


def test_a_url_source_is_a_question_of_its_own() -> None:
    from tests.ui.statekit import loaded, press

    state = loaded()
    press(state, "S", "https://shop.example.com/cart", "enter")
    assert state.connection.complete and state.connection.from_outside
    assert state.evaluation is not None and state.evaluation.status is not None
    assert state.evaluation.status.value == "blocked"
    press(state, "D", "https://shop.example.com/", "enter")  # never a destination
    assert state.flash.message is not None and "give it as the source" in state.flash.message.line
    press(state, "x")
    assert state.flash.message is not None and "cannot be a destination" in state.flash.message.line
    press(state, ":", "ingress-pods web/", "enter")
    assert state.flash.message is not None and "NAMESPACE/SELECTOR" in state.flash.message.line
    assert state.ingress_pods is None  # refused at once, with why
    press(state, ":", "ingress-pods ingress-nginx/app.kubernetes.io/name=ingress-nginx", "enter")
    assert state.ingress_pods == "ingress-nginx/app.kubernetes.io/name=ingress-nginx"


def test_an_ingress_named_by_an_answer_opens_as_yaml() -> None:
    from kubenet_tui.render.walkthrough import PolicyLink
    from kubenet_tui.ui.state.effects import ShowPolicy
    from tests.ui.statekit import loaded

    state = loaded()
    link = PolicyLink("Ingress", "shop", "shop", path=("spec", "rules", 0, "http", "paths", 1))
    state.open_policy(link)
    assert state.take().effects == [ShowPolicy(link)]
    assert state.model is not None
    item = state.model.policy_for("Ingress", "shop", "shop")
    assert item is not None and item.route
    from kubenet_tui.render.yaml_locate import locate, manifest_yaml

    assert link.path is not None and locate(manifest_yaml(item.manifest), link.path) is not None


async def test_a_url_blocked_at_a_backend_opens_the_rule_that_blocks_it() -> None:
    app = make_app(SourceSpec(demo="shop"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await keys(pilot, "S", "https://shop.example.com/cart", "enter")
        text = screen_text(app)
        assert "✗ BLOCKED" in text and "from https://shop.example.com/cart → every backend" in text
        assert "Ingress shop/shop" in text
        await keys(pilot, "v", "enter")
        screen = app.screen
        assert isinstance(screen, PolicyScreen)
        assert "cart-from-frontend" in screen_text(app)
