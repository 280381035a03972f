"""Connection settings chosen the way kubectl chooses them: kubeconfig files merged, context, in-cluster.

kubectl merges a `$KUBECONFIG` list with "the first file to set a value wins" — for clusters, users and
contexts by name and for `current-context` too — while the Python client's own merger lets the *last*
file's current-context win. So the files are merged here (relative paths resolved against the file that
wrote them, as kubectl does), and the official client's `KubeConfigLoader` is handed the one context
chosen, so every kind of authentication it supports works: client certificates, tokens and token files,
exec credential plugins, auth providers. TLS verification stays on unless the kubeconfig turns it off.

Nothing here prints or logs a credential; `Connection` keeps names (context, user, server) for messages.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import Configuration
from kubernetes.config import exec_provider, incluster_config, kube_config
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import SERVICE_CERT_FILENAME, SERVICE_HOST_ENV_NAME, SERVICE_TOKEN_FILENAME

from kubenet_tui.sources.base import SourceError
from kubenet_tui.sources.slim import as_dict

# The client's config helpers are untyped; called through Any so strict checking stays on for ours.
_ExecProvider: Any = exec_provider.ExecProvider
_FileOrData: Any = kube_config.FileOrData
_parse_rfc3339: Any = getattr(kube_config, "parse_rfc3339")  # noqa: B009 - re-exported, untyped
_InClusterConfigLoader: Any = incluster_config.InClusterConfigLoader

# Keys holding file paths, resolved against the directory of the kubeconfig that holds them (client-go
# `ResolvePaths`): certificate-authority for clusters; client-certificate, client-key, tokenFile for users.
_CLUSTER_PATHS = ("certificate-authority",)
_USER_PATHS = ("client-certificate", "client-key", "tokenFile")


@dataclass
class Connection:
    """What the API client needs, plus the names that make error messages specific."""

    configuration: Configuration
    context: str
    server: str
    user: str
    namespace: str  # the context's namespace, "default" when it names none
    exec_error: str | None = None  # why a credential plugin failed, for the 401 message
    # Keeps the loader alive: its refresh hook renews expiring exec/OIDC tokens.
    loader: Any = field(default=None, repr=False)


def kubeconfig_paths(explicit: str | None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The files kubectl would read: `--kubeconfig` alone, else `$KUBECONFIG` (missing entries are
    skipped, as kubectl does), else ~/.kube/config if it exists."""
    env = os.environ if environ is None else environ
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise SourceError(f"kubeconfig {explicit}: no such file")
        return [path]
    listed = env.get("KUBECONFIG", "")
    if listed:
        return [Path(p).expanduser() for p in listed.split(os.pathsep) if p and Path(p).expanduser().is_file()]
    home = Path(env.get("HOME") or Path.home()) / ".kube" / "config"
    return [home] if home.is_file() else []


def _resolve(entry: dict[str, Any], keys: tuple[str, ...], base: Path) -> dict[str, Any]:
    out = dict(entry)
    for key in keys:
        value = out.get(key)
        if isinstance(value, str) and value and not os.path.isabs(os.path.expanduser(value)):
            out[key] = str(base / value)
        elif isinstance(value, str) and value:
            out[key] = os.path.expanduser(value)
    return out


def _resolve_user(user: dict[str, Any], base: Path) -> dict[str, Any]:
    out = _resolve(user, _USER_PATHS, base)
    exec_config = out.get("exec")
    if isinstance(exec_config, dict):
        command = exec_config.get("command")
        # client-go resolves an exec command against the kubeconfig's directory only when it is a path
        # (contains a separator); a bare name is looked up on $PATH.
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            out["exec"] = {**exec_config, "command": str(base / command)}
    return out


def merge_kubeconfigs(paths: list[Path]) -> dict[str, Any]:
    """One kubeconfig dict from several files, with kubectl's precedence (the first to set a value wins)."""
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": [], "current-context": ""}
    seen: dict[str, set[str]] = {"clusters": set(), "users": set(), "contexts": set()}
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise SourceError(f"kubeconfig {path} cannot be read: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise SourceError(f"kubeconfig {path} is not a kubeconfig (expected a mapping)")
        base = path.resolve().parent
        for section, inner, keys in (("clusters", "cluster", _CLUSTER_PATHS), ("users", "user", _USER_PATHS),
                                     ("contexts", "context", ())):
            for entry in data.get(section) or []:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    continue
                if entry["name"] in seen[section]:
                    continue
                seen[section].add(entry["name"])
                body = as_dict(entry.get(inner))
                if section == "clusters":
                    body = _resolve(body, keys, base)
                elif section == "users":
                    body = _resolve_user(body, base)
                merged[section].append({"name": entry["name"], inner: body})
        if not merged["current-context"] and isinstance(data.get("current-context"), str):
            merged["current-context"] = data["current-context"]
    return merged


class CredentialPlugins:
    """The credential plugin processes one source starts: each bounded by `timeout`, all killed by
    `cancel()` (or `close()`, after which none starts), so a plugin never outlives the explorer.

    A plugin runs detached from the terminal by default: stdin closed, stderr captured, its own session,
    and told it is not interactive, so one that wants a login fails (or times out) with what it printed
    instead of reading keys meant for the explorer. Inside `interactive()` the caller has handed the
    terminal over (before the explorer starts, or while it is suspended): the plugin shares it."""

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self._interactive = False
        self._closed = False
        self._cancelled = False

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    @contextmanager
    def interactive(self) -> Iterator[None]:
        """While inside, plugins share the terminal (the caller has handed it over)."""
        self._interactive = True
        try:
            yield
        finally:
            self._interactive = False

    def run(self, args: list[str], env: dict[str, str], cwd: str | None) -> str:
        """Run one plugin; its stdout, or ConfigException with why it failed (its stderr when captured)."""
        interactive = self._interactive and os.isatty(0) and os.isatty(2)
        info = json.loads(env.get("KUBERNETES_EXEC_INFO") or "{}")
        info.setdefault("spec", {})["interactive"] = interactive
        env = {**env, "KUBERNETES_EXEC_INFO": json.dumps(info)}
        with self._lock:
            if self._closed:
                raise ConfigException("exec: not started: the explorer is closing")
            self._cancelled = False
            try:
                process = subprocess.Popen(
                    args, stdout=subprocess.PIPE,
                    stdin=None if interactive else subprocess.DEVNULL,
                    stderr=None if interactive else subprocess.PIPE,
                    # Detached: no controlling terminal to prompt on, and its whole group can be killed.
                    start_new_session=not interactive,
                    cwd=cwd, env=env, text=True,
                )
            except OSError as exc:
                raise ConfigException(f"exec: {exc.strerror or exc}: {args[0]}") from None
            self._running.add(process)
        try:
            stdout, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            stdout, stderr = process.communicate()
            printed = _last_line(stderr)
            raise ConfigException(
                f"exec: did not finish within {self.timeout:g} s and was stopped"
                + (f"; it printed: {printed}" if printed else "")
                + ("" if interactive else " (a plugin that needs a login gets the terminal on :ctx NAME or r)")
            ) from None
        finally:
            with self._lock:
                self._running.discard(process)
            if process.poll() is None:
                _kill(process)
                process.wait()
        if self._cancelled:
            raise ConfigException("exec: cancelled")
        if process.returncode != 0:
            detail = (stderr or "").strip()
            raise ConfigException(f"exec: process returned {process.returncode}" + (f". {detail}" if detail else ""))
        return stdout

    def cancel(self) -> None:
        """Kill the plugins running now (ctrl+c during a login, a context switched away from)."""
        with self._lock:
            running = list(self._running)
            self._cancelled = bool(running)
        for process in running:
            _kill(process)

    def close(self) -> None:
        """Kill what runs and start nothing more: the source is being dropped."""
        with self._lock:
            self._closed = True
        self.cancel()


def _kill(process: subprocess.Popen[str]) -> None:
    try:
        if process.pid == os.getpgid(process.pid):
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the plugin and what it started
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _run_exec(provider: Any, plugins: CredentialPlugins) -> dict[str, Any]:
    """`ExecProvider.run`, with the process run by `plugins` (bounded, killable, terminal only when
    handed over) instead of an unbounded `communicate()` on whatever the terminal is."""
    info: dict[str, Any] = {"apiVersion": provider.api_version, "kind": "ExecCredential", "spec": {}}
    if provider.cluster:
        cluster = dict(provider.cluster.value)
        for extension in cluster.get("extensions") or []:
            if extension.get("name") == "client.authentication.k8s.io/exec":
                cluster["config"] = extension.get("extension")
                break
        info["spec"]["cluster"] = cluster
    provider.env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    stdout = plugins.run(list(provider.args), dict(provider.env), provider.cwd)
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise ConfigException(f"exec: failed to decode process output: {exc}") from None
    for key in ("apiVersion", "kind", "status"):
        if not isinstance(data, dict) or key not in data:
            raise ConfigException(f"exec: malformed response. missing key '{key}'")
    if data["apiVersion"] != provider.api_version:
        raise ConfigException(f"exec: plugin api version {data['apiVersion']} does not match {provider.api_version}")
    status: dict[str, Any] = data["status"]
    return status


class _Loader(kube_config.KubeConfigLoader):
    """The official loader, except that a failing credential plugin is remembered instead of only
    logged, so the user is told why (its stderr) rather than getting a bare 401; and the plugin runs
    bounded and killable (`CredentialPlugins`)."""

    exec_error: str | None = None
    plugins: CredentialPlugins | None = None

    def _load_from_exec_plugin(self) -> bool | None:
        user: Any = self._user
        if "exec" not in user:
            return None
        try:
            if self.plugins is None:
                self.plugins = CredentialPlugins()
            status = _run_exec(_ExecProvider(user["exec"], None, self._cluster), self.plugins)
            if "token" in status:
                self.token = f"Bearer {status['token']}"
            elif "clientCertificateData" in status and "clientKeyData" in status:
                self.cert_file = _FileOrData(status, None, data_key_name="clientCertificateData",
                                            base64_file_content=False, temp_file_path=self._temp_file_path).as_file()
                self.key_file = _FileOrData(status, None, data_key_name="clientKeyData",
                                           base64_file_content=False, temp_file_path=self._temp_file_path).as_file()
            else:
                self.exec_error = "its output has neither a token nor a client certificate and key"
                return None
            if "expirationTimestamp" in status:
                self.expiry = _parse_rfc3339(status["expirationTimestamp"])
            self.exec_error = None
            return True
        except (ConfigException, OSError, ValueError, KeyError) as exc:
            self.exec_error = str(exc).strip()
            return None


def _exec_name(user: Mapping[str, Any] | None) -> str:
    command = ((user or {}).get("exec") or {}).get("command")
    return os.path.basename(str(command)) if command else "credential plugin"


def _client_configuration() -> Configuration:
    configuration = Configuration()
    # No silent retries: a refused or dropped connection surfaces at once, so errors are fast and
    # honest; the watch loop reconnects on its own, with backoff.
    configuration.retries = False
    # Several watches share one client; a too-small pool makes urllib3 discard connections noisily.
    configuration.connection_pool_maxsize = 64
    configuration.debug = False  # debug logging would print request headers, tokens included
    return configuration


def in_cluster_available(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return bool(env.get(SERVICE_HOST_ENV_NAME)) and os.path.isfile(SERVICE_TOKEN_FILENAME)


def load_connection(kubeconfig: str | None = None, context: str | None = None,
                    environ: Mapping[str, str] | None = None, plugins: CredentialPlugins | None = None) -> Connection:
    """The connection kubectl would use. Raises SourceError with one clear line when there is none.
    A credential plugin runs through `plugins` (bounded, killable; a fresh default set when None)."""
    paths = kubeconfig_paths(kubeconfig, environ)
    if not paths:
        if context is None and in_cluster_available(environ):
            return _in_cluster()
        where = "$KUBECONFIG files" if (os.environ if environ is None else environ).get("KUBECONFIG") \
            else "~/.kube/config"
        raise SourceError(f"no kubeconfig found ({where} missing) and not running inside a cluster; "
                          "use --kubeconfig PATH, or --demo / -f FILE to work offline")
    merged = merge_kubeconfigs(paths)
    names = [c["name"] for c in merged["contexts"]]
    chosen = context or merged["current-context"]
    if not chosen:
        raise SourceError(f"kubeconfig has no current context; choose one with --context "
                          f"({', '.join(names) or 'no contexts defined'})")
    if chosen not in names:
        raise SourceError(f"context {chosen!r} not found in kubeconfig (contexts: {', '.join(names) or 'none'})")
    ctx = next(c["context"] for c in merged["contexts"] if c["name"] == chosen)
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    cluster = next((c["cluster"] for c in merged["clusters"] if c["name"] == cluster_name), None)
    if cluster is None:
        raise SourceError(f"context {chosen!r} refers to cluster {cluster_name!r}, which the kubeconfig does not define")
    if not cluster.get("server"):
        raise SourceError(f"cluster {cluster_name!r} of context {chosen!r} has no server address")
    user = next((u["user"] for u in merged["users"] if u["name"] == user_name), None)
    config = {
        "current-context": chosen,
        "contexts": [{"name": chosen, "context": ctx}],
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "users": [{"name": user_name, "user": user}] if user is not None else [],
    }
    configuration = _client_configuration()
    try:
        # Paths are already absolute; an empty base path keeps the loader from re-rooting them.
        make_loader: Any = _Loader
        loader = make_loader(config_dict=config, active_context=chosen, config_base_path="")
        loader.plugins = plugins
        loader.load_and_set(configuration)
    except ConfigException as exc:
        raise SourceError(f"context {chosen!r}: kubeconfig problem: {exc}") from None
    except OSError as exc:
        raise SourceError(f"context {chosen!r}: cannot read a file the kubeconfig names: {exc}") from None
    connection = Connection(
        configuration, chosen, str(cluster["server"]).rstrip("/"), str(user_name or "(no user)"),
        str(ctx.get("namespace") or "default"), loader=loader,
    )
    if loader.exec_error:
        raise SourceError(
            f"context {chosen!r} ({connection.server}): the {_exec_name(user)} credential plugin of user "
            f"{connection.user!r} failed: {loader.exec_error}"
        )
    return connection


def kubeconfig_contexts(kubeconfig: str | None = None,
                        environ: Mapping[str, str] | None = None) -> tuple[tuple[str, ...], str | None]:
    """The contexts the kubeconfig defines, and its current one (kubectl's merge), for the explorer's
    context list; raises SourceError when a file cannot be read."""
    merged = merge_kubeconfigs(kubeconfig_paths(kubeconfig, environ))
    names = tuple(str(c["name"]) for c in merged["contexts"])
    return names, (str(merged["current-context"]) or None)


def uses_credential_plugin(kubeconfig: str | None, context: str | None,
                           environ: Mapping[str, str] | None = None) -> bool:
    """Whether connecting to `context` runs an exec credential plugin that may want the terminal (a
    login): the explorer hands the terminal over only then. False when it cannot tell."""
    try:
        merged = merge_kubeconfigs(kubeconfig_paths(kubeconfig, environ))
    except SourceError:
        return False
    chosen = context or merged["current-context"]
    ctx = next((c["context"] for c in merged["contexts"] if c["name"] == chosen), None)
    if not isinstance(ctx, dict):
        return False
    user = next((u["user"] for u in merged["users"] if u["name"] == ctx.get("user")), None)
    exec_config = as_dict((user or {}).get("exec"))
    return bool(exec_config.get("command")) and exec_config.get("interactiveMode") != "Never"


def _in_cluster() -> Connection:
    configuration = _client_configuration()
    try:
        _InClusterConfigLoader(SERVICE_TOKEN_FILENAME, SERVICE_CERT_FILENAME).load_and_set(configuration)
    except ConfigException as exc:
        raise SourceError(f"in-cluster configuration: {exc}") from None
    namespace = "default"
    ns_file = Path(SERVICE_TOKEN_FILENAME).with_name("namespace")
    if ns_file.is_file():
        namespace = ns_file.read_text().strip() or "default"
    return Connection(configuration, "in-cluster", configuration.host, "service account", namespace)


def exec_error_of(connection: Connection) -> str | None:
    """The latest credential plugin failure (plugins also run again when a token expires)."""
    loader = connection.loader
    return getattr(loader, "exec_error", None) or connection.exec_error
