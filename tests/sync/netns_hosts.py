"""Three "hosts" for real engines: network namespaces on one bridge, made and removed here.

Each host is a namespace with one veth into a fourth namespace holding the bridge, so
nothing touches the machine's own network; every namespace is deleted afterwards,
whatever happened. ``cut(name)`` / ``heal(name)`` take a host's link down and up at the
bridge: packets stop, nobody is told (a partition, not a closed connection).
Needs root and ``ip netns``; ``netns_unavailable()`` says why not otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass

SUBNET = "10.213.78"


def _run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, timeout=10)


def netns_unavailable() -> str | None:
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"{tool} (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"ctprobe{os.getpid()}"
    try:
        _run("ip", "netns", "add", probe)
        _run("ip", "netns", "del", probe)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return f"ip netns is unavailable: {exc}"
    return None


@dataclass
class Hosts:
    """till name -> (namespace, address); ``switch`` holds the bridge."""

    hosts: dict[str, tuple[str, str]]
    switch: str
    ports: dict[str, str]

    def cut(self, name: str) -> None:
        _run("ip", "-n", self.switch, "link", "set", self.ports[name], "down")

    def heal(self, name: str) -> None:
        _run("ip", "-n", self.switch, "link", "set", self.ports[name], "up")


@contextlib.contextmanager
def three_hosts(names: tuple[str, ...] = ("A", "B", "C"), *, tag: int | None = None,
                impair: Callable[[str, str], str] | None = None) -> Iterator[Hosts]:
    """The namespaces, up; ``impair(namespace, device)`` may add a qdisc per host link."""
    tag = os.getpid() % 100000 if tag is None else tag
    switch = f"ctsw{tag}"
    hosts = {name: (f"cth{name.lower()}{tag}", f"{SUBNET}.{i + 1}")
             for i, name in enumerate(names)}
    ports = {name: f"cts{name.lower()}{tag}" for name in names}
    created = [switch]
    try:
        _run("ip", "netns", "add", switch)
        _run("ip", "-n", switch, "link", "add", "br0", "type", "bridge")
        _run("ip", "-n", switch, "link", "set", "br0", "up")
        for name, (ns, address) in hosts.items():
            _run("ip", "netns", "add", ns)
            created.append(ns)
            host_end, switch_end = f"cth{name.lower()}{tag}", ports[name]
            _run("ip", "link", "add", host_end, "type", "veth", "peer", "name", switch_end)
            _run("ip", "link", "set", host_end, "netns", ns)
            _run("ip", "link", "set", switch_end, "netns", switch)
            _run("ip", "-n", switch, "link", "set", switch_end, "master", "br0")
            _run("ip", "-n", switch, "link", "set", switch_end, "up")
            _run("ip", "-n", ns, "link", "set", "lo", "up")
            _run("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", host_end)
            _run("ip", "-n", ns, "link", "set", host_end, "up", "multicast", "on")
            _run("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", host_end)
            if impair is not None:
                impair(ns, host_end)
        yield Hosts(hosts, switch, ports)
    finally:
        for ns in created:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10,
                           check=False)
