#!/usr/bin/env python3
"""Attack: kill -9 the local host in the middle of a burst on Azure Storage (a private Azurite), restart it, send again
what was not acknowledged (and some acknowledged alerts again, as an at-least-once producer would), and check that every
alert ends in exactly one incident, contained once, its evidence stored once and verifying, and waiting at its gate.

Needs `npm ci` (Azurite) and `dotnet build -c Release Functions.Local`. Usage: scripts/attack-kill-mid-burst.py [ALERTS]
(default 300). Exits 1 when a check fails. Everything binds to 127.0.0.1 on free ports; data goes to a temp folder.
"""
import base64, concurrent.futures as cf, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
work = tempfile.mkdtemp(prefix="cordon-kill-")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_port(port):
    start = time.time()
    while time.time() - start < 60:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close(); return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"nothing listens on {port}")


blob, queue, table, http = free_port(), free_port(), free_port(), free_port()
azurite = subprocess.Popen([os.path.join(ROOT, "node_modules/.bin/azurite"), "--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose",
                            "--inMemoryPersistence", "--blobHost", "127.0.0.1", "--blobPort", str(blob), "--queueHost", "127.0.0.1",
                            "--queuePort", str(queue), "--tableHost", "127.0.0.1", "--tablePort", str(table)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for p in (blob, queue, table):
    wait_port(p)
key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="  # Azurite's public well-known key
storage = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;"
           f"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;")
world = {"clients": [{"id": "c1", "name": "C1", "securityContacts": ["s@c1.example"], "jurisdictions": ["GDPR"], "contractNoticeHours": 24, "sessionLifetimeMinutes": 480}],
         "vendors": [{"id": "v1", "name": "V1", "contacts": ["vm@v1.example"], "sites": [{"id": "s1", "name": "S1", "clientIds": ["c1"], "generatedAgents": N + 10}]}],
         "approvers": {"securityLead": ["lead@x.example"], "legal": ["legal@x.example"], "vendorManagement": ["vm1@x.example", "vm2@x.example"]},
         "operators": ["soc@x.example"]}
json.dump(world, open(os.path.join(work, "world.json"), "w"))
open(os.path.join(work, "policy.json"), "w").write('{"autoContainAtOrAbove":"high","recordOnlyBelow":"medium","confirm":{"chain":["securityLead"],"stepTimeout":"01:00:00"}}')
url = f"http://127.0.0.1:{http}"
log = open(os.path.join(work, "host.log"), "a")


def start_host():
    host = subprocess.Popen(["dotnet", os.path.join(ROOT, "Functions.Local/bin/Release/net10.0/Cordon.Local.dll"), "--store", "azurite", "--storage", storage,
                             "--urls", url, "--data-dir", os.path.join(work, "data"), "--world", os.path.join(work, "world.json"),
                             "--policy", os.path.join(work, "policy.json"), "--quiet", "--message-visibility-seconds", "10"], stdout=log, stderr=subprocess.STDOUT)
    start = time.time()
    while time.time() - start < 90:
        try:
            urllib.request.urlopen(url + "/api/health", timeout=2); return host, time.time() - start
        except Exception:
            time.sleep(0.2)
    sys.exit("the host did not become healthy; see " + log.name)


principal = base64.b64encode(json.dumps({"auth_typ": "local", "name_typ": "name", "role_typ": "roles",
                                         "claims": [{"typ": "name", "val": "attack"}, {"typ": "roles", "val": "Cordon.Reader"}]}).encode()).decode()


def send(i):
    body = json.dumps({"schemaVersion": "1.0", "alertId": f"kill-{i}", "source": "custom", "detectedAt": "2026-12-02T01:00:00Z",
                       "subject": {"userPrincipalName": f"agent{i + 1:05d}.s1@vendor.example", "vendorId": "v1", "siteId": "s1"},
                       "riskScore": 95, "severity": "critical", "indicators": [{"kind": "data-exfiltration", "detail": "attack"}],
                       "clientIds": ["c1"], "affectedRecords": 10}).encode()
    try:
        r = urllib.request.urlopen(urllib.request.Request(url + "/api/alerts", data=body, headers={"Content-Type": "application/json"}), timeout=60)
        return i, r.status, json.loads(r.read())["incidentId"]
    except urllib.error.HTTPError as e:
        return i, e.code, None
    except Exception:
        return i, None, None


def get(path):
    return json.loads(urllib.request.urlopen(urllib.request.Request(url + path, headers={"X-MS-CLIENT-PRINCIPAL": principal}), timeout=60).read())


failures = []
try:
    host, took = start_host()
    print(f"host healthy after {took:.1f} s; sending {N} alerts, 32 at a time")
    acked, killed = {}, False
    with cf.ThreadPoolExecutor(32) as pool:
        for f in cf.as_completed([pool.submit(send, i) for i in range(N)]):
            i, status, incident = f.result()
            if status == 202:
                acked[i] = incident
            if not killed and len(acked) >= N // 3:
                os.kill(host.pid, signal.SIGKILL); killed = True
                print(f"kill -9 after {len(acked)} alerts acknowledged")
    host.wait()
    unacked = [i for i in range(N) if i not in acked]
    print(f"acknowledged {len(acked)}, not acknowledged {len(unacked)}")
    host, took = start_host()
    print(f"restarted: healthy after {took:.1f} s")
    again = unacked + sorted(acked)[:20]
    with cf.ThreadPoolExecutor(32) as pool:
        for i, status, incident in pool.map(send, again):
            if status != 202:
                failures.append(f"alert {i} sent again: {status}")
            elif i in acked and acked[i] != incident:
                failures.append(f"alert {i} sent again went to {incident}, first to {acked[i]}")
            else:
                acked[i] = incident
    resent = time.time()
    while True:
        rows = get("/api/incidents?status=open&pageSize=500")
        rows = rows["items"] if isinstance(rows, dict) else rows
        at_gate = {r["incidentId"] for r in rows if r.get("stage") == "AwaitingConfirmation" and r.get("containedAt")}
        if len(at_gate) >= N or time.time() - resent > 300:
            break
        time.sleep(2)
    print(f"{len(at_gate)} of {N} incidents contained and at their gate {time.time() - resent:.0f} s after the alerts were sent again")
    incidents = set(acked.values())
    if len(incidents) != N:
        failures.append(f"{N} alerts of {N} subjects are in {len(incidents)} incidents")
    if len(rows) != N:
        failures.append(f"{len(rows)} open incidents for {N} subjects")
    failures += [f"{i} not contained at its gate" for i in sorted(incidents - at_gate)[:10]]
    for incident in sorted(incidents):
        d = get("/api/incidents/" + incident)
        steps = [t["step"] for t in d.get("timeline", [])]
        if steps.count("contained") != 1 or steps.count("evidence preserved") != 1:
            failures.append(f"{incident}: {steps.count('contained')} 'contained', {steps.count('evidence preserved')} 'evidence preserved'")
        # The evidence itself: the alert and the directory record stored once each, and the whole set verifies.
        e = get(f"/api/incidents/{incident}/evidence")
        names = [i["name"] for i in e["items"]]
        kinds = [n.split("-", 1)[0] for n in names]
        if not e["verification"]["ok"] or kinds.count("alert") != 1 or kinds.count("directory") != 1:
            failures.append(f"{incident}: evidence {names}: {e['verification']['detail']}")
    host.terminate(); host.wait(30)
finally:
    azurite.terminate()
    log.close()
print("\n".join(failures) if failures else f"ok: every one of {N} alerts in one incident, contained once, evidence preserved once and verified, at its gate")
shutil.rmtree(work, ignore_errors=True) if not failures else print("kept for a look:", work)
sys.exit(1 if failures else 0)
