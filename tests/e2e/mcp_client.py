"""Drive Atomic Mesh's MCP server with the official MCP Python SDK (a client nobody here wrote).

    python mcp_client.py stdio MESH_BIN PROJECT_DIR STORE
    python mcp_client.py http URL WORKER_TOKEN

stdio: spawns `mesh mcp` as worker `py-stdio`; http: connects to /mcp with a worker token.
Both: list the tools and the document resources, read one, take a task (next_task), renew its
lease, see submit refused before a verification, verify it (the server runs the project's
test command and records the evidence), submit it, take another and ask a clarification about it (the task is
blocked, a clarification task and an INBOX.md entry appear), and see errors come back as tool
errors. stdio also records a
decision and runs the check; http also sees a request without a token refused.
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

TOOLS = {
    "active_spec", "readiness", "next_task", "heartbeat", "verify", "submit", "ask_clarification", "log_decision",
    "check",
}


def check(cond, what):
    if not cond:
        raise AssertionError(f"FAILED: {what}")
    print(f"ok - {what}", flush=True)


def is_error(result):
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def payload(result):
    check(not is_error(result), f"tool succeeded: {result.content[0].text[:200] if result.content else ''}")
    return json.loads(result.content[0].text)


async def exercise(session, worker, label):
    await session.initialize()
    tools = await session.list_tools()
    names = {t.name for t in tools.tools}
    check(TOOLS <= names, f"[{label}] the tools are listed: {sorted(names)}")
    check(all(t.description for t in tools.tools), f"[{label}] every tool is described")

    status = payload(await session.call_tool("readiness", {}))
    stages = [s["name"] for s in status["roots"][0]["stages"]]
    check(stages == ["Context", "Plan", "Work", "Optimize", "Verify", "Ship"], f"[{label}] readiness has the pipeline")

    spec = payload(await session.call_tool("active_spec", {}))
    check(isinstance(spec, list) and "snapshot" in spec[0], f"[{label}] active_spec gives the hydrated snapshot")

    resources = await session.list_resources()
    uris = [str(r.uri) for r in resources.resources]
    check("mesh://docs/SPEC.md" in uris, f"[{label}] the documents are resources ({len(uris)})")
    read = await session.read_resource("mesh://docs/SPEC.md")
    check("Hydration Contract" in read.contents[0].text, f"[{label}] SPEC.md reads as a resource")

    taken = payload(await session.call_tool("next_task", {"lane": "docs"}))
    task = taken["task"]
    check(task and task["worker"] == worker and task["status"] == "in_progress",
          f"[{label}] next_task claimed T-{task and task['id']} for {worker}")
    ref = f"T-{task['id']}"
    beat = payload(await session.call_tool("heartbeat", {"task": ref, "lease_secs": 120}))
    check(beat["status"] == "in_progress", f"[{label}] heartbeat renewed the lease")
    early = await session.call_tool("submit", {"task": ref, "note": "wrote the guide"})
    check(is_error(early) and "not-verified" in early.content[0].text and "verify" in early.content[0].text,
          f"[{label}] submit before a verification is refused and says to verify first")
    verified = payload(await session.call_tool("verify", {"task": ref}))
    check(verified["passed"] and verified["tree"] and verified["counts"]["passed"] == 3,
          f"[{label}] verify ran the test command: {verified['summary']}")
    done = payload(await session.call_tool("submit", {"task": ref, "note": "wrote the guide"}))
    check(done["task"]["status"] == "reviewing" and done["warning"] is None
          and done["verification"]["tree"] == verified["tree"],
          f"[{label}] submit moved the task to review on that verification")

    second = payload(await session.call_tool("next_task", {"lane": "docs"}))["task"]
    check(second and second["worker"] == worker, f"[{label}] next_task claimed a second task")
    question = f"Which audience is the guide for? ({label})"
    asked = payload(await session.call_tool(
        "ask_clarification", {"task": f"T-{second['id']}", "question": question}))
    check(asked["blocked"]["id"] == second["id"] and asked["blocked"]["status"] == "blocked",
          f"[{label}] ask_clarification blocked T-{second['id']}")
    clar = asked["clarification"]
    check(clar["status"] == "pending" and clar["priority"] == 0 and question in clar["title"],
          f"[{label}] ask_clarification created the URGENT clarification T-{clar['id']}")
    inbox = (await session.read_resource("mesh://docs/INBOX.md")).contents[0].text
    line = asked["inbox"]["text"]
    check(line in inbox.splitlines() and line.startswith(f"- [ ] OPEN QUESTION: {question}"),
          f"[{label}] INBOX.md has the entry at line {asked['inbox']['line']}")
    after = await session.call_tool("heartbeat", {"task": f"T-{second['id']}"})
    check(is_error(after) and "illegal-transition" in after.content[0].text,
          f"[{label}] the blocked task cannot be renewed")
    empty = await session.call_tool("ask_clarification", {"task": ref, "question": " "})
    check(is_error(empty) and "invalid" in empty.content[0].text, f"[{label}] an empty question is refused")

    bad = await session.call_tool("heartbeat", {"task": "T-99999"})
    check(is_error(bad) and "unknown-task" in bad.content[0].text, f"[{label}] an unknown task is a tool error")
    again = await session.call_tool("heartbeat", {"task": ref})
    check(is_error(again) and "illegal-transition" in again.content[0].text,
          f"[{label}] a submitted task cannot be renewed")
    return task


async def stdio(mesh, project, store):
    params = StdioServerParameters(
        command=mesh,
        args=["mcp", project, "--worker", "py-stdio", "--store", store],
        env={"MESH_LOG": "warn"},
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await exercise(session, "py-stdio", "stdio")
            dec = payload(await session.call_tool(
                "log_decision", {"type": "TEST", "decision": "The e2e suite drives MCP with the Python SDK"}))
            check(dec["id"], f"[stdio] log_decision recorded decision {dec['id']}")
            found = payload(await session.call_tool("check", {"all": True}))
            check("diagnostics" in found and found["schema_version"] >= 1, "[stdio] check returns the findings")


async def http(url, token):
    headers = {"Authorization": f"Bearer {token}"}
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(url, http_client=client) as (read, write):
            async with ClientSession(read, write) as session:
                await exercise(session, "py-http", "http")
    refused = False
    try:
        async with create_mcp_http_client() as client:
            async with streamable_http_client(url, http_client=client) as (read, write):
                async with ClientSession(read, write) as session:
                    await asyncio.wait_for(session.initialize(), 10)
    except BaseException:  # noqa: BLE001 - any failure to connect is the expected outcome
        refused = True
    check(refused, "[http] a client without a token is refused")


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "stdio" and len(sys.argv) == 5:
        asyncio.run(stdio(*sys.argv[2:5]))
    elif mode == "http" and len(sys.argv) == 4:
        asyncio.run(http(*sys.argv[2:4]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
