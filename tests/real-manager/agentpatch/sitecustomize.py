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
    print(f"[real-manager] dummy-agent patch active: apps={spec!r}", file=sys.stderr)


_spec = os.environ.get("REALMGR_DUMMY_APPS")
if _spec:
    try:
        _install(_spec)
    except Exception as e:  # never break the interpreter; the log says what went wrong
        print(f"[real-manager] dummy-agent patch failed: {e!r}", file=sys.stderr)
