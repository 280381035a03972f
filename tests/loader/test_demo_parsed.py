"""The bundled demo is shipped parsed (kubenet_tui/demo/*.parsed.json, written by scripts/demo-parsed) so
that `--demo` needs no YAML parser: those documents must be exactly what the YAML says."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from kubenet_tui.sources.demo import DEMOS, DemoSource, demo_texts, parse_for_package, parsed_name, pre_parsed
from kubenet_tui.sources.files import parse_yaml_text
from kubenet_tui.sources.parse import ObjectCollector

FILES = sorted({file for name in DEMOS for file, _ in demo_texts(name)})


@pytest.mark.parametrize("file", FILES)
def test_the_shipped_documents_are_the_manifests_parsed_now(file: str) -> None:
    text = dict(text for name in DEMOS for text in demo_texts(name))[file]
    fresh = parse_for_package(file, text)
    assert pre_parsed(file, text) is not None, f"stale or missing: run scripts/demo-parsed after editing {file}"
    assert pre_parsed(file, text) == fresh["documents"], f"run scripts/demo-parsed after editing {file}"
    # JSON keeps everything the YAML held (no integer keys turned into strings, no dates)
    assert json.loads(json.dumps(fresh["documents"])) == fresh["documents"]


def test_a_manifest_edited_since_is_read_from_its_yaml() -> None:
    file, text = demo_texts()[0]
    assert pre_parsed(file, text + "\n# edited\n") is None
    assert pre_parsed("nothing-shipped.yaml", text) is None


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_the_demo_loads_as_its_yaml_reads(name: str) -> None:
    from_yaml = ObjectCollector()
    for file, text in demo_texts(name):
        parse_yaml_text(text, f"demo/{file}", from_yaml)
    snapshot = DemoSource(name).load()
    cluster = snapshot.cluster
    assert list(snapshot.problems) == from_yaml.problems == []
    assert {pod.key: pod for pod in cluster.pods} == from_yaml.pods
    assert set(cluster.network_policies) == set(from_yaml.network_policies.values())
    assert {svc.key: svc for svc in cluster.services} == from_yaml.services


def test_the_parsed_files_are_package_data() -> None:
    package = resources.files("kubenet_tui.demo")
    assert all(package.joinpath(parsed_name(file)).is_file() for file in FILES)


@pytest.mark.parametrize("stored", ["[]", "not json", '{"checksum": 0}', '{"checksum": CHECK, "documents": 5}',
                                    '{"checksum": CHECK, "documents": [[1, 2]]}', OSError("permission denied")])
def test_a_damaged_parsed_file_is_read_as_its_yaml(stored: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubenet_tui.sources import demo

    file, text = demo_texts()[0]
    real_read = demo._read

    def read(name: str) -> str:
        if name != parsed_name(file):
            return real_read(name)
        if isinstance(stored, Exception):
            raise stored
        return str(stored).replace("CHECK", str(demo.text_checksum(text)))

    monkeypatch.setattr(demo, "_read", read)
    assert pre_parsed(file, text) is None
    assert DemoSource().load().cluster.pods  # read from the YAML instead
