"""deploy/kubernetes, checked offline (no cluster, no kustomize binary needed).

Every built-in resource is validated, strictly (unknown fields refused), against the Kubernetes
JSON schemas that the kubernetes-validate package bundles, for the oldest and the newest
Kubernetes version checked. Strimzi's resources (``Kafka``, ``KafkaNodePool``, ``KafkaTopic``)
are custom resources whose schemas that package does not have: they are checked for structure
only, by the assertions below. Then what no schema knows: the kustomizations list every file,
each service runs a command the CLI accepts and is probed on the port its settings give it,
every variable is one the settings read, names and labels point at what exists, and the topics
are the ones hookbus uses. Where ``kustomize`` or ``kubectl`` is installed, the base is also
built for real and the result validated again.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from services.dispatcher.main import DRAIN_SECONDS
from services.supervisor import SERVICES
from shared.settings import Settings
from shared.topics import Topic, physical, retry_topics
from tests.deploy.support import (
    REPO,
    load_yaml,
    served_service,
    service_port,
    settings_variables,
)

BASE = REPO / "deploy" / "kubernetes"
VERSIONS = ("1.30", kubernetes_validate.latest_version())
STRIMZI_API = "kafka.strimzi.io/v1beta2"
SCALED = {"router", "dispatcher"}


def _manifests() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, doc)
        for path in sorted(BASE.rglob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in load_yaml(path)
    ]


MANIFESTS = _manifests()


def _of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in MANIFESTS if doc["kind"] == kind]


def _named(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _of_kind(kind)}


def _built_in() -> list[Any]:
    return [
        pytest.param(doc, id=f"{path.relative_to(BASE)}:{doc['kind']}/{doc['metadata']['name']}")
        for path, doc in MANIFESTS
        if doc["apiVersion"] != STRIMZI_API
    ]


def _settings_env() -> dict[str, str]:
    [config] = _of_kind("ConfigMap")
    [secret] = _of_kind("Secret")
    return {**config["data"], **secret["stringData"]}


def _deployments() -> dict[str, dict[str, Any]]:
    """Each Deployment by the service its container serves."""
    found = {}
    for doc in _of_kind("Deployment"):
        [container] = doc["spec"]["template"]["spec"]["containers"]
        found[served_service(container["args"])] = doc
    return found


def test_the_kustomizations_list_every_file_once() -> None:
    listed: set[Path] = set()
    for kustomization in sorted(BASE.rglob("kustomization.yaml")):
        [document] = load_yaml(kustomization)
        assert document["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
        assert document["kind"] == "Kustomization"
        entries = document["resources"]
        assert len(entries) == len(set(entries)), kustomization
        for entry in entries:
            target = (kustomization.parent / entry).resolve()
            assert target.exists(), f"{kustomization}: {entry}"
            if target.is_dir():
                assert (target / "kustomization.yaml").exists(), target
            listed.add(target)
    everything = {p.resolve() for p in BASE.rglob("*.yaml") if p.name != "kustomization.yaml"}
    folders = {p.parent.resolve() for p in BASE.rglob("kustomization.yaml")} - {BASE.resolve()}
    assert everything | folders == listed


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("manifest", _built_in())
def test_each_manifest_follows_the_kubernetes_schema(
    manifest: dict[str, Any], version: str
) -> None:
    kubernetes_validate.validate(manifest, version, strict=True)


@pytest.mark.parametrize(
    ("path", "value"),
    [(("spec", "replicas"), "two"), (("spec", "template", "spec", "restartPolicyy"), "Always")],
    ids=["wrong type", "misspelt field"],
)
def test_the_schema_check_catches_mistakes(path: tuple[str, ...], value: Any) -> None:
    broken = copy.deepcopy(_of_kind("Deployment")[0])
    parent = broken
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_every_variable_is_one_the_settings_read() -> None:
    known = settings_variables()
    env = _settings_env()
    assert set(env) <= known
    settings = Settings.from_env(env)
    assert settings.http_host == "0.0.0.0"
    secrets = _named("Secret")
    configs = _named("ConfigMap")
    for doc in _of_kind("Deployment"):
        [container] = doc["spec"]["template"]["spec"]["containers"]
        assert {e["name"] for e in container["env"]} <= known
        for source in container["envFrom"]:
            assert source["configMapRef"]["name"] in configs
        for entry in container["env"]:
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secrets[ref["name"]]["stringData"]


def test_one_deployment_per_service_probed_on_its_own_port() -> None:
    deployments = _deployments()
    assert sorted(deployments) == sorted(SERVICES)
    settings = Settings.from_env(_settings_env())
    [kustomization] = load_yaml(BASE / "kustomization.yaml")
    images = {image["name"] for image in kustomization["images"]}
    for name, doc in deployments.items():
        pod = doc["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["image"] in images
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert ports == {"http": service_port(settings, name)}, name
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            assert container[probe]["httpGet"] == {"path": path, "port": "http"}, name
        assert container["startupProbe"]["httpGet"]["port"] == "http"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        scrape = doc["spec"]["template"]["metadata"]["annotations"]
        assert scrape == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(service_port(settings, name)),
            "prometheus.io/path": "/metrics",
        }, name
        grace = pod["terminationGracePeriodSeconds"]
        assert grace >= (DRAIN_SECONDS + 10 if name == "dispatcher" else 30), name


def test_services_select_their_deployments_and_the_ingress_finds_audit() -> None:
    deployments = _deployments()
    services = _named("Service")
    for doc in deployments.values():
        service = services[doc["metadata"]["name"]]
        labels = doc["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"] == doc["spec"]["selector"]["matchLabels"] == labels
        [container] = doc["spec"]["template"]["spec"]["containers"]
        [port] = service["spec"]["ports"]
        assert (
            port["targetPort"] == "http" and port["port"] == container["ports"][0]["containerPort"]
        )
    settings = Settings.from_env(_settings_env())
    audit = deployments["audit"]["metadata"]["name"]
    assert settings.audit_url == f"http://{audit}:{settings.audit_port}"


def test_router_and_dispatcher_autoscale_within_the_partitions() -> None:
    deployments = _deployments()
    settings = Settings.from_env(_settings_env())
    targets = {}
    for hpa in _of_kind("HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        [service] = [n for n, d in deployments.items() if d["metadata"]["name"] == ref["name"]]
        assert ref["kind"] == "Deployment"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= settings.partitions
        targets[service] = hpa
    assert set(targets) == SCALED
    for name in SCALED:  # the autoscaler owns the count; apply must not reset it
        assert "replicas" not in deployments[name]["spec"]


def test_strimzi_kafka_is_kraft_with_node_pools() -> None:
    [kafka] = _of_kind("Kafka")
    pools = _of_kind("KafkaNodePool")
    cluster = kafka["metadata"]["name"]
    assert all(d["apiVersion"] == STRIMZI_API for d in [kafka, *pools])
    assert "zookeeper" not in kafka["spec"]
    assert kafka["spec"]["kafka"]["version"].startswith("4.")
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["metadata"]["annotations"]["strimzi.io/node-pools"] == "enabled"
    roles = set()
    for pool in pools:
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert pool["spec"]["replicas"] >= 1 and pool["spec"]["storage"]["type"]
        roles |= set(pool["spec"]["roles"])
    assert roles == {"controller", "broker"}
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    config = kafka["spec"]["kafka"]["config"]
    assert config["min.insync.replicas"] < config["default.replication.factor"] <= brokers
    plain = [
        listener
        for listener in kafka["spec"]["kafka"]["listeners"]
        if not listener["tls"] and listener["type"] == "internal"
    ]
    settings = Settings.from_env(_settings_env())
    bootstraps = {f"{cluster}-kafka-bootstrap:{listener['port']}" for listener in plain}
    assert settings.kafka_bootstrap in bootstraps


def test_strimzi_topics_are_the_ones_hookbus_uses() -> None:
    [kafka] = _of_kind("Kafka")
    settings = Settings.from_env(_settings_env())
    topics = {}
    for topic in _of_kind("KafkaTopic"):
        assert topic["apiVersion"] == STRIMZI_API
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        spec = topic["spec"]
        assert spec["replicas"] > int(spec["config"]["min.insync.replicas"])
        topics[spec["topicName"]] = spec
    tiers = {physical(settings.topic_prefix, t) for t in retry_topics(settings.retry_schedule)}
    assert set(topics) == {physical(settings.topic_prefix, topic) for topic in Topic} | tiers
    for tier in tiers:  # as many as deliveries: the dispatcher's assignment relies on it
        assert topics[tier]["partitions"] == settings.partitions, tier
    for topic in Topic:
        spec = topics[physical(settings.topic_prefix, topic)]
        if topic is Topic.CONFIG:
            assert (spec["partitions"], spec["config"]["cleanup.policy"]) == (1, "compact")
        else:
            assert spec["partitions"] == settings.partitions, topic


def _kustomize() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def test_kustomize_builds_every_manifest_into_the_namespace() -> None:
    command = _kustomize()
    if command is None:
        pytest.skip(
            "neither kustomize nor kubectl is installed (the file listing is checked above)"
        )
    done = subprocess.run(
        [*command, str(BASE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    built = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    names = {(doc["kind"], doc["metadata"]["name"]) for doc in built}
    assert names == {(doc["kind"], doc["metadata"]["name"]) for _, doc in MANIFESTS}
    [kustomization] = load_yaml(BASE / "kustomization.yaml")
    [image] = kustomization["images"]
    for doc in built:
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "hookbus"
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == kustomization["namespace"]
        if doc["kind"] == "Deployment":
            [container] = doc["spec"]["template"]["spec"]["containers"]
            assert container["image"] == f"{image['name']}:{image['newTag']}"
        if doc["apiVersion"] != STRIMZI_API:
            kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)
