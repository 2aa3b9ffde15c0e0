#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# packaging/container and packaging/kubernetes: the image and DaemonSet as checkable text.
#
#   test_manifests.py SRCDIR BUILDDIR SENTINEL_DP SENTINEL_CP
#
# No container runs here (no Docker daemon, no cluster): this checks what
# can be checked without one.  Every YAML document parses; the DaemonSet
# has the security properties the design needs (sentinel-dp: root with
# exactly CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON; sentinel-cp: non-root, no
# capabilities; read-only roots, no privilege escalation, RuntimeDefault
# seccomp, host network, resources), the two containers agree with each
# other and with the ConfigMap's sentinel.yaml (socket directory, pin
# directory, interfaces, the cp uid that sentinel-dp's -u admits, the API
# port the HTTPS probes use, TLS files from a Secret), the ConfigMap is
# mounted as a directory (a subPath mount never sees updates) and its
# sentinel.yaml passes `sentinel-cp --check`; the Dockerfile is multi-stage,
# its runtime stage installs the Debian package of every shared library the
# installed binaries need (ldd of a `meson install --destdir` of BUILDDIR,
# mapped with dpkg -S) and no build tool, and ends on a non-root USER.
# Each check is run once more against a broken copy of the manifests and
# must then fail (--self-test coverage).  kubectl (offline: typed decoding,
# unknown fields, kustomize) and yamllint add checks when installed.
# Exit 77 (skipped) without python3-yaml.

import copy
import fnmatch
import glob
import ipaddress
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml not installed (apt-get install python3-yaml)")
    sys.exit(77)

DP_CAPS = {"BPF", "NET_ADMIN", "PERFMON"}
INIT_CAPS_ALLOWED = {"CHOWN", "FOWNER"}  # preparing the store's directory
BUILD_TOOLS = {"gcc", "cc", "clang", "llvm", "make", "meson", "ninja-build",
               "pkg-config", "pkgconf", "bpftool", "flatbuffers-compiler",
               "python3", "cpp", "binutils", "build-essential", "git"}
NAMESPACED = {"ServiceAccount", "ConfigMap", "Secret", "DaemonSet",
              "Service", "Role", "RoleBinding"}

passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print(f"ok {passed + failed} - {msg}")


def fail(msg, problems=()):
    global failed
    failed += 1
    print(f"not ok {passed + failed} - {msg}")
    for p in problems:
        print(f"#   {p}")


def report(msg, problems):
    if problems:
        fail(msg, problems)
    else:
        ok(msg)


# ---- reading ----

def load_manifests(kdir):
    """{file: [documents]} of every *.yaml in kdir."""
    out = {}
    for path in sorted(glob.glob(os.path.join(kdir, "*.yaml"))):
        with open(path) as f:
            out[os.path.basename(path)] = [d for d in yaml.safe_load_all(f)
                                           if d is not None]
    return out


def dockerfile_stages(path):
    """[{from, name, instrs: [(INSTR, args)]}] with continuation lines joined."""
    lines, cur = [], ""
    with open(path) as f:
        for raw in f:
            s = raw.rstrip("\n")
            if not cur and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if cur and s.lstrip().startswith("#"):
                continue  # a comment line inside a continuation
            if s.endswith("\\"):
                cur += s[:-1] + " "
                continue
            lines.append(cur + s)
            cur = ""
    stages = []
    for line in lines:
        instr, _, args = line.strip().partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"from": words[0], "name": name, "instrs": []})
        elif stages:
            stages[-1]["instrs"].append((instr, args.strip()))
    return stages


def apt_packages(stage):
    """Packages named by `apt-get install` in the stage's RUN lines."""
    pkgs = []
    for instr, args in stage["instrs"]:
        if instr != "RUN":
            continue
        toks = shlex.split(args)
        i = 0
        while i < len(toks):
            if toks[i] in ("apt-get", "apt") and i + 1 < len(toks) and toks[i + 1] == "install":
                i += 2
                while i < len(toks) and toks[i] not in ("&&", ";", "||"):
                    if not toks[i].startswith("-"):
                        pkgs.append(toks[i])
                    i += 1
            i += 1
    return pkgs


def quantity(q):
    """A Kubernetes quantity as a float (cpu cores or bytes)."""
    s = str(q)
    units = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10,
             "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    m = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", s)
    if not m or (m.group(2) and m.group(2) not in units):
        raise ValueError(f"not a quantity: {q!r}")
    return float(m.group(1)) * units.get(m.group(2), 1)


# ---- the model the checks read ----

class Model:
    def __init__(self, manifests, stages, version, meson_hints):
        self.manifests = manifests
        self.stages = stages
        self.version = version
        self.meson_hints = meson_hints
        self.docs = [(f, d) for f, ds in manifests.items() for d in ds]

    def of_kind(self, kind):
        return [d for f, d in self.docs if isinstance(d, dict) and d.get("kind") == kind]

    def one(self, kind):
        objs = self.of_kind(kind)
        return objs[0] if len(objs) == 1 else None

    @property
    def ds(self):
        return self.one("DaemonSet") or {}

    @property
    def pod(self):
        return (((self.ds.get("spec") or {}).get("template") or {}).get("spec")) or {}

    def containers(self, init=False):
        return self.pod.get("initContainers" if init else "containers") or []

    def container(self, name):
        for c in self.containers():
            if c.get("name") == name:
                return c
        return {}

    def volume(self, name):
        for v in self.pod.get("volumes") or []:
            if v.get("name") == name:
                return v
        return {}

    def mount_at(self, c, path):
        for m in c.get("volumeMounts") or []:
            if m.get("mountPath") == path:
                return m
        return None

    def config(self):
        cm = self.one("ConfigMap") or {}
        text = (cm.get("data") or {}).get("sentinel.yaml")
        return yaml.safe_load(text) if text else None


def sc(c, pod=None):
    return c.get("securityContext") or {}


def dp_args(m):
    """sentinel-dp's options: {letter: [values]}; unknown options under '?'."""
    c = m.container("sentinel-dp")
    args = list(c.get("args") or [])
    cmd = list(c.get("command") or [])
    if len(cmd) > 1:
        args = cmd[1:] + args
    opts = {}
    i = 0
    while i < len(args):
        a = args[i]
        if re.fullmatch(r"-[imbsugl]", a) and i + 1 < len(args):
            opts.setdefault(a[1], []).append(str(args[i + 1]))
            i += 2
        else:
            opts.setdefault("?", []).append(a)
            i += 1
    return opts


# ---- checks: each returns a list of problems ----

def check_objects(m):
    p = []
    for f, d in m.docs:
        if not isinstance(d, dict):
            p.append(f"{f}: a document that is not a mapping")
            continue
        if d.get("kind") == "Kustomization":
            continue
        for key in ("apiVersion", "kind"):
            if not d.get(key):
                p.append(f"{f}: no {key}")
        if not (d.get("metadata") or {}).get("name"):
            p.append(f"{f}: {d.get('kind')} without metadata.name")
    for kind in ("Namespace", "ServiceAccount", "ConfigMap", "DaemonSet"):
        if len(m.of_kind(kind)) != 1:
            p.append(f"expected exactly one {kind}, found {len(m.of_kind(kind))}")
    ns = ((m.one("Namespace") or {}).get("metadata") or {}).get("name")
    for f, d in m.docs:
        if isinstance(d, dict) and d.get("kind") in NAMESPACED:
            got = (d.get("metadata") or {}).get("namespace")
            if got != ns:
                p.append(f"{f}: {d['kind']} {d['metadata'].get('name')} in namespace {got!r}, not {ns!r}")
    for s in m.of_kind("Secret"):
        if s.get("data") or s.get("stringData"):
            p.append(f"Secret {s['metadata'].get('name')} carries data: secrets never go into the manifests")
    kust = m.manifests.get("kustomization.yaml")
    if kust:
        res = set(kust[0].get("resources") or [])
        files = set(m.manifests) - {"kustomization.yaml"}
        if res != files:
            p.append(f"kustomization.yaml resources {sorted(res)} != the files {sorted(files)}")
    return p


def check_pod(m):
    p = []
    pod, ds = m.pod, m.ds
    if pod.get("hostNetwork") is not True:
        p.append("hostNetwork is not true (XDP on the node's interfaces, rtnetlink)")
    if pod.get("hostNetwork") and pod.get("dnsPolicy") != "ClusterFirstWithHostNet":
        p.append("dnsPolicy is not ClusterFirstWithHostNet")
    if pod.get("enableServiceLinks") is not False:
        p.append("enableServiceLinks is not false: a Service named sentinel-api would set SENTINEL_API_PORT, which sentinel-cp reads")
    for k in ("hostPID", "hostIPC"):
        if pod.get(k):
            p.append(f"{k} is true")
    sa = m.one("ServiceAccount") or {}
    if pod.get("serviceAccountName") != (sa.get("metadata") or {}).get("name"):
        p.append("serviceAccountName does not name the ServiceAccount")
    if pod.get("automountServiceAccountToken") is not False and sa.get("automountServiceAccountToken") is not False:
        p.append("a service account token is mounted (nothing here talks to the API server)")
    ru = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    if str(ru.get("maxSurge", 0)) not in ("0", "0%"):
        p.append("maxSurge > 0: two sentinel-dp on one node would drive the same pins")
    sel = ((ds.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    labels = (((ds.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not sel or any(labels.get(k) != v for k, v in sel.items()):
        p.append("the selector does not match the template's labels")
    return p


def check_containers(m):
    """What every container, init containers included, must have."""
    p = []
    pod_seccomp = ((m.pod.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
    images = set()
    all_c = m.containers(init=True) + m.containers()
    if not m.containers():
        p.append("no containers")
    for c in all_c:
        n = c.get("name")
        s = sc(c)
        images.add(c.get("image"))
        if s.get("privileged"):
            p.append(f"{n}: privileged")
        if s.get("allowPrivilegeEscalation") is not False:
            p.append(f"{n}: allowPrivilegeEscalation is not false")
        if s.get("readOnlyRootFilesystem") is not True:
            p.append(f"{n}: readOnlyRootFilesystem is not true")
        if (s.get("capabilities") or {}).get("drop") != ["ALL"]:
            p.append(f"{n}: capabilities.drop is not [ALL]")
        if ((s.get("seccompProfile") or {}).get("type") or pod_seccomp) != "RuntimeDefault":
            p.append(f"{n}: seccomp profile is not RuntimeDefault")
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in (res.get(kind) or {}):
                    p.append(f"{n}: no resources.{kind}.{r}")
        for r in ("cpu", "memory"):
            try:
                if quantity(res["requests"][r]) > quantity(res["limits"][r]):
                    p.append(f"{n}: {r} request above its limit")
            except (KeyError, TypeError, ValueError):
                pass
    for c in m.containers(init=True):
        add = set((sc(c).get("capabilities") or {}).get("add") or [])
        if not add <= INIT_CAPS_ALLOWED:
            p.append(f"init container {c.get('name')}: capabilities {sorted(add - INIT_CAPS_ALLOWED)} beyond {sorted(INIT_CAPS_ALLOWED)}")
    if len(images) != 1:
        p.append(f"the containers use different images: {sorted(map(str, images))}")
    elif all_c:
        img = images.pop() or ""
        tag = img.rsplit(":", 1)[1] if ":" in img.rsplit("/", 1)[-1] else ""
        if tag != m.version:
            p.append(f"image {img}: tag is not the project's version {m.version}")
    return p


def check_dp(m):
    p = []
    c = m.container("sentinel-dp")
    if not c:
        return ["no sentinel-dp container"]
    s = sc(c)
    add = set((s.get("capabilities") or {}).get("add") or [])
    if add != DP_CAPS:
        p.append(f"sentinel-dp capabilities {sorted(add)} != {sorted(DP_CAPS)}")
    if s.get("runAsUser") != 0:
        p.append("sentinel-dp does not run as uid 0 (its pins and socket directory are root's)")
    o = dp_args(m)
    for k in ("?",):
        if k in o:
            p.append(f"sentinel-dp: unexpected arguments {o[k]}")
    for k in ("i", "b", "s", "u"):
        if k not in o:
            p.append(f"sentinel-dp: no -{k}")
    cfg = m.config() or {}
    agent = cfg.get("agent") or {}
    cpc = m.container("sentinel-cp")
    cps = sc(cpc)
    # the socket directory: -s, both mounts, agent.socket_dir
    sock = (o.get("s") or [None])[-1]
    if sock:
        md, mc = m.mount_at(c, sock), m.mount_at(cpc, sock)
        if not md or not mc:
            p.append(f"the socket directory {sock} (-s) is not mounted in both containers")
        elif md.get("name") != mc.get("name"):
            p.append(f"{sock} is a different volume in the two containers")
        elif md.get("readOnly") or mc.get("readOnly"):
            p.append(f"{sock} is mounted read-only")
        if agent.get("socket_dir", "/run/sentinel") != sock:
            p.append(f"agent.socket_dir {agent.get('socket_dir')} != sentinel-dp's -s {sock}")
    # the pins: -b on the host's bpffs, mount propagation
    pins = (o.get("b") or [None])[-1]
    if pins:
        bm = [mt for mt in c.get("volumeMounts") or []
              if pins == mt.get("mountPath") or pins.startswith(mt.get("mountPath", "").rstrip("/") + "/")]
        vol = m.volume(bm[0]["name"]) if bm else {}
        if not bm or (vol.get("hostPath") or {}).get("path") != "/sys/fs/bpf":
            p.append(f"-b {pins} is not on a hostPath mount of the host's /sys/fs/bpf (pins would die with the container)")
        elif bm[0].get("mountPropagation") not in ("HostToContainer", "Bidirectional"):
            p.append("the bpffs mount has no mountPropagation (HostToContainer)")
        elif (bm[0]["mountPath"] + "/").startswith("/sys/"):
            p.append(f"bpffs mounted at {bm[0]['mountPath']}: the runtimes' default AppArmor profiles deny writes (pins) under /sys/fs")
        if agent.get("bpffs_dir", "/sys/fs/bpf/sentinel") != pins:
            p.append(f"agent.bpffs_dir {agent.get('bpffs_dir')} != sentinel-dp's -b {pins}")
    # interfaces and mode: sentinel-dp reads no YAML
    if sorted(o.get("i") or []) != sorted(agent.get("interfaces") or []):
        p.append(f"sentinel-dp -i {o.get('i')} != agent.interfaces {agent.get('interfaces')}")
    if (o.get("m") or ["auto"])[-1] != agent.get("xdp_mode", "auto"):
        p.append(f"sentinel-dp -m {o.get('m')} != agent.xdp_mode {agent.get('xdp_mode')}")
    # the control plane's uid and gid
    if [str(cps.get("runAsUser"))] != (o.get("u") or []):
        p.append(f"sentinel-dp -u {o.get('u')} does not admit sentinel-cp's uid {cps.get('runAsUser')}")
    gid = (o.get("g") or [None])[-1]
    if gid is None or str(cps.get("runAsGroup")) != gid:
        p.append(f"sentinel-dp -g {gid} is not sentinel-cp's gid {cps.get('runAsGroup')}")
    else:
        psc = m.pod.get("securityContext") or {}
        groups = {str(g) for g in psc.get("supplementalGroups") or []}
        groups |= {str(psc.get("fsGroup")), str(s.get("runAsGroup"))}
        if gid not in groups:
            p.append(f"sentinel-dp is not a member of group {gid}: without CAP_CHOWN it cannot give the socket directory that group")
    for name in ("config", "tls", "state"):
        if any(mt.get("name") == name for mt in c.get("volumeMounts") or []):
            p.append(f"sentinel-dp mounts '{name}', which only sentinel-cp needs")
    return p


def check_cp(m):
    p = []
    c = m.container("sentinel-cp")
    if not c:
        return ["no sentinel-cp container"]
    s = sc(c)
    if s.get("runAsNonRoot") is not True:
        p.append("sentinel-cp: runAsNonRoot is not true")
    if not isinstance(s.get("runAsUser"), int) or s.get("runAsUser") <= 0:
        p.append("sentinel-cp: runAsUser is not a non-zero uid")
    if (s.get("capabilities") or {}).get("add"):
        p.append(f"sentinel-cp adds capabilities {s['capabilities']['add']}")
    args = [str(a) for a in (c.get("command") or [])[1:] + (c.get("args") or [])]
    cfg_path = args[args.index("-c") + 1] if "-c" in args[:-1] else "/etc/sentinel/sentinel.yaml"
    cfg = m.config()
    cm = m.one("ConfigMap") or {}
    # the ConfigMap: a directory mount, never subPath
    cdir, cfile = os.path.dirname(cfg_path), os.path.basename(cfg_path)
    mt = m.mount_at(c, cdir)
    vol = m.volume(mt["name"]) if mt else {}
    if not mt or not vol.get("configMap"):
        p.append(f"the configuration's directory {cdir} is not a ConfigMap volume mount")
    else:
        if vol["configMap"].get("name") != (cm.get("metadata") or {}).get("name"):
            p.append("the config volume does not name the ConfigMap")
        items = vol["configMap"].get("items")
        if items and not any(i.get("path") == cfile and i.get("key") in (cm.get("data") or {}) for i in items):
            p.append(f"the config volume's items do not give {cfile}")
        if not items and cfile not in (cm.get("data") or {}):
            p.append(f"the ConfigMap has no key {cfile}")
    for cc in m.containers(init=True) + m.containers():
        for x in cc.get("volumeMounts") or []:
            v = m.volume(x.get("name"))
            if x.get("subPath") or x.get("subPathExpr"):
                if v.get("configMap") or v.get("secret") or v.get("projected"):
                    p.append(f"{cc.get('name')}: {x['name']} mounted with subPath: kubelet never updates it")
    if cfg is None:
        return p + ["the ConfigMap's sentinel.yaml does not parse"]
    api, tls, agent = cfg.get("api") or {}, cfg.get("tls") or {}, cfg.get("agent") or {}
    auth = cfg.get("auth") or {}
    # probes: HTTPS on the API's port
    ports = {pt.get("name"): pt.get("containerPort") for pt in c.get("ports") or []}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        hg = (c.get(probe) or {}).get("httpGet") or {}
        port = hg.get("port")
        port = ports.get(port, port) if isinstance(port, str) else port
        if hg.get("path") != path:
            p.append(f"{probe} does not GET {path}")
        if hg.get("scheme") != "HTTPS":
            p.append(f"{probe} is not HTTPS")
        if port != api.get("port", 8443):
            p.append(f"{probe} port {hg.get('port')} is not api.port {api.get('port', 8443)}")
    if tls.get("enabled", True) is not True:
        p.append("tls.enabled is false: the probes speak HTTPS")
    # TLS files from a Secret mounted read-only
    for key in ("cert_path", "key_path"):
        f = tls.get(key)
        x = m.mount_at(c, os.path.dirname(f)) if f else None
        v = m.volume(x["name"]) if x else {}
        if not x or not v.get("secret"):
            p.append(f"tls.{key} {f} is not in a Secret volume")
            continue
        if not x.get("readOnly"):
            p.append(f"the Secret at {x['mountPath']} is not mounted read-only")
        items = v["secret"].get("items")
        names = [i.get("path") for i in items] if items else ["tls.crt", "tls.key"]
        if os.path.basename(f) not in names:
            p.append(f"tls.{key}: {os.path.basename(f)} is not a file of the Secret (kubernetes.io/tls: tls.crt, tls.key)")
    # the store: writable, prepared for the uid when it is a hostPath
    st = agent.get("state_dir", "/var/lib/sentinel")
    x = m.mount_at(c, st)
    if not x or x.get("readOnly"):
        p.append(f"agent.state_dir {st} is not a writable mount")
    elif m.volume(x["name"]).get("hostPath"):
        prep = [ic for ic in m.containers(init=True)
                if any(y.get("name") == x["name"] for y in ic.get("volumeMounts") or [])
                and str(s.get("runAsUser")) in " ".join(map(str, (ic.get("command") or []) + (ic.get("args") or [])))]
        if not prep:
            p.append(f"the hostPath {st} is root's: no init container gives it to uid {s.get('runAsUser')}")
    if not m.mount_at(c, "/tmp"):
        p.append("no writable /tmp (SQLite's temporary files; the root is read-only)")
    # off loopback only with auth; API keys only as hashes
    env = {e.get("name"): e for e in c.get("env") or []}
    bind = api.get("bind_address", "127.0.0.1")
    if "SENTINEL_API_BIND_ADDRESS" in env:
        bind = "0.0.0.0"  # the node's address
    try:
        loop = ipaddress.ip_address(bind).is_loopback
    except ValueError:
        loop = False
    if not loop and auth.get("enabled") is not True:
        p.append(f"the API listens on {bind} without auth")
    for k in auth.get("api_keys") or []:
        if "key" in k:
            p.append(f"auth.api_keys {k.get('name')}: a plain key in the ConfigMap (key_sha256 only)")
    for n, e in env.items():
        if n.startswith("SENTINEL_") and "secretKeyRef" in (e.get("valueFrom") or {}):
            p.append(f"{n}: a secret in sentinel-cp's environment")
    return p


def check_dockerfile(m):
    p = []
    st = m.stages
    if len(st) < 2:
        return [f"{len(st)} stage(s): not a multi-stage build"]
    if st[0]["from"] != "debian:12":
        p.append(f"the build stage is FROM {st[0]['from']}, not debian:12")
    if st[-1]["from"] != "debian:12-slim":
        p.append(f"the runtime stage is FROM {st[-1]['from']}, not debian:12-slim")
    build = " ".join(a for i, a in st[0]["instrs"] if i == "RUN")
    for step in ("meson setup", "meson install"):
        if step not in build:
            p.append(f"the build stage does not run {step}")
    if "--destdir" not in build and "DESTDIR=" not in build:
        p.append("the build stage installs without DESTDIR/--destdir")
    bpk = set(apt_packages(st[0]))
    for need in sorted(set(m.meson_hints) | {"meson", "ninja-build", "python3", "gcc", "pkg-config"}):
        if need not in bpk:
            p.append(f"the build stage does not install {need} (meson.build needs it)")
    rt = st[-1]
    rpk = apt_packages(rt)
    if not rpk:
        p.append("the runtime stage installs no packages")
    for pk in rpk:
        if pk in BUILD_TOOLS or pk.endswith("-dev"):
            p.append(f"the runtime stage installs the build tool {pk}")
    for i, a in rt["instrs"]:
        if i in ("COPY", "ADD") and "--from=" not in a:
            p.append(f"the runtime stage copies from the build context: {i} {a}")
    users = [a for i, a in rt["instrs"] if i == "USER"]
    cps = sc(m.container("sentinel-cp"))
    if not users:
        p.append("the runtime stage sets no USER (it would run as root)")
    else:
        u, _, g = users[-1].partition(":")
        if u in ("0", "root") or not u.isdigit():
            p.append(f"the final USER {users[-1]} is root or not numeric (kubelet checks runAsNonRoot on a numeric uid)")
        elif u != str(cps.get("runAsUser")) or (g and g != str(cps.get("runAsGroup"))):
            p.append(f"the image's USER {users[-1]} is not sentinel-cp's {cps.get('runAsUser')}:{cps.get('runAsGroup')}")
    for i, a in rt["instrs"]:
        if i == "ARG" and a.startswith("VERSION=") and a != f"VERSION={m.version}":
            p.append(f"ARG {a}: the project's version is {m.version}")
    cmd = " ".join(a for i, a in rt["instrs"] if i in ("CMD", "ENTRYPOINT"))
    if "sentinel-cp" not in cmd:
        p.append("the image's default command is not sentinel-cp (the unprivileged daemon)")
    return p


CHECKS = [("objects", check_objects), ("pod", check_pod),
          ("containers", check_containers), ("sentinel-dp", check_dp),
          ("sentinel-cp", check_cp), ("Dockerfile", check_dockerfile)]


# ---- mutations: each must make its check fail ----

def _c(d, name):
    for c in d.pod.get("containers") or []:
        if c.get("name") == name:
            return c
    raise KeyError(name)


def _mount(c, name):
    return [x for x in c["volumeMounts"] if x["name"] == name][0]


def _set_args(m, old, new):
    c = _c(m, "sentinel-dp")
    a = c["args"]
    a[a.index(old) + 1] = new


def _cfg(m, fn):
    cm = m.one("ConfigMap")
    cfg = yaml.safe_load(cm["data"]["sentinel.yaml"])
    fn(cfg)
    cm["data"]["sentinel.yaml"] = yaml.safe_dump(cfg)


def _probe(c, which):
    return c[which]["httpGet"]


MUTATIONS = [
    ("sentinel-dp", "sentinel-dp gains CAP_SYS_ADMIN",
     lambda m: _c(m, "sentinel-dp")["securityContext"]["capabilities"]["add"].append("SYS_ADMIN")),
    ("sentinel-dp", "sentinel-dp loses CAP_PERFMON",
     lambda m: _c(m, "sentinel-dp")["securityContext"]["capabilities"]["add"].remove("PERFMON")),
    ("sentinel-cp", "sentinel-cp gains NET_RAW",
     lambda m: _c(m, "sentinel-cp")["securityContext"]["capabilities"].update(add=["NET_RAW"])),
    ("sentinel-cp", "sentinel-cp may run as root",
     lambda m: _c(m, "sentinel-cp")["securityContext"].update(runAsNonRoot=False)),
    ("containers", "a writable root file system",
     lambda m: _c(m, "sentinel-dp")["securityContext"].update(readOnlyRootFilesystem=False)),
    ("containers", "privilege escalation allowed",
     lambda m: _c(m, "sentinel-cp")["securityContext"].pop("allowPrivilegeEscalation")),
    ("containers", "a privileged container",
     lambda m: _c(m, "sentinel-dp")["securityContext"].update(privileged=True)),
    ("containers", "no memory limit",
     lambda m: _c(m, "sentinel-cp")["resources"]["limits"].pop("memory")),
    ("containers", "two images",
     lambda m: _c(m, "sentinel-cp").update(image="sentinel:9.9.9")),
    ("containers", "an init container with CAP_SYS_ADMIN",
     lambda m: m.pod["initContainers"][0]["securityContext"]["capabilities"]["add"].append("SYS_ADMIN")),
    ("pod", "no host network",
     lambda m: m.pod.update(hostNetwork=False)),
    ("pod", "service links on",
     lambda m: m.pod.pop("enableServiceLinks")),
    ("pod", "maxSurge 1",
     lambda m: m.ds["spec"]["updateStrategy"]["rollingUpdate"].update(maxSurge=1)),
    ("sentinel-cp", "the ConfigMap mounted with subPath",
     lambda m: _mount(_c(m, "sentinel-cp"), "config").update(mountPath="/etc/sentinel/sentinel.yaml", subPath="sentinel.yaml")),
    ("sentinel-cp", "liveness over HTTP",
     lambda m: _probe(_c(m, "sentinel-cp"), "livenessProbe").update(scheme="HTTP")),
    ("sentinel-cp", "readiness on /healthz",
     lambda m: _probe(_c(m, "sentinel-cp"), "readinessProbe").update(path="/healthz")),
    ("sentinel-cp", "a probe on another port",
     lambda m: _probe(_c(m, "sentinel-cp"), "readinessProbe").update(port=9443)),
    ("sentinel-cp", "a plain API key in the ConfigMap",
     lambda m: _cfg(m, lambda c: c["auth"]["api_keys"].append({"name": "x", "key": "0123456789abcdef0123", "role": "admin"}))),
    ("sentinel-cp", "the TLS key outside the Secret",
     lambda m: _cfg(m, lambda c: c["tls"].update(key_path="/etc/sentinel/server.key"))),
    ("sentinel-dp", "sentinel-dp's sockets elsewhere",
     lambda m: _set_args(m, "-s", "/run/other")),
    ("sentinel-dp", "sentinel-cp's socket mount elsewhere",
     lambda m: _mount(_c(m, "sentinel-cp"), "sockets").update(mountPath="/var/run/sentinel")),
    ("sentinel-dp", "sentinel-dp admits another uid",
     lambda m: _set_args(m, "-u", "10002")),
    ("sentinel-dp", "bpffs mounted under /sys (AppArmor)",
     lambda m: (_mount(_c(m, "sentinel-dp"), "bpffs").update(mountPath="/sys/fs/bpf"),
                _set_args(m, "-b", "/sys/fs/bpf/sentinel"),
                _cfg(m, lambda c: c["agent"].update(bpffs_dir="/sys/fs/bpf/sentinel")))),
    ("sentinel-dp", "bpffs without mount propagation",
     lambda m: _mount(_c(m, "sentinel-dp"), "bpffs").pop("mountPropagation")),
    ("sentinel-dp", "interfaces out of step with the ConfigMap",
     lambda m: _set_args(m, "-i", "wlan*")),
    ("sentinel-dp", "no group shared with sentinel-cp",
     lambda m: (m.pod["securityContext"].pop("supplementalGroups"), m.pod["securityContext"].pop("fsGroup"))),
    ("objects", "a Secret with data",
     lambda m: m.manifests["configmap.yaml"].append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "sentinel"}, "stringData": {"k": "v"}})),
    ("Dockerfile", "the runtime stage as root",
     lambda m: m.stages[-1]["instrs"].append(("USER", "root"))),
    ("Dockerfile", "gcc in the runtime stage",
     lambda m: m.stages[-1]["instrs"].append(("RUN", "apt-get install -y gcc"))),
    ("Dockerfile", "one stage",
     lambda m: m.stages.pop(0)),
    ("Dockerfile", "the build stage without libnng-dev",
     lambda m: m.stages[0]["instrs"].__setitem__(0, ("RUN", m.stages[0]["instrs"][0][1].replace("libnng-dev", "")))),
]


# ---- the image's shared libraries ----

def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def dpkg_owners(libs):
    """{library path: Debian package or None}, in one dpkg -S call."""
    cands = {}
    for lib in libs:
        c = [lib, os.path.realpath(lib)]
        for x in list(c):  # merged /usr: dpkg knows one of the spellings
            c.append(x[4:] if x.startswith("/usr/") else "/usr" + x)
        cands[lib] = c
    r = run(["dpkg", "-S"] + sorted({x for c in cands.values() for x in c}))
    owner_of = {}
    for line in r.stdout.splitlines():
        pk, _, path = line.partition(": ")
        if "," not in pk and not pk.startswith("diversion"):
            owner_of[path.strip()] = pk.split(":")[0].strip()
    return {lib: next((owner_of[x] for x in c if x in owner_of), None)
            for lib, c in cands.items()}


def depends_closure(pkgs):
    """pkgs and everything they depend on, as installed on this machine."""
    seen, todo = set(), list(pkgs)
    while todo:
        pk = todo.pop()
        if pk in seen:
            continue
        seen.add(pk)
        r = run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", pk])
        if r.returncode != 0:
            continue
        for alt in r.stdout.split(","):
            for dep in alt.split("|"):
                name = dep.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
    return seen


def image_libraries(build, tmp):
    """({installed ELF path: {direct packages}}, {packages of the ldd closure}, problems)."""
    dest = os.path.join(tmp, "destdir")
    r = run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest, "--quiet"])
    if r.returncode != 0:
        return None, None, [f"meson install --destdir failed: {r.stderr.strip()[-400:]}"]
    elfs = [f for d in glob.glob(os.path.join(dest, "**", "*bin"), recursive=True)
            for f in glob.glob(os.path.join(d, "*")) if os.path.isfile(f) and is_elf(f)]
    if not elfs:
        return None, None, ["meson install installed no program"]
    direct, closure, probs, found = {}, set(), [], {}
    for e in elfs:
        lr = run(["ldd", e])
        libs = {}
        for line in lr.stdout.splitlines():
            mt = re.match(r"\s*(\S+) => (/\S+)", line)
            if mt:
                libs[mt.group(1)] = mt.group(2)
            elif "not found" in line:
                probs.append(f"{os.path.basename(e)}: {line.strip()}")
        needed = set(libs)
        rr = run(["readelf", "-d", e]) if shutil.which("readelf") else None
        if rr and rr.returncode == 0:
            needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", rr.stdout))
        found[os.path.relpath(e, dest)] = (libs, needed)
    owners = dpkg_owners({path for libs, _ in found.values() for path in libs.values()})
    for exe, (libs, needed) in found.items():
        direct[exe] = set()
        for soname, path in libs.items():
            if not owners[path]:
                probs.append(f"{os.path.basename(exe)}: no Debian package owns {path}")
                continue
            closure.add(owners[path])
            if soname in needed:
                direct[exe].add(owners[path])
    return direct, closure, probs


SANITIZER_RUNTIMES = re.compile(r"lib(asan|ubsan|lsan|tsan|hwasan)[0-9]*$")


def check_libraries(runtime_pkgs, direct, closure):
    p = []
    have = set(runtime_pkgs)
    # a sanitizer build (CI's -Db_sanitize) links runtimes the image's
    # release build does not
    closure = {pk for pk in closure if not SANITIZER_RUNTIMES.match(pk)}
    for exe, pkgs in sorted(direct.items()):
        pkgs = {pk for pk in pkgs if not SANITIZER_RUNTIMES.match(pk)}
        for pk in sorted(pkgs - have - {"libc6"}):  # libc6: in every Debian image
            p.append(f"{exe} needs {pk}, which the runtime stage does not install")
    reach = depends_closure(have | {"libc6"})
    for pk in sorted(closure - reach):
        p.append(f"{pk} (an indirect dependency) is neither installed nor pulled in by the runtime stage's packages")
    return p


# ---- main ----

def main():
    if len(sys.argv) != 5:
        print(__doc__ or "usage: test_manifests.py SRCDIR BUILDDIR SENTINEL_DP SENTINEL_CP")
        return 2
    src, build, dp_bin, cp_bin = sys.argv[1:5]
    kdir = os.path.join(src, "packaging", "kubernetes")
    dfile = os.path.join(src, "packaging", "container", "Dockerfile")
    meson_text = open(os.path.join(src, "meson.build")).read()
    version = re.search(r"version\s*:\s*'([^']+)'", meson_text).group(1)
    hints = re.findall(r"apt-get install ([a-z0-9][a-z0-9.+-]+)", meson_text)

    try:
        manifests = load_manifests(kdir)
    except yaml.YAMLError as e:
        fail("every YAML document parses", [str(e)])
        return 1
    ok(f"{sum(len(v) for v in manifests.values())} YAML documents in {len(manifests)} files parse")
    m = Model(manifests, dockerfile_stages(dfile), version, hints)

    for name, fn in CHECKS:
        report(f"{name}: as required", fn(m))

    # the checks catch what they are meant to catch
    missed = []
    for check, what, mutate in MUTATIONS:
        n = copy.deepcopy(m)
        mutate(n)
        n.docs = [(f, d) for f, ds in n.manifests.items() for d in ds]
        if not dict(CHECKS)[check](n):
            missed.append(f"{check} did not notice: {what}")
    report(f"self-test: each of {len(MUTATIONS)} broken copies fails its check", missed)

    # sentinel-dp's options in the DaemonSet are the ones it has
    r = run([dp_bin, "-h"])
    letters = set(re.findall(r"^\s+-([a-zA-Z]), --", r.stdout, re.M))
    used = set(dp_args(m)) - {"?"}
    report("sentinel-dp -h knows every option the DaemonSet passes",
           [] if letters and used <= letters else [f"options {sorted(used - letters)} not in `sentinel-dp -h` ({sorted(letters)})"])

    # the ConfigMap's file under the container's environment
    with tempfile.TemporaryDirectory(prefix="sentinel-manifests.") as tmp:
        cfg_file = os.path.join(tmp, "sentinel.yaml")
        with open(cfg_file, "w") as f:
            f.write(m.one("ConfigMap")["data"]["sentinel.yaml"])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for e in m.container("sentinel-cp").get("env") or []:
            ref = ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
            env[e["name"]] = e.get("value", "192.0.2.10" if ref in ("status.hostIP", "status.podIP") else "x")
        r = run([cp_bin, "--check", "-c", cfg_file], env=env)
        report(f"sentinel-cp --check accepts the ConfigMap's sentinel.yaml with the container's environment ({r.stdout.strip()})",
               [] if r.returncode == 0 else [r.stderr.strip() or r.stdout.strip()])
        bad = cfg_file + ".bad"
        with open(bad, "w") as f:
            f.write(open(cfg_file).read().replace("port: 8443", "port: 84430"))
        r = run([cp_bin, "--check", "-c", bad], env=env)
        report("and refuses a broken copy", [] if r.returncode != 0 else ["api.port 84430 accepted"])

        # the runtime stage's packages against the installed binaries
        if not (shutil.which("dpkg") and shutil.which("ldd") and shutil.which("meson")):
            print("# dpkg, ldd or meson missing: the runtime library check is skipped")
        else:
            direct, closure, probs = image_libraries(build, tmp)
            if direct is None:
                fail("meson install --destdir of the build directory", probs)
            else:
                rpk = apt_packages(m.stages[-1])
                allp = sorted(set().union(*direct.values()))
                report(f"the runtime stage installs the package of every library of {len(direct)} programs "
                       f"({', '.join(allp)}; {len(closure)} packages with their dependencies)",
                       probs + check_libraries(rpk, direct, closure))
                # ...and the check notices a missing one
                drop = next(iter(sorted(set().union(*direct.values()) - {"libc6"})), None)
                report(f"self-test: the library check notices {drop} missing",
                       [] if drop and check_libraries([x for x in rpk if x != drop], direct, closure)
                       else ["it did not"])
                if shutil.which("apt-cache"):
                    allpk = sorted(set(rpk + apt_packages(m.stages[0])))
                    r = run(["apt-cache", "show", "--no-all-versions"] + allpk)
                    known = set(re.findall(r"^Package: (\S+)", r.stdout, re.M))
                    unknown = [pk for pk in allpk if pk not in known]
                    report("every package the Dockerfile installs exists in Debian's index", unknown)
                copied = " ".join(a for i, a in m.stages[-1]["instrs"] if i == "COPY")
                # the image is built with --prefix=/usr, this build directory
                # perhaps with meson's default /usr/local
                inimg = [re.sub(r"^usr/local/", "usr/", e) for e in direct]
                missing = [e for e in inimg
                           if f"/out/{e}" not in copied and f"/out/{os.path.dirname(e)}/" not in copied]
                report("the runtime stage copies every installed program", missing)

    # .dockerignore: at the context's root, keeps the sources
    ign = os.path.join(src, ".dockerignore")
    if not os.path.exists(ign):
        fail("a .dockerignore at the top of the tree (the build context)")
    else:
        pats = [l.strip() for l in open(ign) if l.strip() and not l.startswith("#")]

        def ignored(path):
            res = False
            parts = path.split("/")
            for pat in pats:
                neg = pat.startswith("!")
                pt = os.path.normpath(pat.lstrip("!"))
                rx = re.escape(pt).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
                if any(re.fullmatch(rx, "/".join(parts[:k])) for k in range(1, len(parts) + 1)):
                    res = not neg
            return res
        r = run(["git", "-C", src, "ls-files"])
        files = r.stdout.split() if r.returncode == 0 else []
        p = [f for f in files if ignored(f)]
        if not files:
            print("# not a git checkout: the .dockerignore check covers the patterns only")
        for must in (".git", "build", "build-asan"):
            if not ignored(must):
                p.append(f"{must} is sent to the daemon")
        report(f".dockerignore drops .git and build directories and none of {len(files)} tracked files", p)

    # optional tools
    if shutil.which("yamllint"):
        r = run(["yamllint", "-f", "parsable", "-d",
                 "{extends: default, rules: {line-length: {max: 100}}}", kdir])
        report("yamllint", [l for l in (r.stdout + r.stderr).splitlines() if l.strip()] if r.returncode else [])
    else:
        print("# yamllint not installed: lint skipped")
    if shutil.which("kubectl"):
        kubectl_checks(m, kdir)
    else:
        print("# kubectl not installed: typed decoding and kustomize checks skipped")

    print(f"# {passed} passed, {failed} failed")
    return 1 if failed else 0


def subset_problems(want, got, path=""):
    """Where want has something got lacks (got: a typed round trip)."""
    p = []
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path}: not an object after decoding"]
        for k, v in want.items():
            if k not in got:
                if v not in (False, 0, "", [], {}, None):  # Go's omitempty drops those
                    p.append(f"{path}.{k}: unknown field (dropped by decoding)")
            else:
                p += subset_problems(v, got[k], f"{path}.{k}")
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: list changed by decoding"]
        for i, (a, b) in enumerate(zip(want, got)):
            p += subset_problems(a, b, f"{path}[{i}]")
    elif str(want) != str(got):
        p.append(f"{path}: {want!r} decoded as {got!r}")
    return p


def kubectl_checks(m, kdir):
    """Offline: kubectl without a cluster cannot `create --dry-run` (that
    needs the server's API list), but it decodes objects locally."""
    p = []
    for f in sorted(m.manifests):
        if f == "kustomization.yaml":
            continue
        r = run(["kubectl", "label", "--local", "-f", os.path.join(kdir, f), "-o", "name", "sentinel-check=1"], timeout=60)
        if r.returncode:
            p.append(f"{f}: {r.stderr.strip()}")
    report("kubectl decodes every object (kubectl label --local)", p)
    # typed decoding of the DaemonSet: a misspelt or misplaced field is
    # dropped, a wrong type refused
    f = [f for f in m.manifests if any(d.get("kind") == "DaemonSet" for d in m.manifests[f])][0]
    r = run(["kubectl", "set", "env", "--local", "-f", os.path.join(kdir, f), "-o", "yaml",
             "SENTINEL_MANIFEST_CHECK=1"], timeout=60)
    if r.returncode:
        fail("kubectl decodes the DaemonSet into its Go types", [r.stderr.strip()])
    else:
        got = yaml.safe_load(r.stdout)
        for c in got["spec"]["template"]["spec"]["containers"]:
            c["env"] = [e for e in c.get("env", []) if e["name"] != "SENTINEL_MANIFEST_CHECK"]
            if not c["env"]:
                del c["env"]
        report("kubectl's typed decoding of the DaemonSet keeps every field (none unknown or mistyped)",
               subset_problems(m.ds, got))
        # ...and would notice a misspelt one
        with tempfile.TemporaryDirectory(prefix="sentinel-manifests.") as tmp:
            bad = copy.deepcopy(m.ds)
            bad["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True
            with open(os.path.join(tmp, "ds.yaml"), "w") as fh:
                yaml.safe_dump(bad, fh)
            r = run(["kubectl", "set", "env", "--local", "-f", os.path.join(tmp, "ds.yaml"), "-o", "yaml",
                     "SENTINEL_MANIFEST_CHECK=1"], timeout=60)
            got = yaml.safe_load(r.stdout) if r.returncode == 0 else None
            report("self-test: a misspelt field (readOnlyRootFileSystem) is noticed",
                   [] if got and subset_problems(bad, got) else ["it was not"])
    r = run(["kubectl", "kustomize", kdir], timeout=60)
    if r.returncode:
        fail("kubectl kustomize builds the directory", [r.stderr.strip()])
    else:
        built = sorted((d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(r.stdout) if d)
        want = sorted((d["kind"], d["metadata"]["name"]) for _, d in m.docs if d.get("kind") != "Kustomization")
        report(f"kubectl kustomize builds the {len(built)} objects", [] if built == want else [f"{built} != {want}"])


if __name__ == "__main__":
    sys.exit(main())
