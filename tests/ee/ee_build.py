"""Build the execution environment (execution-environment.yml) for real, with podman, without a registry.

The shipped definition starts FROM Debian's official image (docker.io/library/debian:<codename>).
That image is a debootstrap --variant=minbase tree made by debuerreotype
(https://github.com/debuerreotype/debuerreotype, scripts/debuerreotype-init; its Dockerfile shows
`debootstrap --variant=minbase trixie /tmp/docker-rootfs` + `docker import` as the alternate way to
make the same base), so the stand-in is made the same way here, from the Debian mirror this machine's
apt uses (tests/vm/apt_sources.py), and imported with `podman import`:

  $INFEROPS_EE_CACHE (default /var/cache/inferops-ee)/
      base-<suite>-<key>/rootfs.tar      the tree, re-imported if podman's storage lost the image
      base-<suite>-<key>/recipe.json     what the key is the hash of (the stamp)
  podman image localhost/inferops-ee-base:<suite>-<key>

The key covers every input: the suite (read from the definition's base image tag), the variant, the
mirror and the Date of its Release file (a new point release makes a new base, so no cached
`apt-get update` layer outlives the packages it lists), and this machine's network settings the
base carries. Those settings make the container reach the package index the way this machine does:
its pip configuration (`pip config list`, files and PIP_* variables; only the keys about reaching
an index, never a local path) is written to the base's /etc/pip.conf (pip's global file on Linux),
the CA bundle it names is copied in, and apt's proxy (if any) goes to the base's apt.conf.d. Nothing
of it is written into the repository: it is read from the machine when the base is made. The base
is local test machinery; the shipped definition and a registry build never see it.

`ansible-builder build` then runs with the definition as shipped, the base overridden by
`--build-arg EE_BASE_IMAGE=<local tag>` (ansible-builder 3 renders `ARG EE_BASE_IMAGE`), podman as
the engine and these podman build options (--extra-build-cli-args):
  --network host             the build's RUN steps reach the mirror and the package index through
                             this machine's network and DNS;
  --pull=never               the local base is never looked up in a registry.
Podman runs the RUN steps with runc: Debian 12's podman 4.3 with crun failed on this machine's
cgroup v1/v2 hybrid layout; when podman's default runtime is not runc, CONTAINERS_CONF points
ansible-builder's podman at a containers.conf with engine.runtime = "runc" (podman build has no
--runtime flag of its own), and every podman command run here passes `--runtime runc`. `podman run`
asks runc for 1048576 open files and processes unless told otherwise, which runc cannot set where
root lacks CAP_SYS_RESOURCE (this machine), so run_limits() passes the hard limit of open files of
this process and podman build's own default for processes instead (`podman build` itself keeps
its defaults, 1024 open files and 32768 processes, which runc can set).

Subcommands (every stage prints its cost in seconds):
  base    make (or reuse) the local base image; print its tag.
  build   base (unless --base-image names another one, e.g. the shipped registry image), the
          collection tarball and `ansible-builder build` into --tag.

Standard library only (plus PyYAML, an ansible-builder dependency, to read the definition); runs as
root (debootstrap, podman's system storage).
"""

import argparse
import ast
import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load_apt_sources():
    """tests/vm/apt_sources.py (the machine's Debian mirror and apt proxy), without touching sys.path."""
    path = os.path.join(REPO, "tests", "vm", "apt_sources.py")
    spec = importlib.util.spec_from_file_location("inferops_apt_sources", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


apt_sources = _load_apt_sources()
DEFINITION = os.path.join(REPO, "execution-environment.yml")
DEFAULT_CACHE = "/var/cache/inferops-ee"
BASE_REPOSITORY = "localhost/inferops-ee-base"
DEFAULT_TAG = "localhost/inferops-amd-ee:latest"
# Bump when the way the base is made changes (part of the key).
RECIPE_VERSION = 1
# The official image's name, whose tag is the Debian codename the local base is made of.
OFFICIAL_DEBIAN = re.compile(r"^(?:docker\.io/)?(?:library/)?debian:(?P<suite>[a-z]+)$")
# pip settings about reaching a package index (pip's configuration keys: `pip config list` prints them
# without their leading dashes). Anything else (constraints, find-links to local folders) stays out.
PIP_NETWORK_KEYS = ("index-url", "extra-index-url", "trusted-host", "proxy", "cert", "client-cert", "timeout",
                    "default-timeout", "retries")
PIP_FILE_KEYS = ("cert", "client-cert")
PIP_URL_KEYS = ("index-url", "extra-index-url")
# Where the base keeps the files its settings name (the local base only).
BASE_SHARE = "/usr/local/share/inferops-ee"
# podman build's own default for a RUN step's process limit (`podman build --help`: --ulimit default
# [nproc=32768:32768]); `podman run` would ask for 1048576, which runc cannot set here.
RUN_NPROC = 32768


class Unavailable(Exception):
    """This machine cannot build the image (the reason says what is missing)."""


def say(message, prefix="ee"):
    print("%s: %s" % (prefix, message), flush=True)


@contextlib.contextmanager
def stage(label, prefix="ee"):
    """Prints what a stage cost, also when it fails."""
    started = time.monotonic()
    try:
        yield
    finally:
        say("%s: %.1f s" % (label, time.monotonic() - started), prefix)


def shown(path):
    """A path as short as it is clear: relative below the current folder, else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def cache_root():
    return os.environ.get("INFEROPS_EE_CACHE", DEFAULT_CACHE)


def missing_tools(local_base=True):
    """Why this machine cannot build the image here, or None (local_base: the base is made here too)."""
    tools = ("podman", "runc", "debootstrap", "tar") if local_base else ("podman", "runc")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        return "missing %s (Debian: apt-get install %s)" % (", ".join(missing), " ".join(
            "podman runc debootstrap tar".split() if local_base else ["podman", "runc"]))
    if os.geteuid() != 0:
        return "not root: debootstrap and podman's system storage need root"
    return None


def run(argv, log=None, env=None, cwd=None):
    """Runs a command; its output goes to `log` (a path) or is captured; a failure shows its tail."""
    if log:
        with open(log, "ab") as handle:
            handle.write(("\n$ %s\n" % " ".join(shlex.quote(arg) for arg in argv)).encode())
            handle.flush()
            proc = subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=cwd, check=False)
        if proc.returncode != 0:
            with open(log, "rb") as handle:
                tail = handle.read()[-6000:].decode("utf-8", "replace")
            raise RuntimeError("%s failed (exit %d); the end of %s:\n%s" % (argv[0], proc.returncode, log, tail))
        return proc
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s\n%s" % (" ".join(argv), proc.returncode, proc.stdout[-3000:],
                                                             proc.stderr[-3000:]))
    return proc


def podman(*args):
    """argv of a podman command with the runtime this machine needs."""
    return ["podman", "--runtime", "runc"] + list(args)


def run_limits():
    """--ulimit options for `podman run` (see the module's docstring)."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = RUN_NPROC if nproc == resource.RLIM_INFINITY else min(nproc, RUN_NPROC)
    return ["--ulimit", "nofile=%d:%d" % (nofile, nofile), "--ulimit", "nproc=%d:%d" % (nproc, nproc)]


# ---------------------------------------------------------------- the definition

def load_definition(path=DEFINITION):
    """The definition as data. PyYAML is not in the standard library: ansible-builder's venv has it."""
    import yaml  # pylint: disable=import-outside-toplevel
    with open(path, "r", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def shipped_base(definition):
    return definition["images"]["base_image"]["name"]


def debian_suite(base_image):
    """The Debian codename of the official image's tag (the local base can only stand in for that)."""
    match = OFFICIAL_DEBIAN.match(base_image)
    if not match:
        raise Unavailable("the definition's base image %r is not Debian's official image "
                          "(docker.io/library/debian:<codename>): no local stand-in can be made for it" % base_image)
    return match.group("suite")


# ---------------------------------------------------------------- this machine's network settings

def host_pip_settings(python=sys.executable):
    """({key: value} about reaching an index, [what was left out]) from this machine's pip configuration.

    `pip config list` prints every file's and the PIP_* variables' settings ("global.cert='...'",
    ":env:.default-timeout='180'") in the order pip applies them, the variables last.
    """
    proc = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False)
    settings, left_out = {}, []
    for line in proc.stdout.splitlines():
        match = re.match(r"^(?P<section>[^.]*)\.(?P<key>[^=]+)=(?P<value>.*)$", line.strip())
        if not match or match.group("section") not in ("global", "install", ":env:"):
            continue
        key = match.group("key")
        try:
            value = ast.literal_eval(match.group("value"))
        except (ValueError, SyntaxError):
            value = match.group("value").strip("'\"")
        if key not in PIP_NETWORK_KEYS:
            left_out.append(key)
            continue
        if key in PIP_URL_KEYS:
            urls = [url for url in value.split() if url.startswith(("http://", "https://"))]
            if len(urls) != len(value.split()):
                left_out.append(key + " (local paths)")
            if not urls:
                continue
            value = " ".join(urls)
        settings[key] = value
    return settings, sorted(set(left_out))


def network_files(settings):
    """{path in the base: (host path, content)} of the files the pip settings name, and the settings
    rewritten to name them there."""
    files, rewritten = {}, dict(settings)
    for key in PIP_FILE_KEYS:
        if key in settings:
            with open(settings[key], "rb") as handle:
                content = handle.read()
            target = "%s/pip-%s.pem" % (BASE_SHARE, key)
            files[target] = content
            rewritten[key] = target
    return files, rewritten


def pip_conf_text(settings):
    lines = ["# This machine's pip settings for reaching a package index (tests/ee/ee_build.py; local base only)",
             "[global]"]
    lines += ["%s = %s" % (key, settings[key]) for key in sorted(settings)]
    return "\n".join(lines) + "\n"


def apt_conf_text(proxy):
    if not proxy:
        return None
    return ("// This machine's apt proxy (tests/ee/ee_build.py; local base only)\n"
            'Acquire::http::Proxy "%s";\n' % proxy)


def release_date(mirror, suite, proxy):
    """The Date of the suite's Release file on the mirror (debuerreotype-init reads the same field)."""
    handlers = [urllib.request.ProxyHandler({"http": proxy})] if proxy else []
    opener = urllib.request.build_opener(*handlers)
    with opener.open("%s/dists/%s/Release" % (mirror, suite), timeout=60) as response:
        for raw in response:
            line = raw.decode("utf-8", "replace")
            if line.startswith("Date:"):
                return line.split(":", 1)[1].strip()
            if not line.strip():
                break
    raise RuntimeError("no Date in %s/dists/%s/Release" % (mirror, suite))


# ---------------------------------------------------------------- the local base image

class Base:
    """A local Debian base image made by debootstrap: its recipe, key, cache folder and tag.

    As made for the EE (the defaults) it stands in for the definition's base image. Other test hosts
    (tests/debian_unstable/host.py) ask for more: ``include`` (debootstrap --include: packages of an
    installed system), ``apt_settings`` (apt.conf lines), ``keep_lists`` (the package lists stay, as
    on an installed system) and their own ``repository`` and ``cache``; each of those enters the
    recipe only when set, so the EE's key does not change with them.
    """

    def __init__(self, suite, cache=None, mirror=None, include=(), apt_settings=(), keep_lists=False,
                 repository=BASE_REPOSITORY):
        self.suite = suite
        self.cache = cache or cache_root()
        self.repository = repository
        self.include = sorted(include)
        self.apt_settings = list(apt_settings)
        self.keep_lists = keep_lists
        self.mirror = (mirror or os.environ.get("INFEROPS_EE_MIRROR") or apt_sources.debian_mirror(suite)).rstrip("/")
        self.proxy = apt_sources.apt_http_proxy()
        settings, self.pip_left_out = host_pip_settings()
        self.files, self.pip_settings = network_files(settings)
        self.recipe = {
            "version": RECIPE_VERSION,
            "suite": suite,
            "variant": "minbase",
            "mirror": self.mirror,
            "release_date": release_date(self.mirror, suite, self.proxy),
            "pip_conf": pip_conf_text(self.pip_settings),
            "apt_conf": apt_conf_text(self.proxy),
            "files": dict((path, hashlib.sha256(content).hexdigest()) for path, content in sorted(self.files.items())),
        }
        if self.include:
            self.recipe["include"] = self.include
        if self.apt_settings:
            self.recipe["apt_settings"] = self.apt_settings
        if self.keep_lists:
            self.recipe["keep_lists"] = True
        self.key = hashlib.sha256(json.dumps(self.recipe, sort_keys=True).encode()).hexdigest()[:16]
        self.name = "base-%s-%s" % (suite, self.key)
        self.path = os.path.join(self.cache, self.name)
        self.tag = "%s:%s-%s" % (self.repository, suite, self.key)

    def is_cached(self):
        return os.path.exists(os.path.join(self.path, "COMPLETE"))

    def image_exists(self):
        return subprocess.run(["podman", "image", "exists", self.tag], check=False).returncode == 0

    def ensure(self):
        """Make, re-import or reuse the base image; returns its tag. Prints what it cost."""
        os.makedirs(self.cache, exist_ok=True)
        with open(os.path.join(self.cache, ".lock"), "w", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            started = time.monotonic()
            if self.is_cached() and self.image_exists():
                say("base image cached: %s (%.1f s)" % (self.tag, time.monotonic() - started))
                return self.tag
            if not self.is_cached():
                self.make()
            self.import_image()
            self.prune()
            say("base image ready: %s (%.1f s in all)" % (self.tag, time.monotonic() - started))
            return self.tag

    def make(self):
        work = tempfile.mkdtemp(prefix="build-", dir=self.cache)
        try:
            tree = os.path.join(work, "rootfs")
            log = os.path.join(work, "debootstrap.log")
            env = dict(os.environ)
            if self.proxy and not env.get("http_proxy"):
                env["http_proxy"] = self.proxy
            with stage("debootstrap --variant=minbase %s (Debian mirror %s)" % (self.suite, self.mirror)):
                # debuerreotype-init's options: minbase, merged /usr, the archive's signature checked
                include = ["--include=" + ",".join(self.include)] if self.include else []
                argv = ["debootstrap", "--force-check-gpg", "--variant=minbase", "--merged-usr"] + include
                run(argv + [self.suite, tree, self.mirror], log=log, env=env)
            self.configure(tree)
            with stage("base tree -> rootfs.tar"):
                run(["tar", "--numeric-owner", "--xattrs", "-C", tree, "-cf", os.path.join(work, "rootfs.tar"), "."])
            shutil.rmtree(tree)
            with open(os.path.join(work, "recipe.json"), "w", encoding="utf-8") as handle:
                json.dump(self.recipe, handle, indent=2, sort_keys=True)
            with open(os.path.join(work, "COMPLETE"), "w", encoding="utf-8") as handle:
                handle.write(self.tag + "\n")
            if os.path.exists(self.path):
                shutil.rmtree(self.path)
            os.rename(work, self.path)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def configure(self, tree):
        """Like the official image: no package lists (apt-get update comes first) unless keep_lists;
        plus this machine's network settings (see the module's docstring) and the apt settings asked for."""
        for folder in ("var/cache/apt",) if self.keep_lists else ("var/lib/apt/lists", "var/cache/apt"):
            for name in os.listdir(os.path.join(tree, folder)):
                path = os.path.join(tree, folder, name)
                if os.path.isfile(path):
                    os.unlink(path)
        for name in os.listdir(os.path.join(tree, "var/cache/apt/archives")):
            if name.endswith(".deb"):
                os.unlink(os.path.join(tree, "var/cache/apt/archives", name))

        def write(rel, content):
            path = os.path.join(tree, rel.lstrip("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(content if isinstance(content, bytes) else content.encode())
            os.chmod(path, 0o644)

        for path, content in self.files.items():
            write(path, content)
        if self.pip_settings:
            write("/etc/pip.conf", self.recipe["pip_conf"])
        if self.recipe["apt_conf"]:
            write("/etc/apt/apt.conf.d/50inferops-ee-proxy", self.recipe["apt_conf"])
        if self.apt_settings:
            lines = ["// tests/ee/ee_build.py Base(apt_settings)"] + self.apt_settings
            write("/etc/apt/apt.conf.d/50inferops-test-host", "".join(line + "\n" for line in lines))
        say("base carries this machine's pip settings: %s%s" % (
            ", ".join(sorted(self.pip_settings)) or "none",
            "; left out: " + ", ".join(self.pip_left_out) if self.pip_left_out else ""))

    def import_image(self):
        with stage("podman import -> %s" % self.tag):
            run(podman("import", "--change", 'CMD ["/bin/bash"]', "--message", "debootstrap --variant=minbase " +
                       self.suite, os.path.join(self.path, "rootfs.tar"), self.tag))

    def prune(self):
        """Bases of other recipes are never used again: their folders and images go."""
        for name in os.listdir(self.cache):
            if name.startswith("base-") and name != self.name and os.path.isdir(os.path.join(self.cache, name)):
                old_tag = "%s:%s" % (self.repository, name[len("base-"):])
                say("removing the base of an older recipe: %s" % old_tag)
                shutil.rmtree(os.path.join(self.cache, name), ignore_errors=True)
                subprocess.run(["podman", "rmi", "--force", old_tag], capture_output=True, check=False)


# ---------------------------------------------------------------- the execution environment

def builder_env():
    """ansible-builder's environment: none of this checkout's Ansible settings; this venv's tools first."""
    env = dict((name, value) for name, value in os.environ.items() if not name.startswith("ANSIBLE_"))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def default_runtime():
    proc = subprocess.run(["podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip()


def build(definition_path, work, tag, base_image=None, log=None):
    """Tarball + `ansible-builder build` of `definition_path` into `tag`; returns {stage: seconds}.

    The tarball goes where the definition's additional_build_files expects it (relative to the
    definition's folder); the context and the build log go to `work`.
    """
    reason = missing_tools(local_base=not base_image)
    if reason:
        raise Unavailable(reason)
    costs = {}
    definition = load_definition(definition_path)
    started = time.monotonic()
    if base_image:
        pull = []
        say("base image %s (pulled by podman if it is not here)" % base_image)
    else:
        base_image = Base(debian_suite(shipped_base(definition))).ensure()
        pull = ["--pull=never"]
    costs["base"] = time.monotonic() - started

    os.makedirs(work, exist_ok=True)
    log = log or os.path.join(work, "build.log")
    if os.path.exists(log):
        os.unlink(log)
    top = os.path.dirname(os.path.abspath(definition_path))
    tarball = os.path.join(top, definition["additional_build_files"][0]["src"])
    started = time.monotonic()
    with stage("collection tarball -> %s" % shown(tarball)):
        dist = tempfile.mkdtemp(prefix="dist-", dir=work)
        run([os.path.join(os.path.dirname(sys.executable), "ansible-galaxy"), "collection", "build", "--output-path",
             dist, REPO], log=log, env=builder_env(), cwd=dist)
        os.makedirs(os.path.dirname(tarball), exist_ok=True)
        shutil.move(os.path.join(dist, os.listdir(dist)[0]), tarball)
        shutil.rmtree(dist)
    costs["tarball"] = time.monotonic() - started

    env = builder_env()
    if default_runtime() != "runc":
        conf = os.path.join(work, "containers.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write('[engine]\nruntime = "runc"\n')
        env["CONTAINERS_CONF"] = conf
        say("podman's default runtime is not runc: CONTAINERS_CONF=%s" % conf)
    extra = ["--network", "host"] + pull
    # podman's layer cache is keyed on each step and what it copies: a changed definition or tarball
    # rebuilds from there on. INFEROPS_EE_NO_CACHE=1 rebuilds every step.
    no_cache = ["--no-cache"] if os.environ.get("INFEROPS_EE_NO_CACHE") == "1" else []
    previous = image_id(tag)
    started = time.monotonic()
    with stage("ansible-builder build -> %s (log: %s)" % (tag, shown(log))):
        run([os.path.join(os.path.dirname(sys.executable), "ansible-builder"), "build", "-v", "3",
             "-f", os.path.abspath(definition_path), "-c", os.path.join(work, "context"), "-t", tag,
             "--container-runtime", "podman", "--build-arg", "EE_BASE_IMAGE=" + base_image] + no_cache +
            ["--extra-build-cli-args", " ".join(shlex.quote(arg) for arg in extra)], log=log, env=env, cwd=top)
    costs["build"] = time.monotonic() - started
    if previous and previous != image_id(tag):
        # the image this tag named before, with the layers only it used (podman keeps the rest)
        subprocess.run(["podman", "rmi", previous], capture_output=True, check=False)
    return costs


def image_id(tag):
    proc = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", tag], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("base", "build"))
    parser.add_argument("--definition", default=DEFINITION)
    parser.add_argument("--work", default=os.path.join(REPO, ".build", "ee"), help="context and log (build)")
    parser.add_argument("--tag", default=DEFAULT_TAG)
    parser.add_argument("--base-image", help="build FROM this image instead of the local base (e.g. the shipped one)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.command == "base":
            reason = missing_tools()
            if reason:
                raise Unavailable(reason)
            print(Base(debian_suite(shipped_base(load_definition(args.definition)))).ensure())
        else:
            build(args.definition, args.work, args.tag, args.base_image)
            say("image %s built in %.1f s" % (args.tag, time.monotonic() - started))
    except Unavailable as err:
        say("cannot build here: %s" % err)
        return 2
    except RuntimeError as err:
        say(str(err))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
