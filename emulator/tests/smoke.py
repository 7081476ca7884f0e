#!/usr/bin/env python3
"""Drives the emulator binary the way a test suite in another language would: only the
binary and HTTP (python3 standard library, no packages).

Start it on port 0, read "listening on http://HOST:PORT" from stdout, wait for health,
seed a state, run API calls, read the journal, reset, then stop it with SIGTERM.

Usage: python3 emulator/tests/smoke.py target/debug/agora-chat-emulator
"""

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

TOKEN = "smoke-token"
ADMIN = "smoke-admin"
# A deadline for a broken binary, not a timing assertion.
START_DEADLINE_SECS = 30


def call(method, url, body=None, token=None):
    """One request; returns (status, parsed JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def start(binary):
    """Starts the emulator; the secrets go in the environment, not on the command line."""
    env = {"AGORA_EMULATOR_TOKEN": TOKEN, "AGORA_EMULATOR_ADMIN_TOKEN": ADMIN, "PATH": ""}
    proc = subprocess.Popen(
        [binary, "--port", "0", "--org", "acme", "--app", "chat"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    line = proc.stdout.readline().strip()
    check(line.startswith("listening on http://"), "no listening line: %r" % line)
    return proc, line[len("listening on "):]


def wait_for_health(base):
    deadline = time.monotonic() + START_DEADLINE_SECS
    while True:
        try:
            if call("GET", base + "/_emulator/health") == (200, {"status": "ok"}):
                return
        except OSError:
            pass
        check(time.monotonic() < deadline, "the emulator never became healthy")
        time.sleep(0.05)


def control(base, method, path, body=None):
    return call(method, base + "/_emulator/" + path, body, token=ADMIN)


def run(base):
    api = base + "/acme/chat"
    status, info = control(base, "GET", "info")
    check(status == 200 and info["org"] == "acme" and info["admin_token"], info)
    check(call("GET", base + "/_emulator/info")[0] == 401, "controls need the admin token")

    seed = {"version": 1, "chatrooms": [
        {"id": "1001", "name": "seeded", "description": "from smoke.py",
         "owner": "alice", "members": ["bob"]}]}
    status, state = control(base, "PUT", "state", seed)
    check(status == 200 and state["next_id"] == 1002, state)

    status, listed = call("GET", api + "/chatrooms", token=TOKEN)
    check(status == 200 and [r["name"] for r in listed["data"]] == ["seeded"], listed)
    body = {"name": "made", "description": "d", "owner": "bob"}
    status, created = call("POST", api + "/chatrooms", body, token=TOKEN)
    check(status == 200 and created["data"]["id"] == "1002", created)
    status, joined = call("GET", api + "/users/bob/joined_chatrooms", token=TOKEN)
    check(status == 200 and len(joined["data"]) == 2, joined)
    status, wrong = call("GET", base + "/other/app/chatrooms", token=TOKEN)
    check(status == 404 and "other/app" in wrong["error_description"], wrong)

    status, journal = control(base, "GET", "journal")
    seen = [(r["method"], r["path"], r["status"], r["operation"]) for r in journal["requests"]]
    want = [
        ("GET", "/acme/chat/chatrooms", 200, "list_chatrooms"),
        ("POST", "/acme/chat/chatrooms", 200, "create_chatroom"),
        ("GET", "/acme/chat/users/bob/joined_chatrooms", 200, "list_joined_chatrooms"),
        ("GET", "/other/app/chatrooms", 404, None),
    ]
    check(seen == want, seen)
    check(journal["requests"][1]["body"]["owner"] == "bob", journal)
    check(TOKEN not in json.dumps(journal), "the journal holds no token")

    status, clock = control(base, "POST", "clock", {"now_unix": 1000})
    check(clock == {"now_unix": 1000}, clock)
    status, clock = control(base, "POST", "clock", {"advance_secs": 5})
    check(clock == {"now_unix": 1005}, clock)

    check(control(base, "POST", "reset")[1] == {"reset": "all"}, "reset")
    status, listed = call("GET", api + "/chatrooms", token=TOKEN)
    check(listed["data"] == [], listed)
    check(control(base, "GET", "journal")[1]["requests"][0]["path"] == "/acme/chat/chatrooms",
          "the journal starts again after a reset")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    proc, base = start(sys.argv[1])
    try:
        wait_for_health(base)
        run(base)
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=30) == 0, "a clean exit on SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("smoke.py: ok (start, health, seed, calls, journal, clock, reset, stop)")


if __name__ == "__main__":
    main()
