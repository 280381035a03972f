"""`check` from outside on the command line: the exit code covers every backend (0 all allowed, 1 some
blocked, 3 unknown or nothing receives it, 2 unusable input), JSON, the brief form, the optional
destination, and `--ingress-pods`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tiers.kit import namespace, pod

from kubenet_tui.cli import main
from outside.kit import cluster, ingress, ingress_class, path, rule, shop


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(("argv", "code"), [
    (["https://shop.example.com/"], 0),
    (["https://shop.example.com/cart"], 1),
    (["ingress/shop/shop"], 1),
    (["ingress/shop/shop", "shop/frontend"], 0),
    (["ingress/shop/shop", "svc/shop/cart"], 1),
    (["https://elsewhere.example/"], 3),
])
def test_exit_codes_cover_every_backend(capsys: pytest.CaptureFixture[str], argv: list[str], code: int) -> None:
    assert run(capsys, "check", *argv, "--demo")[0] == code


def test_json_and_brief(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "https://shop.example.com/cart", "--demo", "-o", "json")
    data = json.loads(out)
    assert code == 1 and data["schemaVersion"] == 2 and data["source"]["kind"] == "url"
    code, out, _ = run(capsys, "check", "https://shop.example.com/cart", "--demo", "-q")
    first, second = out.splitlines()
    assert first.startswith("✗ BLOCKED  https://shop.example.com/cart")
    assert second.startswith("ingress-nginx/ingress-nginx-controller-6d8f9c7b5-kq4zt → shop/cart: shop/cart is "
                             "isolated for ingress")


@pytest.mark.parametrize(("argv", "message"), [
    (["https://shop.example.com/", "--port", "80"], "the route decides the port"),
    (["shop/frontend"], "the destination is empty"),
    (["shop/frontend", "https://shop.example.com/"], "give it as the source"),
    (["https://shop.example.com/", "--ingress-pods", "x/a in ("], "--ingress-pods"),
    (["ingress/shop/nope"], "Ingress shop/nope not found (Ingresses there: shop)"),
    (["ftp://shop.example.com/"], None),
])
def test_unusable_input_is_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str | None) -> None:
    code, _, err = run(capsys, "check", *argv, "--demo")
    if message is None:  # not a URL: read as a pod name, which does not exist
        assert code == 2
        return
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_ingress_pods_names_an_unrecognised_controller(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    objects = [*shop(), ingress_class("edge", "example.com/edge"), namespace("ingress-nginx"),
               pod("ingress-nginx", "edge-1", "10.0.7.1", {"app": "edge"}),
               ingress("shop", "site", rule("a.example", path("/", "web", "http")), class_name="edge")]
    cluster(objects)  # loads cleanly
    manifest = tmp_path / "cluster.yaml"
    manifest.write_text(yaml.safe_dump_all(objects), encoding="utf-8")
    code, out, _ = run(capsys, "check", "https://a.example/", "-f", str(manifest))
    assert code == 3 and "--ingress-pods" in out
    code, out, _ = run(capsys, "check", "https://a.example/", "-f", str(manifest), "--ingress-pods",
                       "ingress-nginx/app=edge")
    assert code == 0, out
