"""Manifest formats and sources: single objects, `kind: List`, `*List` kinds, multi-document YAML, JSON,
recursive directories, stdin, and syntax errors that spoil only their own document or file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from engine.kit import check, netpol, xyz_objects

from kubenet_tui.sources.base import Snapshot, SourceError
from kubenet_tui.sources.files import FileSource
from kubenet_tui.sources.parse import ObjectCollector

NAMESPACE_A = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
POD_A = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec:
  containers:
  - name: web
    image: nginx
    ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]
status: {phase: Running, podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]}
"""
POLICY_A = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: a}
spec: {podSelector: {}}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_paths(*paths: Path | str, stdin: str | None = None) -> Snapshot:
    return FileSource([str(p) for p in paths], stdin_text=(lambda: stdin) if stdin is not None else None).load()


def test_single_object_file_with_every_pod_field(tmp_path: Path) -> None:
    snap = load_paths(write(tmp_path / "pod.yaml", POD_A))
    assert snap.problems == ()
    (pod,) = snap.cluster.pods
    assert (pod.namespace, pod.name, dict(pod.labels)) == ("a", "web", {"app": "web"})
    assert [str(ip) for ip in pod.ips] == ["10.0.0.1", "fd00::1"]
    assert [(p.name, p.port, p.protocol.value) for p in pod.ports] == [("http", 8080, "TCP"), ("dns", 53, "UDP")]


def test_multi_document_yaml(tmp_path: Path) -> None:
    snap = load_paths(write(tmp_path / "all.yaml", "---\n".join([NAMESPACE_A, POD_A, POLICY_A])))
    assert snap.problems == ()
    assert [n.name for n in snap.cluster.namespaces] == ["a"]
    assert [p.key for p in snap.cluster.pods] == ["a/web"]
    assert [p.key for p in snap.cluster.network_policies] == ["a/deny"]


def test_kind_list_as_printed_by_kubectl_get(tmp_path: Path) -> None:
    items = [yaml.safe_load(t) for t in (NAMESPACE_A, POD_A, POLICY_A)]
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
    snap = load_paths(write(tmp_path / "list.yaml", text))
    assert snap.problems == ()
    assert (len(snap.cluster.namespaces), len(snap.cluster.pods), len(snap.cluster.network_policies)) == (1, 1, 1)


@pytest.mark.parametrize(("list_kind", "item_text"), [("PodList", POD_A), ("NetworkPolicyList", POLICY_A),
                                                        ("NamespaceList", NAMESPACE_A)])
def test_typed_list_kinds_whose_items_omit_kind(tmp_path: Path, list_kind: str, item_text: str) -> None:
    item = yaml.safe_load(item_text)
    del item["kind"], item["apiVersion"]  # typed lists from the API omit them on the items
    text = yaml.safe_dump({"apiVersion": "v1", "kind": list_kind, "items": [item]})
    snap = load_paths(write(tmp_path / "typed.yaml", text))
    assert snap.problems == ()
    loaded = {"PodList": snap.cluster.pods, "NetworkPolicyList": snap.cluster.network_policies,
              "NamespaceList": snap.cluster.namespaces}[list_kind]
    assert len(loaded) == 1


def test_json_file_and_json_list(tmp_path: Path) -> None:
    single = write(tmp_path / "ns.json", json.dumps(yaml.safe_load(NAMESPACE_A)))
    listed = write(tmp_path / "more.json", json.dumps({"kind": "List", "items": [yaml.safe_load(POD_A),
                                                                                 yaml.safe_load(POLICY_A)]}))
    snap = load_paths(single, listed)
    assert snap.problems == ()
    assert (len(snap.cluster.namespaces), len(snap.cluster.pods), len(snap.cluster.network_policies)) == (1, 1, 1)


def test_json_with_a_yaml_suffix_is_read_too(tmp_path: Path) -> None:
    snap = load_paths(write(tmp_path / "ns.yaml", json.dumps(yaml.safe_load(NAMESPACE_A), indent=2)))
    assert [n.name for n in snap.cluster.namespaces] == ["a"]


def test_directory_is_read_recursively_and_only_manifest_suffixes(tmp_path: Path) -> None:
    write(tmp_path / "ns.yaml", NAMESPACE_A)
    write(tmp_path / "apps" / "web" / "pod.yml", POD_A)
    write(tmp_path / "policies" / "deny.json", json.dumps(yaml.safe_load(POLICY_A)))
    write(tmp_path / "README.md", "kind: Namespace\nmetadata: {name: not-a-manifest}\n")
    write(tmp_path / "notes.txt", "kind: Namespace\nmetadata: {name: nor-this}\n")
    snap = load_paths(tmp_path)
    assert snap.problems == ()
    assert [n.name for n in snap.cluster.namespaces] == ["a"]
    assert [p.key for p in snap.cluster.pods] == ["a/web"]
    assert [p.key for p in snap.cluster.network_policies] == ["a/deny"]


def test_repeated_paths_and_files_combine(tmp_path: Path) -> None:
    snap = load_paths(write(tmp_path / "1.yaml", NAMESPACE_A), write(tmp_path / "2.yaml", POD_A))
    assert len(snap.cluster.namespaces) == 1 and len(snap.cluster.pods) == 1


@pytest.mark.parametrize("as_json", [False, True], ids=["yaml", "json"])
def test_stdin_dash(as_json: bool) -> None:
    text = "---\n".join([NAMESPACE_A, POD_A, POLICY_A])
    if as_json:
        text = json.dumps({"kind": "List", "items": list(yaml.safe_load_all(text))})
    snap = load_paths("-", stdin=text)
    assert snap.problems == ()
    assert [p.key for p in snap.cluster.pods] == ["a/web"]
    # the policy from stdin is evaluated: a/web is isolated for ingress
    assert check(snap.cluster, "10.9.9.9", "a/web", 80).allowed is False


def test_stdin_is_read_once_even_when_loaded_twice() -> None:
    reads = []

    def stdin() -> str:
        reads.append(1)
        return NAMESPACE_A

    source = FileSource(["-"], stdin_text=stdin)
    assert len(source.load().cluster.namespaces) == 1
    assert len(source.load().cluster.namespaces) == 1
    assert len(reads) == 1


def test_missing_path_is_a_source_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\.yaml"):
        load_paths(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_file_and_line_and_other_documents_load(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: good1}\n"        # lines 1-3
        "---\n"                                                              # line 4
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: broken\n"     # lines 5-8
        "   labels: {a: b}\n"                                                # line 9: bad indentation
        "---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: good2}\n"
    )
    path = write(tmp_path / "mixed.yaml", text)
    snap = load_paths(path, write(tmp_path / "z-other.yaml", POD_A))
    assert [n.name for n in snap.cluster.namespaces] == ["good1", "good2"]
    assert [p.key for p in snap.cluster.pods] == ["a/web"]  # the other file loads too
    (problem,) = snap.problems
    assert problem.severity == "error"
    assert problem.origin == f"{path}:9"
    assert "YAML" in problem.message


def test_json_syntax_error_names_file_and_line_and_other_files_load(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", '{\n  "kind": "Namespace",\n  "metadata": {"name": "x"\n}\n')
    snap = load_paths(bad, write(tmp_path / "good.yaml", NAMESPACE_A))
    assert [n.name for n in snap.cluster.namespaces] == ["a"]
    (problem,) = snap.problems
    assert problem.origin.startswith(f"{bad}:") and "JSON" in problem.message


def test_undecodable_file_is_a_problem_and_other_files_load(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"kind: Namespace\nmetadata: {name: caf\xe9}\n")
    snap = load_paths(bad, write(tmp_path / "good.yaml", NAMESPACE_A))
    assert [n.name for n in snap.cluster.namespaces] == ["a"]
    assert [p.origin for p in snap.problems] == [str(bad)]


def test_origins_point_at_the_document_and_list_item_lines(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"    # line 1
        "---\n"
        "apiVersion: v1\n"                                            # line 5
        "kind: List\n"
        "items:\n"
        "- {kind: Namespace, metadata: {name: b}}\n"                  # line 8
        "- kind: NetworkPolicy\n"                                     # line 9
        "  metadata: {name: bad, namespace: b}\n"
        "  spec: {podSelector: {matchExpressions: [{key: k, operator: Exists, values: [v]}]}}\n"
    )
    path = write(tmp_path / "lines.yaml", text)
    snap = load_paths(path)
    (problem,) = snap.problems
    assert problem.origin == f"{path}:9"
    assert (problem.kind, problem.namespace, problem.name) == ("NetworkPolicy", "b", "bad")
    assert [n.name for n in snap.cluster.namespaces] == ["a", "b"]


def test_policy_origin_is_recorded_for_display(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", NAMESPACE_A + "---\n" + POLICY_A)
    (policy,) = load_paths(path).cluster.network_policies
    assert policy.origin == f"{path}:5"
    assert json.loads(policy.manifest)["metadata"]["name"] == "deny"


def test_collector_builds_the_same_cluster_as_files(tmp_path: Path) -> None:
    objects = [*xyz_objects(), netpol("x", "deny", {"podSelector": {}})]
    collector = ObjectCollector()
    collector.add_many(objects, "mem")
    path = write(tmp_path / "world.yaml", yaml.safe_dump_all(objects))
    from_file = load_paths(path).cluster
    assert collector.cluster().pods == from_file.pods
    assert collector.cluster().network_policies == from_file.network_policies
    assert collector.cluster().namespaces == from_file.namespaces


def test_yaml_directive_before_the_first_document_is_valid(tmp_path: Path) -> None:
    snap = load_paths(write(tmp_path / "directive.yaml", "%YAML 1.1\n---\n" + NAMESPACE_A))
    assert [n.name for n in snap.cluster.namespaces] == ["a"]
    assert snap.problems == ()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(NAMESPACE_A.replace("\n", "\r\n") + "---\r\n" + POD_A.replace("\n", "\r\n"), id="crlf"),
        pytest.param("\ufeff" + NAMESPACE_A + "---\n" + POD_A, id="utf8-bom"),
        pytest.param(NAMESPACE_A + "...\n---\n" + POD_A, id="document-end-marker"),
        pytest.param("--- !!map\n" + NAMESPACE_A + "--- " + json.dumps(yaml.safe_load(POD_A)) + "\n", id="inline-after-marker"),
        pytest.param(NAMESPACE_A.replace("metadata: {name: a}", "metadata:\n  name: a\n  annotations:\n"
                                         "    note: |\n      first\n      ---\n      last")
                     + "---\n" + POD_A, id="dashes-inside-a-block-scalar"),
    ],
)
def test_yaml_spellings_of_the_same_two_documents(tmp_path: Path, text: str) -> None:
    snap = load_paths(write(tmp_path / "docs.yaml", text))
    assert snap.problems == ()
    assert [n.name for n in snap.cluster.namespaces] == ["a"]
    assert [p.key for p in snap.cluster.pods] == ["a/web"]
