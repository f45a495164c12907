"""Runtime tweak for the Backend.AI *dummy* agent, loaded through PYTHONPATH by start.sh.

Active only when REALMGR_DUMMY_APPS is set. Out of the box the dummy agent
(a) reports no service ports (get_public_service_ports returns []), and
(b) drops every kernel from its registry within 60 s, because its dangling-kernel sweep sees
    no containers; start_service then raises KeyError and the manager answers 500 on
    /stream/session/{id}/tcpproxy.
With this tweak the sweep is off and apps get host ports on the agent's bind host (127.0.0.1):
  REALMGR_DUMMY_APPS="jupyter=8130,jupyterlab=8130"    those apps, at those ports; others dropped
  REALMGR_DUMMY_APPS="jupyter=8130,*"                  jupyter at 8130, every other app at its
                                                       container port
  REALMGR_DUMMY_APPS="*"                               every app at its container port
so the real manager's tcpproxy relays to 127.0.0.1:<port> for the whole life of the session.

With REALMGR_DUMMY_HOME=DIR as well, the session file API works: the stock dummy kernel's
accept_file drops the bytes and download_single returns b"". Here they write and read DIR, with
the Docker kernel's own rules (ai/backend/agent/docker/kernel.py): paths are relative to
/home/work and may not leave it, parent folders are made, a download is one file of at most
1 MiB, and a missing file is "Could not download the archive to: /home/work/<path>". DIR
stands for /home/work of every session on this agent (as one JupyterLab serves every
session's jupyter app), and the harness's sshd reads DIR/.ssh/authorized_keys.
"""

import os
import sys


def _parse(spec):
    ports, rest = {}, False
    for item in filter(None, (s.strip() for s in spec.split(","))):
        if item == "*":
            rest = True
        elif "=" in item:
            name, port = item.split("=", 1)
            ports[name.strip()] = int(port)
        else:
            raise ValueError(f"REALMGR_DUMMY_APPS item {item!r} is neither NAME=PORT nor *")
    return ports, rest


def _install(spec):
    import asyncio

    from ai.backend.agent import agent as base_agent
    from ai.backend.agent.dummy import agent as dummy_agent

    ports, rest = _parse(spec)

    def public_service_ports(self, service_ports):
        out = []
        for sp in service_ports:
            if sp["name"] in ports:
                host = tuple(ports[sp["name"]] for _ in sp["container_ports"])
            elif rest:
                host = tuple(sp["container_ports"])
            else:
                continue
            out.append({**sp, "host_ports": host})
        return out

    async def no_sweep(self):
        # The sweep loop is a long-running task; park it forever instead.
        await asyncio.Event().wait()

    dummy_agent.DummyAgent.get_public_service_ports = public_service_ports
    base_agent.AbstractAgent._clean_kernel_registry_loop = no_sweep
    home = os.environ.get("REALMGR_DUMMY_HOME")
    if home:
        _install_files(home)
    print(f"[real-manager] dummy-agent patch active: apps={spec!r} home={home!r}", file=sys.stderr)


def _install_files(home):
    import asyncio
    from pathlib import Path, PurePosixPath

    from ai.backend.agent.dummy import kernel as dummy_kernel

    root = Path(home).resolve()
    container_home = PurePosixPath("/home/work")

    def host_path(container_path):
        # accept_file's check in the Docker kernel: resolved under the work dir.
        p = (root / container_path).resolve(strict=False)
        if not p.is_relative_to(root):
            raise PermissionError("Not allowed to upload files outside /home/work")
        return p

    async def accept_file(self, container_path, filedata):
        p = host_path(container_path)

        def write():
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(filedata)

        try:
            await asyncio.get_running_loop().run_in_executor(None, write)
        except OSError as e:
            raise RuntimeError(
                f"{self.kernel_id}: writing uploaded file failed: {container_path} -> {p} ({e!r})"
            ) from e

    async def download_single(self, container_path):
        # download_single's checks in the Docker kernel: under /home/work, one file, <= 1 MiB.
        abspath = PurePosixPath(os.path.normpath(container_home / container_path))
        if not abspath.is_relative_to(container_home):
            raise PermissionError("You cannot download files outside /home/work")
        p = root / abspath.relative_to(container_home)

        def read():
            if not p.is_file():
                raise RuntimeError(f"Could not download the archive to: {abspath}")
            if p.stat().st_size > 1048576:
                raise ValueError("Too large archive file exceeding 1 MiB")
            return p.read_bytes()

        return await asyncio.get_running_loop().run_in_executor(None, read)

    dummy_kernel.DummyKernel.accept_file = accept_file
    dummy_kernel.DummyKernel.download_single = download_single


_spec = os.environ.get("REALMGR_DUMMY_APPS")
if _spec:
    try:
        _install(_spec)
    except Exception as e:  # never break the interpreter; the log says what went wrong
        print(f"[real-manager] dummy-agent patch failed: {e!r}", file=sys.stderr)
