"""The inventory as an `ncm` user would write it: every router with product, firmware, state,
group and WAN interfaces, to a CSV (the same rows fleetscript's inventory.rhai writes)."""
import csv, os, sys
from collections import Counter, defaultdict
from ncm import ncm

out = sys.argv[1]
c = ncm.NcmClientv2(api_keys={k: os.environ[k] for k in ("X-CP-API-ID", "X-CP-API-KEY", "X-ECM-API-ID", "X-ECM-API-KEY")},
                    base_url=os.environ["CP_BASE_URL"])
ident = lambda url: url.rstrip("/").rsplit("/", 1)[-1] if url else None
products = {p["id"]: p["name"] for p in c.get_products(limit="all")}
firmwares = {f["id"]: f["version"] for f in c.get_firmwares(limit="all")}
groups = {g["id"]: g["name"] for g in c.get_groups(limit="all", fields="id,name")}
routers = c.get_routers(limit="all", fields="id,name,mac,serial_number,product,actual_firmware,target_firmware,state,state_updated_at,group,ipv4_address")
wans = defaultdict(list)
for nd in c.get_net_devices(limit="all", mode="wan", fields="router,name,type,carrier,connection_state,service_type"):
    label = nd["name"]
    if nd.get("carrier") is not None:
        label += f" {nd['carrier']} {nd['service_type']}"
    label += f" ({nd.get('connection_state') or 'unknown'})"
    wans[ident(nd["router"])].append(label)
states = Counter()
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "name", "mac", "serial_number", "product", "firmware", "target_firmware", "state", "state_updated_at", "group", "ipv4_address", "wan_count", "wan_interfaces"])
    for r in routers:
        wl = wans.get(r["id"], [])
        w.writerow([r["id"], r["name"], r["mac"], r["serial_number"], products.get(ident(r["product"]), ""), firmwares.get(ident(r["actual_firmware"]), ""),
                    firmwares.get(ident(r["target_firmware"]), ""), r["state"], r["state_updated_at"], groups.get(ident(r["group"]), ""),
                    r["ipv4_address"], len(wl), "; ".join(wl)])
        states[r["state"]] += 1
print(f"inventory.py: {len(routers)} routers ({dict(states)})")
