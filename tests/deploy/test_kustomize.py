"""Every overlay renders, validates against the Kubernetes schemas and holds what the services need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from tests.deploy._support import DEPLOY, OVERLAYS, render, run_tool
from vaxel_client_tenant.settings import ClientTenantSettings
from vaxel_common.topics import AGENT_EVENTS, ALL_TOPICS, EXTERNAL, INTERACTION_EVENTS, TENANT_CONFIG
from vaxel_conversation.settings import ConversationSettings
from vaxel_integrations.settings import IntegrationsSettings
from vaxel_interaction_log.settings import InteractionLogSettings
from vaxel_routing.settings import RoutingSettings
from vaxel_sla.settings import SlaSettings

Resource = dict[str, Any]

# Custom resources: kubernetes-validate bundles only the built-in schemas, so these kinds (and only these)
# are left out of its run; the tests below check the parts of them that matter.
CUSTOM_KINDS = frozenset(
    {
        ("kafka.strimzi.io", "Kafka"),
        ("kafka.strimzi.io", "KafkaNodePool"),
        ("kafka.strimzi.io", "KafkaTopic"),
        ("kafka.strimzi.io", "KafkaUser"),
        ("monitoring.coreos.com", "ServiceMonitor"),
        ("monitoring.coreos.com", "PrometheusRule"),
    }
)
# The oldest and newest Kubernetes minor versions the manifests are checked against.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")

# service -> (module run by `python -m`, settings class, environment prefix)
SERVICES: dict[str, tuple[str, type[BaseSettings], str]] = {
    "client-tenant": ("vaxel_client_tenant", ClientTenantSettings, "VAXEL_CLIENT_TENANT_"),
    "routing": ("vaxel_routing", RoutingSettings, "VAXEL_ROUTING_"),
    "interaction-log": ("vaxel_interaction_log", InteractionLogSettings, "VAXEL_INTERACTION_LOG_"),
    "sla": ("vaxel_sla", SlaSettings, "VAXEL_SLA_"),
    "integrations": ("vaxel_integrations", IntegrationsSettings, "VAXEL_INTEGRATIONS_"),
    "conversation": ("vaxel_conversation", ConversationSettings, "VAXEL_CONVERSATION_"),
}
# prod: the TLS + SCRAM listener; dev: the plain one.
KAFKA_BOOTSTRAP = {"dev": "vaxel-kafka-bootstrap:9092", "prod": "vaxel-kafka-bootstrap:9093"}
GRPC_PORT = 50051
METRICS_PORT = 9100


def _group(resource: Resource) -> str:
    api_version = str(resource["apiVersion"])
    return api_version.split("/", maxsplit=1)[0] if "/" in api_version else ""


def _of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def _one(resources: list[Resource], kind: str, name: str) -> Resource:
    found = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _container(deployment: Resource) -> Resource:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    container: Resource = containers[0]
    return container


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Resource]]:
    name: str = request.param
    return name, render(name)


class TestSchemas:
    def test_built_in_kinds_pass_kubernetes_validate_strict(
        self, overlay: tuple[str, list[Resource]], tmp_path: Path
    ) -> None:
        name, resources = overlay
        core = [r for r in resources if (_group(r), r["kind"]) not in CUSTOM_KINDS]
        rendered = tmp_path / f"{name}.yaml"
        rendered.write_text(yaml.safe_dump_all(core), encoding="utf-8")
        versions = [arg for version in KUBERNETES_VERSIONS for arg in ("-k", version)]
        result = run_tool("kubernetes-validate", "--strict", "--quiet", *versions, str(rendered))
        # A WARN is a kind without a schema: only the declared custom kinds may lack one.
        assert result.returncode == 0, result.stdout + result.stderr
        assert "WARN" not in result.stdout, result.stdout

    def test_only_the_declared_custom_kinds_are_left_to_these_tests(
        self, overlay: tuple[str, list[Resource]]
    ) -> None:
        _, resources = overlay
        custom = {(_group(r), r["kind"]) for r in resources if "." in _group(r)}
        built_in = {"apps", "policy", "autoscaling", "networking.k8s.io"}
        assert {kind for kind in custom if kind[0] not in built_in} <= CUSTOM_KINDS


class TestServices:
    @pytest.mark.parametrize("service", SERVICES)
    def test_service_has_its_deployment_service_account_and_monitor(
        self, overlay: tuple[str, list[Resource]], service: str
    ) -> None:
        _, resources = overlay
        name = f"vaxel-{service}"
        deployment = _one(resources, "Deployment", name)
        svc = _one(resources, "Service", name)
        _one(resources, "ServiceAccount", name)
        monitor = _one(resources, "ServiceMonitor", name)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert svc["spec"]["selector"].items() <= pod_labels.items()
        assert monitor["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
        ports = {p["name"]: p["port"] for p in svc["spec"]["ports"]}
        assert ports == {"grpc": GRPC_PORT, "metrics": METRICS_PORT}
        endpoints = monitor["spec"]["endpoints"]
        assert [(e["port"], e["path"], e["honorLabels"]) for e in endpoints] == [
            ("metrics", "/metrics", True)
        ]
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == name

    @pytest.mark.parametrize("service", SERVICES)
    def test_container_runs_the_service_with_its_settings(
        self, overlay: tuple[str, list[Resource]], service: str
    ) -> None:
        _, resources = overlay
        module, settings, prefix = SERVICES[service]
        container = _container(_one(resources, "Deployment", f"vaxel-{service}"))
        assert container["command"] == ["python", "-m", module]
        env = {e["name"]: e for e in container["env"]}
        # Every variable is one of the service's settings (a misspelt name would be silently ignored):
        # the service's prefix and a field, or the one name of a field shared by every service.
        aliases = {str(f.validation_alias) for f in settings.model_fields.values() if f.validation_alias}
        unknown = {
            n
            for n in env
            if n not in aliases
            and (not n.startswith(prefix) or n[len(prefix) :].lower() not in settings.model_fields)
        }
        assert not unknown, f"not settings of {service}: {sorted(unknown)}"
        values = {n[len(prefix) :]: e.get("value") for n, e in env.items()}
        assert values["KAFKA_BOOTSTRAP"] == KAFKA_BOOTSTRAP[overlay[0]]
        assert values["GRPC_HOST"] == values["METRICS_HOST"] == "0.0.0.0"  # noqa: S104  # served to the pod network
        assert (values["GRPC_PORT"], values["METRICS_PORT"]) == (str(GRPC_PORT), str(METRICS_PORT))
        assert values["LOG_FORMAT"] == "json"
        assert env[f"{prefix}ADMIN_API_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "admin-api-key"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"grpc": GRPC_PORT, "metrics": METRICS_PORT}

    def test_client_tenant_reads_its_database_url_from_a_secret(
        self, overlay: tuple[str, list[Resource]]
    ) -> None:
        _, resources = overlay
        env = {e["name"]: e for e in _container(_one(resources, "Deployment", "vaxel-client-tenant"))["env"]}
        ref = env["VAXEL_CLIENT_TENANT_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref["name"].startswith("vaxel-client-tenant-database")
        assert ref["key"] == "database-url"

    def test_interaction_log_keeps_its_store_on_a_volume_claim(
        self, overlay: tuple[str, list[Resource]]
    ) -> None:
        _, resources = overlay
        deployment = _one(resources, "Deployment", "vaxel-interaction-log")
        container = _container(deployment)
        env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
        path = Path(env["VAXEL_INTERACTION_LOG_SQLITE_PATH"])
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        data = next(name for name, mount in mounts.items() if path.is_relative_to(mount))
        claim = volumes[data]["persistentVolumeClaim"]["claimName"]
        _one(resources, "PersistentVolumeClaim", claim)
        assert deployment["spec"]["strategy"]["type"] == "Recreate"  # one writer of a ReadWriteOnce volume

    @pytest.mark.parametrize("service", ["routing", "interaction-log", "sla"])
    def test_single_writer_services_run_one_replica_and_never_two_at_once(
        self, overlay: tuple[str, list[Resource]], service: str
    ) -> None:
        _, resources = overlay
        deployment = _one(resources, "Deployment", f"vaxel-{service}")
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["strategy"]["type"] == "Recreate"


class TestWorkloads:
    """Every pod the overlays run (the four services and dev's PostgreSQL) is hardened and sized."""

    @staticmethod
    def _workloads(resources: list[Resource]) -> list[Resource]:
        workloads = [r for r in resources if r["kind"] in {"Deployment", "StatefulSet"}]
        assert workloads
        return workloads

    def test_pods_are_hardened(self, overlay: tuple[str, list[Resource]]) -> None:
        _, resources = overlay
        for workload in self._workloads(resources):
            name = workload["metadata"]["name"]
            pod = workload["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, name
            assert pod["securityContext"]["runAsUser"] > 0, name
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert pod["automountServiceAccountToken"] is False, name
            assert pod["enableServiceLinks"] is False, name
            for container in pod["containers"]:
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False, name
                assert context["privileged"] is False, name
                assert context["readOnlyRootFilesystem"] is True, name
                assert context["runAsNonRoot"] is True, name
                assert context["capabilities"] == {"drop": ["ALL"]}, name

    def test_containers_have_requests_and_limits(self, overlay: tuple[str, list[Resource]]) -> None:
        _, resources = overlay
        for workload in self._workloads(resources):
            for container in workload["spec"]["template"]["spec"]["containers"]:
                resources_ = container["resources"]
                for section in ("requests", "limits"):
                    assert set(resources_[section]) == {"cpu", "memory"}, workload["metadata"]["name"]

    def test_containers_have_probes(self, overlay: tuple[str, list[Resource]]) -> None:
        _, resources = overlay
        for workload in self._workloads(resources):
            for container in workload["spec"]["template"]["spec"]["containers"]:
                assert "readinessProbe" in container, workload["metadata"]["name"]
                assert "livenessProbe" in container, workload["metadata"]["name"]

    def test_services_use_native_grpc_health_probes(self, overlay: tuple[str, list[Resource]]) -> None:
        _, resources = overlay
        for service in SERVICES:
            container = _container(_one(resources, "Deployment", f"vaxel-{service}"))
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                # grpc.health.v1 with the empty service name: the server's overall status.
                assert container[probe]["grpc"] == {"port": GRPC_PORT}, (service, probe)


class TestKafkaTopics:
    def test_topics_match_the_registry(self, overlay: tuple[str, list[Resource]]) -> None:
        _, resources = overlay
        topics = {t["spec"]["topicName"]: t for t in _of_kind(resources, "KafkaTopic")}
        assert sorted(topics) == sorted(spec.name for spec in ALL_TOPICS)
        for spec in ALL_TOPICS:
            topic = topics[spec.name]
            assert topic["metadata"]["name"] == spec.name
            assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "vaxel"
            assert topic["spec"]["partitions"] == spec.partitions, spec.name
            assert topic["spec"]["config"] == spec.config, spec.name

    def test_replication_fits_the_cluster(self, overlay: tuple[str, list[Resource]]) -> None:
        _, resources = overlay
        (kafka,) = _of_kind(resources, "Kafka")
        assert kafka["metadata"]["name"] == "vaxel"  # the base's bootstrap is vaxel-kafka-bootstrap:9092
        brokers = sum(
            p["spec"]["replicas"]
            for p in _of_kind(resources, "KafkaNodePool")
            if "broker" in p["spec"]["roles"]
        )
        min_isr = int(kafka["spec"]["kafka"]["config"]["min.insync.replicas"])
        for topic in _of_kind(resources, "KafkaTopic"):
            replicas = topic["spec"]["replicas"]
            assert 1 <= replicas <= brokers, topic["metadata"]["name"]
            # one broker may go down without stopping writes, wherever there are brokers to spare
            assert min_isr < replicas or replicas == 1, topic["metadata"]["name"]
        assert kafka["spec"]["entityOperator"]["topicOperator"] is not None


@pytest.fixture(scope="module")
def prod() -> list[Resource]:
    return render("prod")


class TestKafkaAccess:
    """prod: TLS and SCRAM-SHA-512 to Kafka, one principal per service, topic ACLs from the registry."""

    def test_the_only_listener_is_tls_with_scram_and_acls_are_enforced(self, prod: list[Resource]) -> None:
        (kafka,) = _of_kind(prod, "Kafka")
        listeners = kafka["spec"]["kafka"]["listeners"]
        assert [(entry["tls"], entry["authentication"]["type"]) for entry in listeners] == [
            (True, "scram-sha-512")
        ]
        assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
        assert "superUsers" not in kafka["spec"]["kafka"]["authorization"]
        assert kafka["spec"]["entityOperator"]["userOperator"] is not None

    def test_each_principal_writes_and_reads_exactly_what_the_registry_says(
        self, prod: list[Resource]
    ) -> None:
        users = {u["metadata"]["name"]: u for u in _of_kind(prod, "KafkaUser")}
        principals = {w for spec in ALL_TOPICS for w in (*spec.writers, *spec.readers)}
        expected_names = {"vaxel-channel-adapters" if p == EXTERNAL else f"vaxel-{p}" for p in principals}
        assert set(users) == expected_names
        for principal in principals:
            user = users["vaxel-channel-adapters" if principal == EXTERNAL else f"vaxel-{principal}"]
            assert user["spec"]["authentication"]["type"] == "scram-sha-512"
            granted: dict[tuple[str, str], set[str]] = {}
            for acl in user["spec"]["authorization"]["acls"]:
                resource = acl["resource"]
                assert resource["patternType"] == "literal", (principal, resource)  # no wildcards
                assert acl.get("type", "allow") == "allow"
                granted.setdefault((resource["type"], resource["name"]), set()).update(acl["operations"])
            topics = {name: ops for (kind, name), ops in granted.items() if kind == "topic"}
            for spec in ALL_TOPICS:
                ops = topics.get(spec.name, set())
                assert ("Write" in ops) == (principal in spec.writers), (principal, spec.name)
                assert ("Read" in ops) == (principal in spec.readers), (principal, spec.name)
            assert set(topics) <= {spec.name for spec in ALL_TOPICS}
            assert not {kind for kind, _ in granted} - {"topic", "group"}, principal  # no cluster rights

    def test_only_routing_writes_interaction_and_agent_events_and_only_client_tenant_the_config(
        self, prod: list[Resource]
    ) -> None:
        writers: dict[str, set[str]] = {}
        for user in _of_kind(prod, "KafkaUser"):
            for acl in user["spec"]["authorization"]["acls"]:
                if acl["resource"]["type"] == "topic" and "Write" in acl["operations"]:
                    writers.setdefault(acl["resource"]["name"], set()).add(user["metadata"]["name"])
        assert writers[TENANT_CONFIG.name] == {"vaxel-client-tenant"}
        assert writers[AGENT_EVENTS.name] == {"vaxel-routing"}
        # interaction-log writes its survey and erasure events there; consumers check each type's producer
        assert writers[INTERACTION_EVENTS.name] == {"vaxel-routing", "vaxel-interaction-log"}

    @pytest.mark.parametrize("service", SERVICES)
    def test_each_service_connects_as_its_principal_over_tls(
        self, prod: list[Resource], service: str
    ) -> None:
        _, _, prefix = SERVICES[service]
        deployment = _one(prod, "Deployment", f"vaxel-{service}")
        env = {e["name"]: e for e in _container(deployment)["env"]}
        assert env[f"{prefix}KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
        assert env[f"{prefix}KAFKA_SASL_MECHANISM"]["value"] == "SCRAM-SHA-512"
        assert env[f"{prefix}KAFKA_USERNAME"]["value"] == f"vaxel-{service}"
        _one(prod, "KafkaUser", f"vaxel-{service}")
        ref = env[f"{prefix}KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == (f"vaxel-{service}", "password")  # Strimzi's Secret of the user
        ca = env[f"{prefix}KAFKA_CA_FILE"]["value"]
        mounts = {m["name"]: m["mountPath"] for m in _container(deployment)["volumeMounts"]}
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert ca.startswith(mounts["kafka-ca"] + "/")
        assert volumes["kafka-ca"]["secret"]["secretName"] == "vaxel-cluster-ca-cert"

    @pytest.mark.parametrize("service", SERVICES)
    def test_config_keys_come_from_secrets_the_signer_alone_holding_the_private_key(
        self, overlay: tuple[str, list[Resource]], service: str
    ) -> None:
        _, resources = overlay
        deployment = _one(resources, "Deployment", f"vaxel-{service}")
        env = {e["name"]: e.get("value") for e in _container(deployment)["env"]}
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        source = volumes["config-keys"]["secret"]["secretName"]
        if service == "client-tenant":
            assert source.startswith("vaxel-config-signing-key")  # dev: a generated name
            assert env["VAXEL_CONFIG_SIGNING_KEY_FILE"] == "/etc/vaxel/config-keys/signing.key"
        else:
            assert source.startswith("vaxel-config-verify-keys")
            assert env["VAXEL_CONFIG_VERIFY_KEY_FILE"] == "/etc/vaxel/config-keys/verify.pem"
            assert "VAXEL_CONFIG_SIGNING_KEY_FILE" not in env


class TestMonitoring:
    def test_prometheus_rule_is_the_rules_file(self, overlay: tuple[str, list[Resource]]) -> None:
        _, resources = overlay
        (rule,) = _of_kind(resources, "PrometheusRule")
        plain = yaml.safe_load(
            (DEPLOY / "prometheus" / "rules" / "vaxel.rules.yml").read_text(encoding="utf-8")
        )
        assert rule["spec"] == {"groups": plain["groups"]}

    def test_dashboards_ship_as_configmaps(self, overlay: tuple[str, list[Resource]]) -> None:
        _, resources = overlay
        files = {
            p.name: p.read_text(encoding="utf-8") for p in (DEPLOY / "grafana" / "dashboards").glob("*.json")
        }
        shipped = {}
        for configmap in _of_kind(resources, "ConfigMap"):
            if configmap["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
                shipped.update(configmap["data"])
        assert shipped == files
        for content in shipped.values():
            assert json.loads(content)["uid"]


class TestProd:
    def test_client_tenant_scales_by_hpa_with_a_disruption_budget(self) -> None:
        prod = render("prod")
        deployment = _one(prod, "Deployment", "vaxel-client-tenant")
        assert "replicas" not in deployment["spec"]  # the HPA owns it
        hpa = _one(prod, "HorizontalPodAutoscaler", "vaxel-client-tenant")
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "vaxel-client-tenant",
        }
        pdb = _one(prod, "PodDisruptionBudget", "vaxel-client-tenant")
        assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        affinity = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        term = affinity["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
        assert term["topologyKey"] == "kubernetes.io/hostname"

    def test_network_policies_deny_by_default_and_let_each_service_work(self) -> None:
        prod = render("prod")
        policies = _of_kind(prod, "NetworkPolicy")
        deny = _one(prod, "NetworkPolicy", "default-deny")
        assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        for service in SERVICES:
            pod_labels = _one(prod, "Deployment", f"vaxel-{service}")["spec"]["template"]["metadata"][
                "labels"
            ]
            applying = [p for p in policies if _selects(p["spec"]["podSelector"], pod_labels)]
            ingress_ports = {
                port["port"]
                for p in applying
                for rule in p["spec"].get("ingress", [])
                for port in rule["ports"]
            }
            egress_ports = {
                port["port"]
                for p in applying
                for rule in p["spec"].get("egress", [])
                for port in rule.get("ports", [])
            }
            assert {GRPC_PORT, METRICS_PORT} <= ingress_ports, service
            assert {53, 9093} <= egress_ports, service
            assert (5432 in egress_ports) == (service == "client-tenant"), service


class TestDev:
    def test_dev_has_one_broker_and_postgresql(self) -> None:
        dev = render("dev")
        (pool,) = _of_kind(dev, "KafkaNodePool")
        assert pool["spec"]["replicas"] == 1
        assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]
        _one(dev, "StatefulSet", "vaxel-postgresql")
        for deployment in _of_kind(dev, "Deployment"):
            assert deployment["spec"]["replicas"] == 1
        secrets = {s["metadata"]["name"].rsplit("-", 1)[0] for s in _of_kind(dev, "Secret")}
        assert {"vaxel-admin-api-key", "vaxel-client-tenant-database"} <= secrets


def _selects(selector: Resource, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions with In) selects these labels."""
    if not selector:
        return True
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True
