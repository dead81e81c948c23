"""The nightly backup as an `ncm` user would write it: every router's configuration manager to
<dir>/<router_id>.json, every group's configuration to groups/<id>.json, and index.csv with a
SHA-256 per file (the same files fleetscript's nightly_backup.rhai writes)."""
import csv, hashlib, json, os, sys
from ncm import ncm

out = sys.argv[1]
os.makedirs(os.path.join(out, "groups"), exist_ok=True)
c = ncm.NcmClientv2(api_keys={k: os.environ[k] for k in ("X-CP-API-ID", "X-CP-API-KEY", "X-ECM-API-ID", "X-ECM-API-KEY")},
                    base_url=os.environ["CP_BASE_URL"])
ident = lambda url: url.rstrip("/").rsplit("/", 1)[-1] if url else ""
products = {p["id"]: p["name"] for p in c.get_products(limit="all")}
firmwares = {f["id"]: f["version"] for f in c.get_firmwares(limit="all")}
routers = {r["id"]: r for r in c.get_routers(limit="all", fields="id,name,mac,product,actual_firmware")}
cms = c.get_configuration_managers(limit="all", fields="id,router,version_number,synched,suspended,actual,target,configuration")
with open(os.path.join(out, "index.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["router_id", "name", "mac", "product", "firmware", "config_manager_id", "version_number", "synched", "file", "sha256"])
    for cm in cms:
        rid = ident(cm["router"])
        text = json.dumps(cm, indent=2) + "\n"
        name = f"{rid}.json"
        with open(os.path.join(out, name), "w") as g:
            g.write(text)
        r = routers.get(rid, {})
        w.writerow([rid, r.get("name"), r.get("mac"), products.get(ident(r.get("product"))), firmwares.get(ident(r.get("actual_firmware"))),
                    cm["id"], cm["version_number"], cm["synched"], name, hashlib.sha256(text.encode()).hexdigest()])
for g in c.get_groups(limit="all", fields="id,name,product,target_firmware,configuration"):
    with open(os.path.join(out, "groups", f"{g['id']}.json"), "w") as f:
        f.write(json.dumps(g, indent=2) + "\n")
print(f"backup.py: {len(cms)} routers")
