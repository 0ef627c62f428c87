"""The container image's recipe, exercised without a Docker engine (none runs here).

The Dockerfile is parsed and replayed: the builder's COPY lines into a source folder, its venv
and a (non-editable) ``pip install`` of that copy; then the final stage's files, ENV, WORKDIR,
USER and ENTRYPOINT/CMD, with every image path moved under a temporary root. The entry point
runs as an unprivileged user (``nobody`` when the tests run as root) against the test Redis,
and the HEALTHCHECK command runs against it. What this cannot show: that the base image,
``groupadd``/``useradd`` or ``docker build`` itself behave; those need an engine.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from notifier.settings import Settings
from tests.support.ports import free_port
from tests.support.processes import Children
from tests.support.waiting import ConditionTimeout, wait_until

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERIGNORE = REPO / ".dockerignore"
IMAGE_UID = 10001
SMOKE_SECRET = "smoke-test-signing-secret-of-32-bytes"  # noqa: S105  # a throwaway test value
STARTUP_DEADLINE_S = 60.0
# a fresh venv and a pip install of the copied source: minutes on a loaded machine, far past
# the suite's 120 s per-test timeout, which only the tests that build the image are exempt from
IMAGE_BUILD_TIMEOUT_S = 900
INSTALL_DEADLINE_S = 600.0
# NOTIFIER_SHUTDOWN_TIMEOUT_S (20 s) plus room to close the store and the scheduler
STOP_DEADLINE_S = 30.0
# what a container starts with before the image's ENV: the python image's PATH and locale
BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/nonexistent",
}


# ---- the Dockerfile, parsed ----


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"the stage FROM {self.base} has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        """ENV values as written, ``$VAR`` expanded against the earlier ones (not the host)."""
        values = dict(BASE_ENV)
        for args in self.all("ENV"):
            for token in shlex.split(args):
                name, _, value = token.partition("=")
                values[name] = re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), ""), value)
        return values


def parse_dockerfile(path: Path) -> list[Stage]:
    """Stages and their instructions; continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append((keyword, args))
    return stages


def copy_args(args: str) -> tuple[dict[str, str], list[str], str]:
    """``COPY [--from=x] src... dest`` → (flags, sources, destination)."""
    words = shlex.split(args)
    flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
    paths = [w for w in words if not w.startswith("--")]
    return flags, paths[:-1], paths[-1]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not exec form (a shell would swallow SIGTERM): {args}"
    return [str(v) for v in value]


def healthcheck(stage: Stage) -> tuple[dict[str, str], list[str]]:
    """``HEALTHCHECK --opt=v … CMD [...]`` → (options, argv)."""
    options_text, _, command = stage.last("HEALTHCHECK").partition("CMD")
    options = dict(w[2:].split("=", 1) for w in options_text.split())
    return options, exec_form(command.strip())


def seconds(text: str) -> float:
    """Docker/compose durations as written here: ``30s``, ``5s``, ``1m``."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|m)", text)
    assert match, f"unexpected duration {text!r}"
    return float(match.group(1)) * (60 if match.group(2) == "m" else 1)


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    found = parse_dockerfile(DOCKERFILE)
    assert len(found) >= 2, "the Dockerfile should be multi-stage (builder + final)"
    return found


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


@pytest.fixture(scope="module")
def builder(stages: list[Stage], final: Stage) -> Stage:
    sources = {copy_args(a)[0].get("from") for a in final.all("COPY")} - {None}
    assert len(sources) == 1, f"the final stage should copy from one builder stage: {sources}"
    (name,) = sources
    return next(s for s in stages if s.name == name)


# ---- the recipe, read ----


def test_final_stage_runs_as_fixed_non_root_uid_on_the_builders_slim_base(
    builder: Stage, final: Stage
) -> None:
    """Volumes and runAsNonRoot rely on a fixed numeric UID; one base keeps the venv's Python."""
    assert final.base == builder.base
    assert final.last("USER") == f"{IMAGE_UID}:{IMAGE_UID}"
    creates_user = " ".join(final.all("RUN"))
    assert f"--uid {IMAGE_UID}" in creates_user
    assert re.search(r"useradd\b.*\bnotifier\b", creates_user)


def test_base_image_is_a_slim_python_pinned_by_tag_and_digest(final: Stage) -> None:
    """A tag alone moves under a rebuild; the digest makes the same recipe give the same base,
    and the labels name it for scanners."""
    match = re.fullmatch(
        r"(python:3\.1[1-9](?:\.\d+)?-slim(?:-\w+)?)@(sha256:[0-9a-f]{64})", final.base
    )
    assert match, f"not pinned by digest: {final.base}"
    labels = " ".join(final.all("LABEL"))
    for name in ("title", "description", "version", "revision", "licenses", "base.digest"):
        assert f"org.opencontainers.image.{name}=" in labels
    assert f'base.digest="{match.group(2)}"' in labels
    assert f'base.name="docker.io/library/{match.group(1)}"' in labels


def test_final_stage_installs_no_packages_and_no_compilers(final: Stage) -> None:
    """Build tools stay in the builder: the image that runs has nothing to compile with."""
    runs = " ".join(final.all("RUN"))
    for word in ("apt-get", "apt ", "apk ", "pip ", "gcc", "build-essential", "curl"):
        assert word not in runs, f"final stage RUN uses {word.strip()}"


def test_builder_installs_the_hash_checked_lock_before_the_code_is_copied(
    builder: Stage,
) -> None:
    """Dependencies come from requirements.lock with every hash checked, in a layer an edit of
    the code does not invalidate; the package itself adds nothing unchecked (--no-deps, the
    locked setuptools); --no-cache-dir keeps the layers small."""
    steps = [(kw, args) for kw, args in builder.instructions if kw in ("COPY", "RUN")]
    venv = next(args for kw, args in steps if "-m venv" in args).split()[-1]
    installs = [i for i, (_, args) in enumerate(steps) if "pip install" in args]
    assert len(installs) == 2, steps
    locked, package = (steps[i][1].split() for i in installs)
    code_copied = next(
        i for i, (kw, args) in enumerate(steps) if kw == "COPY" and "notifier" in args
    )
    assert installs[0] < code_copied < installs[1]
    assert locked[0] == package[0] == f"{venv}/bin/pip"
    assert {"--require-hashes", "--no-cache-dir"} <= set(locked)
    assert locked[-2:] == ["-r", "requirements.lock"]
    assert {"--no-deps", "--no-build-isolation", "--no-cache-dir"} <= set(package)
    assert package[-1] == "."
    assert "-e" not in package


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    """`pip install --require-hashes` refuses a lock with a loose pin or a missing hash; this
    says which one before an image build does."""
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[a-z0-9])", lock.split("\n", 2)[2].strip())
    assert entries
    for entry in entries:
        name_pin = entry.split()[0]
        assert re.fullmatch(r"[a-z0-9._-]+(\[[a-z0-9,_-]+\])?==[^ ]+", name_pin), name_pin
        assert "--hash=sha256:" in entry, name_pin
    names = {entry.split("==")[0] for entry in entries}
    assert {"apprise", "setuptools", "httptools", "orjson", "pydantic"} <= names


def test_entrypoint_is_exec_form_notifier_run_and_sigterm_stops_it(final: Stage) -> None:
    """Exec form makes notifier PID 1, so SIGTERM reaches it and it drains in-flight sends."""
    assert exec_form(final.last("ENTRYPOINT")) == ["notifier"]
    assert exec_form(final.last("CMD")) == ["run"]
    assert final.last("STOPSIGNAL") == "SIGTERM"


def test_image_listens_on_all_interfaces_on_the_exposed_port(final: Stage) -> None:
    """127.0.0.1 (the service's default) inside a container is unreachable from outside it."""
    env = final.env()
    assert env["NOTIFIER_HTTP_HOST"] == "0.0.0.0"  # noqa: S104  # that is the point here
    assert final.last("EXPOSE") == env["NOTIFIER_HTTP_PORT"] == "8000"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_config_is_copied_to_the_documented_path_and_data_is_a_volume(final: Stage) -> None:
    """Ops mount their events over /etc/notifier/events; state survives on the data volume."""
    env = final.env()
    copies = [copy_args(a) for a in final.all("COPY")]
    assert ({}, ["config/events"], env["NOTIFIER_CONFIG"]) in copies
    assert env["NOTIFIER_CONFIG"] == "/etc/notifier/events"
    assert env["NOTIFIER_DATA_DIR"] == "/var/lib/notifier"
    assert env["NOTIFIER_DATA_DIR"] in json.loads(final.last("VOLUME"))
    # the volume must belong to the image's user, or a fresh named volume is not writable
    assert f"chown {IMAGE_UID}:{IMAGE_UID} {env['NOTIFIER_DATA_DIR']}" in " ".join(final.all("RUN"))
    assert final.last("WORKDIR") == "/srv/notifier"


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_build_context() -> None:
    """A .venv or .env in the context would bloat the build or leak into a layer."""
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".venv", ".git", "data", "test-artifacts", ".env", ".mypy_cache"} <= ignored
    assert "**/__pycache__" in ignored


# ---- docker-compose.yml ----


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# what an operator puts in .env for the required ${NAME:?…} variables
OPERATOR_ENV = {
    "REDIS_PASSWORD": "5f0c1d9e2b7a48e6a1c3d5f7b9e0a2c4d6f8b1e3a5c7d9f0",
    "NOTIFIER_SIGNING_SECRET": "q3V9sT1wXz8Lk2Rb6Yp0Nf4Hc7Jd5Gm+Ue9Aa1Ss2Dd=",
}


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` (nothing set: the default) and ``${NAME:?error}``
    (required: the operator's value)."""
    value = re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: OPERATOR_ENV[m.group(1)], value)
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def test_compose_runs_the_service_beside_redis_and_an_smtp_catcher(
    compose: dict[str, Any],
) -> None:
    """`docker compose up` must bring the three up, with the service waiting for Redis."""
    services = compose["services"]
    assert set(services) == {"notifier", "redis", "mailpit"}
    notifier = services["notifier"]
    assert notifier["build"] == "."
    assert notifier["depends_on"]["redis"]["condition"] == "service_healthy"
    assert [interpolate(p) for p in notifier["ports"]] == ["127.0.0.1:8000:8000"]
    assert services["mailpit"]["image"].startswith("axllent/mailpit:")
    assert any(p.endswith(":8025") for p in services["mailpit"]["ports"])


def test_compose_redis_is_append_only_on_a_named_volume_with_a_healthcheck(
    compose: dict[str, Any],
) -> None:
    """Jobs and delivery claims live in Redis; losing them on restart resends or drops reminders."""
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:7")
    assert "redis-server --appendonly yes" in " ".join(redis["command"])
    volume = redis["volumes"][0].split(":")
    assert volume[1] == "/data"
    assert volume[0] in compose["volumes"]
    assert "redis-cli" in redis["healthcheck"]["test"]


def test_compose_settings_are_valid_and_mounts_match_the_image(
    compose: dict[str, Any], final: Stage
) -> None:
    """A misspelt NOTIFIER_ name stops the service; mounts must land where the image looks."""
    notifier = compose["services"]["notifier"]
    # as the environment gives them, text; extra="forbid" refuses a misspelt name
    # the image's ENV first (it listens on 0.0.0.0), then compose's
    environment = {k: v for k, v in final.env().items() if k.startswith("NOTIFIER_")}
    environment |= {name: interpolate(str(v)) for name, v in notifier["environment"].items()}
    values: dict[str, Any] = {
        name.removeprefix("NOTIFIER_").lower(): value for name, value in environment.items()
    }
    settings = Settings(_env_file=None, **values)
    assert settings.uses_redis
    assert settings.resolved_store_url.startswith("redis://:")
    assert settings.resolved_store_url.endswith("@redis:6379/0")
    assert settings.signing_secret is not None
    assert settings.resolved_email_backend == "smtp"
    assert settings.smtp_host == "mailpit"
    env = final.env()
    assert f"./config/events:{env['NOTIFIER_CONFIG']}:ro" in notifier["volumes"]
    data = [v for v in notifier["volumes"] if v.split(":")[1] == env["NOTIFIER_DATA_DIR"]]
    assert data, f"no volume on {env['NOTIFIER_DATA_DIR']}"
    assert data[0].split(":")[0] in compose["volumes"]
    # Docker's default 10 s would SIGKILL sends that the service is still draining
    assert (
        seconds(notifier["stop_grace_period"])
        > Settings.model_fields["shutdown_timeout_s"].get_default()
    )


def test_compose_secrets_are_required_and_never_written_in_the_file(
    compose: dict[str, Any],
) -> None:
    """`docker compose up` without them stops with what to set, instead of starting with a
    sample secret every reader of this file knows."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for name in OPERATOR_ENV:
        assert re.search(rf"\$\{{{name}:\?set {name} \(openssl rand", text), name
    assert not re.search(r"\$\{(REDIS_PASSWORD|NOTIFIER_SIGNING_SECRET):-", text)
    redis = compose["services"]["redis"]
    assert '--requirepass "$$REDISCLI_AUTH"' in " ".join(redis["command"])
    assert (
        redis["environment"]["REDISCLI_AUTH"]
        == "${REDIS_PASSWORD:?set REDIS_PASSWORD (openssl rand -hex 24)}"
    )
    url = interpolate(compose["services"]["notifier"]["environment"]["NOTIFIER_STORE_URL"])
    assert url == f"redis://:{OPERATOR_ENV['REDIS_PASSWORD']}@redis:6379/0"


def test_compose_services_are_confined_limited_and_rotate_their_logs(
    compose: dict[str, Any],
) -> None:
    """Read-only root, no capabilities beyond what each entrypoint needs, no setuid gains,
    memory/CPU caps, and logs that cannot fill the disk."""
    for name, service in compose["services"].items():
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["mem_limit"], name
        assert 0 < float(service["cpus"]) <= 2, name
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert {"max-size", "max-file"} <= logging["options"].keys(), name
    notifier = compose["services"]["notifier"]
    assert "cap_add" not in notifier
    assert any(t.startswith("/tmp:") for t in notifier["tmpfs"])  # noqa: S108  # in memory
    for service in compose["services"].values():
        for port in service.get("ports", []):
            assert interpolate(port).startswith("127.0.0.1:"), port


# ---- the recipe, replayed ----


@dataclass
class Runner:
    """Who runs the entry point: ``nobody`` when the tests are root, else the test's user."""

    uid: int
    gid: int

    @property
    def popen_kwargs(self) -> dict[str, Any]:
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


@pytest.fixture(scope="module")
def runner() -> Runner:
    if os.geteuid() != 0:
        return Runner(os.getuid(), os.getgid())
    nobody = pwd.getpwnam("nobody")
    return Runner(nobody.pw_uid, nobody.pw_gid)


def find_interpreter(runner: Runner) -> str:
    """A Python 3.11+ that the unprivileged user may run (pyenv's may sit under /root, 0700)."""
    candidates = [getattr(sys, "_base_executable", ""), sys.executable]
    candidates += [shutil.which(n) or "" for n in ("python3.13", "python3.12", "python3.11")]
    candidates += ["/usr/bin/python3", "/usr/local/bin/python3"]
    probe = "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"
    for candidate in dict.fromkeys(c for c in candidates if c):
        if not os.path.exists(candidate):
            continue
        try:
            done = subprocess.run(
                [candidate, "-c", probe], capture_output=True, check=False, **runner.popen_kwargs
            )
        except PermissionError:  # exec refused: a folder on its path is closed to the user
            continue
        if done.returncode == 0:
            return candidate
    pytest.fail(f"no Python 3.11+ with venv that uid {runner.uid} can run: {candidates}")


def replay_copy(sources: list[str], dest: str, base: Path, root: Path) -> None:
    """COPY as Docker does it, with what this .dockerignore leaves out below each source.

    A folder's contents land in ``dest``; files land in ``dest/`` when it ends with a slash
    or there are several; a relative ``dest`` is below the stage's WORKDIR (``base``).
    """
    target = root / dest.lstrip("/") if dest.startswith("/") else base / dest
    ignore = shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.egg-info", "build", "dist")
    for source in sources:
        src = REPO / source
        if src.is_dir():
            shutil.copytree(src, target, ignore=ignore, dirs_exist_ok=True)
        elif dest.endswith("/") or len(sources) > 1:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / src.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


@dataclass
class Image:
    root: Path  # stands for the image's /
    env: dict[str, str]
    argv: list[str]
    workdir: Path
    healthcheck: list[str]
    healthcheck_timeout_s: float
    stop_signal: signal.Signals
    install_s: float

    def rebase(self, path: str) -> Path:
        return self.root / path.lstrip("/")


def _literally(text: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement that inserts ``text`` as it is (no backslash escapes)."""
    return lambda _match: text


def rebase_paths(value: str, root: Path, image_paths: list[str]) -> str:
    """Each image path inside a value (PATH lists, comma lists) moved under ``root``."""
    for image_path in sorted(image_paths, key=len, reverse=True):
        pattern = rf"(?<![\w/.-]){re.escape(image_path)}(?=/|:|,|$)"
        value = re.sub(pattern, _literally(str(root) + image_path), value)
    return value


def run_builder(
    builder: Stage, root: Path, interpreter: str, children: Children
) -> tuple[str, float]:
    """The builder's COPY and RUN lines in order: the venv, then each ``pip install`` as written
    (the lock with its hashes, then the package), in its WORKDIR."""
    workdir = root / builder.last("WORKDIR").lstrip("/")
    venv = next(r for r in builder.all("RUN") if "-m venv" in r).split()[-1]
    venv_dir = root / venv.lstrip("/")
    started = time.monotonic()
    for keyword, args in builder.instructions:
        if keyword == "COPY":
            _, sources, dest = copy_args(args)
            replay_copy(sources, dest, workdir, root)
        elif keyword == "RUN" and "-m venv" in args:
            made = children.run(
                [interpreter, "-m", "venv", str(venv_dir)], timeout_s=INSTALL_DEADLINE_S
            )
            assert made.returncode == 0, f"python -m venv failed:\n{made.stderr.decode()}"
        elif keyword == "RUN" and "pip install" in args:
            # pip's cache is used here on purpose (the image build passes --no-cache-dir)
            words = [w for w in shlex.split(args) if w != "--no-cache-dir"]
            argv = [str(venv_dir / "bin" / "pip"), *words[1:], "-q"]
            done = children.run(argv, timeout_s=INSTALL_DEADLINE_S, cwd=workdir)
            assert done.returncode == 0, f"{args} failed:\n{done.stderr.decode()}"
    return venv, time.monotonic() - started


def run_final_stage(final: Stage, root: Path, venv: str, runner: Runner) -> list[str]:
    """The final stage's files: the venv in place, COPY lines, WORKDIR, owned VOLUMEs."""
    image_paths = [venv]
    for args in final.all("COPY"):
        flags, sources, dest = copy_args(args)
        if "from" in flags:
            # the venv's scripts carry its path in their #! lines: it must not move
            assert sources == [venv], args
            assert dest == venv, args
            continue
        replay_copy(sources, dest, root / final.last("WORKDIR").lstrip("/"), root)
        image_paths.append(dest)
    workdir = final.last("WORKDIR")
    (root / workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
    image_paths.append(workdir)
    for args in final.all("VOLUME"):
        for volume in json.loads(args):
            path = root / volume.lstrip("/")
            path.mkdir(parents=True, exist_ok=True)
            # the RUN's chown to the image's user, replayed for the stand-in user
            if f"chown {IMAGE_UID}:{IMAGE_UID} {volume}" in " ".join(final.all("RUN")):
                os.chown(path, runner.uid, runner.gid)
            image_paths.append(volume)
    # the image's files stay root's (0755/0644 as copied): the user may read, not write, them
    root.chmod(0o755)
    return image_paths


@pytest.fixture(scope="module")
def image(builder: Stage, final: Stage, runner: Runner) -> Iterator[Image]:
    """The recipe replayed under a temporary root (in /tmp: pytest's own is 0700 for root)."""
    root = Path(tempfile.mkdtemp(prefix="notifier-image-"))
    try:
        with Children() as children:  # pip and its build backends, ended if the setup fails
            venv, install_s = run_builder(builder, root, find_interpreter(runner), children)
        image_paths = run_final_stage(final, root, venv, runner)
        env = {k: rebase_paths(v, root, image_paths) for k, v in final.env().items()}
        options, probe = healthcheck(final)
        argv = exec_form(final.last("ENTRYPOINT")) + exec_form(final.last("CMD"))
        yield Image(
            root=root,
            env=env,
            argv=argv,
            workdir=root / final.last("WORKDIR").lstrip("/"),
            healthcheck=probe,
            healthcheck_timeout_s=seconds(options["timeout"]),
            stop_signal=signal.Signals[final.last("STOPSIGNAL")],
            install_s=install_s,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def resolve(argv: list[str], env: dict[str, str]) -> list[str]:
    """argv[0] looked up on the image's PATH, as Docker's exec form does."""
    found = shutil.which(argv[0], path=env["PATH"])
    assert found, f"{argv[0]} is not on the image's PATH {env['PATH']}"
    return [found, *argv[1:]]


def get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    env: dict[str, str]
    log: Path

    def events(self) -> list[dict[str, Any]]:
        lines = self.log.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def readiness(self) -> dict[str, Any] | None:
        """/readyz's body once it answers 200; None before (not listening, not ready)."""
        if self.process.poll() is not None:
            pytest.fail(f"notifier exited {self.process.returncode}:\n{self.log.read_text()}")
        try:
            status, body = get(self.port, "/readyz")
        except (OSError, ValueError):
            return None
        return body if status == 200 else None

    def wait_until_ready(self) -> dict[str, Any]:
        try:
            return wait_until(self.readiness, timeout_s=STARTUP_DEADLINE_S, poll_s=0.1)
        except ConditionTimeout:
            pytest.fail(
                f"/readyz did not answer 200 in {STARTUP_DEADLINE_S} s:\n{self.log.read_text()}"
            )


@pytest.fixture
def start(image: Image, runner: Runner, tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Start the image's entry point with its ENV plus ``extra``, as the image's user would.

    Every process started is ended after the test (SIGTERM, then SIGKILL), pass or fail.
    """
    with Children() as children:

        def run(**extra: str) -> Running:
            port = free_port()
            env = {**image.env, **extra, "NOTIFIER_HTTP_PORT": str(port)}
            log = tmp_path / f"notifier-{len(children.started)}.log"
            with log.open("wb") as sink:
                process = children.popen(
                    resolve(image.argv, env),
                    env=env,
                    cwd=image.workdir,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    **runner.popen_kwargs,
                )
            return Running(process, port, env, log)

        yield run


def run_healthcheck(image: Image, running: Running, runner: Runner) -> int:
    """The image's HEALTHCHECK command, as Docker runs it: same env and user, its timeout."""
    with Children() as children:
        done = children.run(
            resolve(image.healthcheck, running.env),
            timeout_s=image.healthcheck_timeout_s,
            env=running.env,
            cwd=image.workdir,
            **runner.popen_kwargs,
        )
    return done.returncode


def stop(image: Image, running: Running) -> float:
    """STOPSIGNAL, then the seconds until the process exited."""
    started = time.monotonic()
    running.process.send_signal(image.stop_signal)
    running.process.wait(timeout=STOP_DEADLINE_S)
    return time.monotonic() - started


@pytest.mark.timeout(IMAGE_BUILD_TIMEOUT_S)
def test_image_recipe_serves_ready_as_unprivileged_user_against_redis_and_stops_on_sigterm(
    image: Image, runner: Runner, start: Callable[..., Running], redis_url: str
) -> None:
    """The compose deployment in miniature: if this fails, the container would too."""
    started = time.monotonic()
    # the test's redis-server keeps no AOF; compose's Redis does (appendonly yes)
    running = start(
        NOTIFIER_STORE_URL=redis_url,
        NOTIFIER_SIGNING_SECRET=SMOKE_SECRET,
        NOTIFIER_REDIS_ALLOW_VOLATILE="true",
    )
    assert resolve(image.argv, running.env)[0] == str(image.rebase("/opt/venv/bin/notifier"))

    readiness = running.wait_until_ready()
    ready_s = time.monotonic() - started
    assert {"store", "scheduler", "task_scheduler", "task_catch_up"} <= readiness["checks"].keys()
    assert all(readiness["checks"].values()), readiness
    assert get(running.port, "/healthz") == (200, {"status": "ok"})
    assert run_healthcheck(image, running, runner) == 0

    stop_s = stop(image, running)
    assert running.process.returncode == 0, running.log.read_text()
    assert run_healthcheck(image, running, runner) != 0, "the probe must fail once it is down"

    by_name = {e["event"]: e for e in running.events()}
    assert {"service_starting", "service_ready", "service_stopped"} <= set(by_name)
    # zones come from the venv's tzdata package alone; "unknown" would mean it is missing
    assert by_name["service_starting"]["tzdata"] != "unknown"
    assert by_name["service_starting"]["store"].startswith("redis://")
    print(
        f"\ncontainer recipe: venv + pip install {image.install_s:.1f} s, "
        f"ready {ready_s:.1f} s, SIGTERM to exit {stop_s:.2f} s, run as uid {runner.uid}"
    )


@pytest.mark.timeout(IMAGE_BUILD_TIMEOUT_S)
def test_image_without_redis_keeps_its_state_in_the_data_volume_as_the_images_user(
    image: Image, runner: Runner, start: Callable[..., Running]
) -> None:
    """A bare `docker run` uses the embedded store: it must be able to write the volume."""
    running = start()
    readiness = running.wait_until_ready()
    assert {"store", "scheduler", "task_scheduler", "task_catch_up"} <= readiness["checks"].keys()
    assert all(readiness["checks"].values()), readiness
    assert stop(image, running) < STOP_DEADLINE_S
    assert running.process.returncode == 0, running.log.read_text()

    data = Path(image.env["NOTIFIER_DATA_DIR"])
    assert data.is_relative_to(image.root)
    key = data / "signing.key"
    assert (data / "notifier.db").stat().st_uid == runner.uid
    assert key.stat().st_uid == runner.uid
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert list(image.workdir.iterdir()) == [], "nothing may be written to the WORKDIR"
