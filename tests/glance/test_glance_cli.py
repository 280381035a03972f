"""The glance commands end to end: `lint` (text, JSON, SARIF, exit codes), `coverage`, `exposure`, and
`matrix -o heatmap|dot|mermaid`.

SARIF is checked against the structure the SARIF 2.1.0 schema requires of every object the output
uses (required properties, types, enumerations, and no property the schema does not define there):
the schema file itself is too large to vendor here, so the parts that apply are written out below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from engine.kit import namespace, netpol, pod

from kubenet_tui.cli import main

# -- SARIF 2.1.0 (docs.oasis-open.org/sarif/sarif/v2.1.0): what the schema says of each object used ------

# object -> (required properties, properties the schema defines for it)
SARIF_OBJECTS: dict[str, tuple[set[str], set[str]]] = {
    "sarifLog": ({"version", "runs"}, {"$schema", "version", "runs", "inlineExternalProperties", "properties"}),
    "run": ({"tool"}, {"tool", "invocations", "conversion", "language", "versionControlProvenance",
                       "originalUriBaseIds", "artifacts", "logicalLocations", "graphs", "results", "automationDetails",
                       "runAggregates", "baselineGuid", "redactionTokens", "defaultEncoding", "defaultSourceLanguage",
                       "newlineSequences", "columnKind", "externalPropertyFileReferences", "threadFlowLocations",
                       "taxonomies", "addresses", "translations", "policies", "webRequests", "webResponses",
                       "specialLocations", "properties"}),
    "tool": ({"driver"}, {"driver", "extensions", "properties"}),
    "toolComponent": ({"name"}, {"guid", "name", "organization", "product", "productSuite", "shortDescription",
                                 "fullDescription", "fullName", "version", "semanticVersion", "dottedQuadFileVersion",
                                 "releaseDateUtc", "downloadUri", "informationUri", "globalMessageStrings",
                                 "notifications", "rules", "taxa", "locations", "language", "contents",
                                 "isComprehensive", "localizedDataSemanticVersion", "minimumRequiredLocalizedDataSemanticVersion",
                                 "associatedComponent", "translationMetadata", "supportedTaxonomies", "properties"}),
    "reportingDescriptor": ({"id"}, {"id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames",
                                     "shortDescription", "fullDescription", "messageStrings",
                                     "defaultConfiguration", "helpUri", "help", "relationships", "properties"}),
    "multiformatMessageString": ({"text"}, {"text", "markdown", "properties"}),
    "result": ({"message"}, {"ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations",
                             "guid", "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints",
                             "stacks", "codeFlows", "graphs", "graphTraversals", "relatedLocations", "suppressions",
                             "baselineState", "rank", "attachments", "hostedViewerUri", "workItemUris", "provenance",
                             "fixes", "taxa", "webRequest", "webResponse", "properties"}),
    "message": (set(), {"text", "markdown", "id", "arguments", "properties"}),
    "location": (set(), {"id", "physicalLocation", "logicalLocations", "message", "annotations", "relationships",
                          "properties"}),
    "physicalLocation": (set(), {"address", "artifactLocation", "region", "contextRegion", "properties"}),
    "artifactLocation": (set(), {"uri", "uriBaseId", "index", "description", "properties"}),
    "region": (set(), {"startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength", "byteOffset",
                       "byteLength", "snippet", "message", "sourceLanguage", "properties"}),
    "logicalLocation": (set(), {"name", "index", "fullyQualifiedName", "decoratedName", "parentIndex", "kind",
                                "properties"}),
}
LEVELS = {"none", "note", "warning", "error"}


def _object(value: Any, kind: str) -> dict[str, Any]:
    assert isinstance(value, dict), f"{kind} must be an object"
    required, defined = SARIF_OBJECTS[kind]
    assert required <= value.keys(), f"{kind} lacks {required - value.keys()}"
    assert value.keys() <= defined, f"{kind} has properties the schema does not define: {value.keys() - defined}"
    return value


def _text(value: Any, kind: str = "multiformatMessageString") -> None:
    obj = _object(value, kind)
    if kind == "message":  # anyOf: text, or id
        assert "text" in obj or "id" in obj
    assert isinstance(obj.get("text", ""), str)


def validate_sarif(log: Any) -> None:
    log = _object(log, "sarifLog")
    assert log["version"] == "2.1.0"
    assert isinstance(log.get("$schema", ""), str)
    assert isinstance(log["runs"], list)
    for run in log["runs"]:
        run = _object(run, "run")
        driver = _object(_object(run["tool"], "tool")["driver"], "toolComponent")
        assert isinstance(driver["name"], str) and isinstance(driver.get("version", ""), str)
        rules = driver.get("rules", [])
        ids = []
        for rule in rules:
            rule = _object(rule, "reportingDescriptor")
            assert isinstance(rule["id"], str)
            ids.append(rule["id"])
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    _text(rule[key])
        assert len(ids) == len(set(ids)), "rule ids must be unique"
        for result in run.get("results", []):
            result = _object(result, "result")
            _text(result["message"], "message")
            assert result.get("level", "warning") in LEVELS
            index = result.get("ruleIndex", -1)
            assert isinstance(index, int) and index >= -1
            if index >= 0:  # the rule it points at is the rule it names
                assert ids[index] == result["ruleId"]
            assert all(isinstance(v, str) for v in result.get("partialFingerprints", {}).values())
            for location in result.get("locations", []):
                location = _object(location, "location")
                if "message" in location:
                    _text(location["message"], "message")
                for logical in location.get("logicalLocations", []):
                    _object(logical, "logicalLocation")
                if "physicalLocation" in location:
                    physical = _object(location["physicalLocation"], "physicalLocation")
                    assert "address" in physical or "artifactLocation" in physical
                    artifact = _object(physical["artifactLocation"], "artifactLocation")
                    assert isinstance(artifact["uri"], str) and not re.match(r"^\w:\\", artifact["uri"])
                    region = _object(physical.get("region", {}), "region")
                    assert isinstance(region.get("startLine", 1), int) and region.get("startLine", 1) >= 1


# -- helpers --------------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def write_manifests(tmp_path: Path, *objects: dict[str, Any]) -> Path:
    import yaml

    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False), encoding="utf-8")
    return path


BROKEN = [
    namespace("shop", {"team": "shop"}),
    pod("shop", "web", {"app": "web"}, ips=["10.0.1.1"]),
    pod("shop", "db", {"app": "db"}, ips=["10.0.1.2"]),
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "order"},
     "spec": {"priority": 1, "subject": {"namespaces": {}}, "egress": [
         {"name": "deny", "action": "Deny", "to": [{"namespaces": {}}]},
         {"name": "allow", "action": "Allow", "to": [{"namespaces": {"matchLabels": {"team": "shop"}}}]}]}},
    netpol("shop", "typo", {"podSelector": {"matchLabels": {"app": "wbe"}}, "policyTypes": ["Ingress"]}),
]


# -- lint -----------------------------------------------------------------------------------------------


def test_sarif_of_the_demo_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "lint", "--demo", "-o", "sarif")
    log = json.loads(out)
    validate_sarif(log)
    assert code == 0  # the demo has warnings only
    results = log["runs"][0]["results"]
    assert results and all(r["level"] in ("warning", "note") for r in results)


def test_sarif_points_at_the_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_manifests(tmp_path, *BROKEN)
    code, out = run(capsys, "lint", "-f", str(path), "-o", "sarif")
    log = json.loads(out)
    validate_sarif(log)
    assert code == 1  # the admin Allow rule can never apply: an error
    lines = path.read_text(encoding="utf-8").splitlines()
    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    shadowed = by_rule["shadowed-rule"]
    assert shadowed["level"] == "error"
    where = shadowed["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"].endswith("cluster.yaml")
    # The line of egress[1] itself, not just the object's first line.
    assert "name: allow" in lines[where["region"]["startLine"] - 1] or "action: Allow" in lines[
        where["region"]["startLine"] - 1]
    assert shadowed["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "AdminNetworkPolicy/order/spec.egress[1]"
    typo = by_rule["selects-no-pod"]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert "podSelector" in lines[typo - 1]


def test_lint_exit_codes_and_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_manifests(tmp_path, *BROKEN)
    assert run(capsys, "lint", "-f", str(path))[0] == 1
    assert run(capsys, "lint", "-f", str(path), "--fail-on", "never")[0] == 0
    clean = write_manifests(tmp_path, *BROKEN[:4])  # the error stays
    assert run(capsys, "lint", "-f", str(clean))[0] == 1
    only_warnings = write_manifests(tmp_path, *BROKEN[:3], BROKEN[4])
    assert run(capsys, "lint", "-f", str(only_warnings))[0] == 0
    assert run(capsys, "lint", "-f", str(only_warnings), "--fail-on", "warning")[0] == 1


def test_lint_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_manifests(tmp_path, *BROKEN)
    _, text = run(capsys, "lint", "-f", str(path))
    assert "✗ error: AdminNetworkPolicy order spec.egress[1]" in text
    assert "shadowed-rule: egress rule 1 (Allow) never applies" in text
    assert text.rstrip().splitlines()[-1].startswith("3 findings: 1 error, 2 warnings")
    _, out = run(capsys, "lint", "-f", str(path), "-o", "json")
    data = json.loads(out)
    assert data["summary"] == {"error": 1, "warning": 2, "note": 0}
    first = data["findings"][0]
    assert first["object"] == {"kind": "AdminNetworkPolicy", "namespace": None, "name": "order"}
    assert first["path"] == "spec.egress[1]" and first["severity"] == "error" and first["line"] >= 1


def test_lint_namespace_scope(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_manifests(tmp_path, *BROKEN, namespace("other"), netpol("other", "x", {
        "podSelector": {"matchLabels": {"a": "b"}}}))
    _, out = run(capsys, "lint", "-f", str(path), "-n", "other", "-o", "json")
    keys = {(f["object"]["namespace"], f["object"]["name"]) for f in json.loads(out)["findings"]}
    assert ("other", "x") in keys and ("shop", "typo") not in keys
    assert (None, "order") in keys  # cluster-scoped objects are always linted


# -- coverage and exposure ----------------------------------------------------------------------------


def test_coverage_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "coverage", "--demo")
    assert code == 0
    overall = next(line for line in text.splitlines() if line.startswith("overall"))
    # ingress-nginx's controller is the fourth pod no policy isolates.
    assert overall.split()[1:10] == ["16", "5", "3", "0", "4", "0", "67%", "2", "2"]
    code, out = run(capsys, "coverage", "--demo", "-o", "json", "-n", "shop")
    data = json.loads(out)
    assert [ns["namespace"] for ns in data["namespaces"]] == ["shop"]
    shop = data["namespaces"][0]
    assert shop["counts"]["both"] == 1 and shop["counts"]["ingress"] == 2 and shop["counts"]["not-running"] == 2


def test_exposure_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "exposure", "--demo")
    assert code == 0
    assert re.search(r"shop/db\s+6379/TCP \(redis\)\s+◐ some: 172\.17\.0\.0/24", text)
    assert "host network, not enforceable" in text
    _, out = run(capsys, "exposure", "--demo", "-o", "json")
    data = json.loads(out)
    vault = next(p for p in data["ports"] if p["pod"] == "vault/vault-0")
    assert vault["outside"] == {"reach": "all", "ranges": ["0.0.0.0/0", "::/0"], "unknownRanges": []}
    assert "vault/vault-0" in data["summary"]["outsideAll"]


def test_unknown_namespace_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--demo", "-n", "nope"]) == 2
    assert "namespace(s) not found: nope" in capsys.readouterr().err


# -- matrix at namespace level -------------------------------------------------------------------------


def test_matrix_dot_and_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    code, dot = run(capsys, "matrix", "--demo", "--port", "80", "-o", "dot")
    assert code == 0
    assert dot.splitlines()[2] == "digraph namespaces {" and dot.rstrip().endswith("}")
    assert '  "kube-system" -> "monitoring" [label="all 6/6", style=solid];' in dot
    assert '  "shop" -> "shop" [label="some 3/9", style=dashed];' in dot
    assert '"payments" -> "vault"' not in dot  # nothing allowed: no edge
    _, mermaid = run(capsys, "matrix", "--demo", "--port", "80", "-o", "mermaid")
    assert mermaid.splitlines()[2] == "flowchart LR"
    assert '  n4 -.->|"some 3/9"| n4' in mermaid and '  n1 -->|"all 9/9"| n1' in mermaid


def test_matrix_heatmap_matches_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    _, summary = run(capsys, "matrix", "--demo", "--port", "80", "-o", "summary")
    allowed = sum(int(line.split()[2]) for line in summary.splitlines()[2:])
    _, grid = run(capsys, "matrix", "--demo", "--port", "80", "-o", "heatmap")
    assert grid.rstrip().splitlines()[-1] == f"{allowed} of 196 pod pairs allowed"


# -- --help ---------------------------------------------------------------------------------------------

SOURCES = {"-f", "--demo", "--cni", "--kubeconfig", "--context", "--request-timeout", "-n", "-A"}
HELP = {
    "coverage": {"-h", "-o"} | SOURCES,
    "exposure": {"-h", "-o", "--all"} | SOURCES,
    "lint": {"-h", "-o", "--fail-on"} | SOURCES,
}


@pytest.mark.parametrize("command", list(HELP))
def test_each_command_takes_the_usual_source_flags(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    options = re.findall(r"(?m)^  (-{1,2}[A-Za-z][\w-]*)", capsys.readouterr().out)
    assert len(options) == len(set(options)) and set(options) == HELP[command]


def test_source_flags_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--demo", "lint", "-o", "json")
    assert code == 0 and json.loads(out)["summary"]["warning"] == 1
