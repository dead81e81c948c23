//! `ncm::` configuration helpers for scripts: read/patch/put a router's config by router id,
//! resume sync, everyday changes (APN, SSID, LAN IP, static WAN IP, users), their pure diff
//! builders and the APN's check (bulk writes are in `ncm_bulk`, backups and restore in
//! `ncm_backup`).

use super::diff::diff_arg;
use super::router_arg;
use super::{call, err_at, error_at, ret, rhai_error, usage_error, RhaiResult, ScriptContext};
use crate::diff::{self, Diff};
use crate::error::Error;
use crate::ncm::helpers;
use rhai::{Array, Dynamic, Module, NativeCallContext, Position};

fn strings(pos: Position, a: &Array, what: &str) -> RhaiResult<Vec<String>> {
    a.iter()
        .map(|d| {
            if d.is_string() {
                Ok(d.to_string())
            } else {
                Err(usage_error(pos, format!("{what} must be strings")))
            }
        })
        .collect()
}

pub fn register(root: &mut Module) {
    register_config_manager(root);
    register_builders(root);
    register_router_changes(root);
    register_add_user(root);
}

/// A router's config PATCHed with `d`, the answer as a script value.
fn patch(c: &ScriptContext, pos: Position, router: &str, d: &Diff) -> RhaiResult<Dynamic> {
    c.ncm
        .patch_router_config(router, d)
        .map(ret)
        .map_err(err_at(c, pos))
}

/// `put_router_config`, with its options.
fn put(
    cx: &NativeCallContext,
    router_id: Dynamic,
    d: Dynamic,
    options: &rhai::Map,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let (id, d) = (router_arg(&c, pos, &router_id)?, diff_arg(pos, &d)?);
    let super::SecretsOption { drop_secrets } = super::options(
        pos,
        "put_router_config",
        "options: drop_secrets",
        options.clone(),
    )?;
    c.ncm
        .put_router_config(&id, &d, drop_secrets)
        .map(ret)
        .map_err(err_at(&c, pos))
}

/// `router_config`, `patch_router_config`, `put_router_config`, `resume_sync`.
fn register_config_manager(root: &mut Module) {
    functions! { root;
        /// A router's configuration manager (its id is not the router id): configuration, target, actual,
        /// pending, version_number, synched, suspended.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// let cm = ncm::router_config(r.id); print(cm.synched);
        /// ```
        fn router_config(cx, router_id: Dynamic as "int|string") -> RhaiResult<Dynamic> as "Map" {
            let (c, pos) = call(&cx)?;
            let id = router_arg(&c, pos, &router_id)?;
            c.ncm.router_config(&id).map(ret).map_err(err_at(&c, pos))
        }

        /// PATCHes a diff into a router's individual config: merges, cannot remove. Printed, not sent, under --dry-run.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::patch_router_config(r.id, [#{system: #{gps: #{enabled: true}}}, []]);
        /// ```
        fn patch_router_config(cx, router_id: Dynamic as "int|string", diff: Dynamic as "Array") -> RhaiResult<Dynamic> as "Map" {
            let (c, pos) = call(&cx)?;
            let (id, d) = (router_arg(&c, pos, &router_id)?, diff_arg(pos, &diff)?);
            patch(&c, pos, &id, &d)
        }

        /// Makes a router's individual config the given one by the smallest write that never loses a stored secret:
        /// a PATCH when nothing but the router's own secrets would be removed (they stay), else a PUT (whatever the diff does
        /// not mention is unassigned). A PUT that would drop a secret the router holds is refused, naming each path
        /// (pass #{drop_secrets: true} to allow it). "*" is never sent. Printed, not sent, under --dry-run.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::put_router_config(r.id, [#{system: #{gps: #{enabled: true}}}, []]);
        /// ```
        fn put_router_config(cx, router_id: Dynamic as "int|string", diff: Dynamic as "Array") -> RhaiResult<Dynamic> as "Map" {
            put(&cx, router_id, diff, &rhai::Map::new())
        }

        /// `put_router_config` with options: `drop_secrets: true` allows a PUT that drops the router's own secrets.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// let wanted = [#{system: #{gps: #{enabled: true}}}, []];
        /// ncm::put_router_config(r.id, wanted, #{drop_secrets: true});
        /// ```
        fn put_router_config(cx, router_id: Dynamic as "int|string", diff: Dynamic as "Array", options: rhai::Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            put(&cx, router_id, diff, &options)
        }

        /// Resumes config sync of a router whose sync was suspended (only works while it is online).
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::resume_sync(r.id);
        /// ```
        fn resume_sync(cx, router_id: Dynamic as "int|string") -> RhaiResult<Dynamic> as "Map" {
            let (c, pos) = call(&cx)?;
            let id = router_arg(&c, pos, &router_id)?;
            c.ncm.resume_sync(&id).map(ret).map_err(err_at(&c, pos))
        }
    }
}

/// A built diff as the script value, or the builder's error at the call.
fn built(cx: &NativeCallContext, d: crate::Result<Diff>) -> RhaiResult<Dynamic> {
    d.map(|d| ret(d.to_value()))
        .map_err(error_at(cx.call_position()))
}

/// `apn_diff`, `check_apn`, `ssid_diff`, `lan_ip_diff`: pure builders and the APN's check, no
/// request.
fn register_builders(root: &mut Module) {
    functions! { root;
        /// The diff setting a manual APN on the LTE WAN rule for a firmware version (`wan.rules` before 6.0,
        /// `wan.rules2` from 6.0, with their default `_id_`s). Refuses an empty or malformed APN.
        ///
        /// ```rhai
        /// let d = ncm::apn_diff("7.22.60", "iot.example");
        /// ```
        fn apn_diff(cx, firmware: &str as "string", apn: &str as "string") -> RhaiResult<Dynamic> as "Array" {
            built(&cx, helpers::apn_diff(firmware, apn))
        }

        /// Checks an APN without building or sending anything: nothing when a modem can take it (labels of
        /// letters, digits and hyphens, at most 62 characters), else an error naming what is wrong. The same
        /// check `ncm::apn_diff` and `ncm::set_apn` make, for refusing a bad APN before any request.
        ///
        /// ```rhai
        /// ncm::check_apn("iot.example");
        /// ```
        fn check_apn(cx, apn: &str as "string") -> RhaiResult<()> as "()" {
            helpers::check_apn(apn.trim()).map_err(error_at(cx.call_position()))
        }

        /// The diff setting the SSID and WPA passkey of radio 0's first network. SSID 1-32 bytes, passkey 8-63 characters.
        ///
        /// ```rhai
        /// let d = ncm::ssid_diff("Shop-WiFi", "correct horse");
        /// ```
        fn ssid_diff(cx, ssid: &str as "string", passkey: &str as "string") -> RhaiResult<Dynamic> as "Array" {
            built(&cx, helpers::ssid_diff(ssid, passkey, 0))
        }

        /// The diff setting the Primary LAN's IPv4 address and netmask.
        ///
        /// ```rhai
        /// let d = ncm::lan_ip_diff("192.168.30.1", "255.255.255.0");
        /// ```
        fn lan_ip_diff(cx, ip: &str as "string", netmask: &str as "string") -> RhaiResult<Dynamic> as "Array" {
            built(&cx, helpers::lan_ip_diff(ip, netmask))
        }
    }
}

/// `set_apn`: the APN checked first, then the router's firmware read, then the PATCH.
fn set_apn(cx: &NativeCallContext, router_id: Dynamic, apn: &str) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let id = router_arg(&c, pos, &router_id)?;
    helpers::check_apn(apn.trim()).map_err(err_at(&c, pos))?;
    let (_, version) = c.ncm.router_firmware(&id).map_err(err_at(&c, pos))?;
    let d = helpers::apn_diff(&version, apn).map_err(err_at(&c, pos))?;
    patch(&c, pos, &id, &d)
}

/// `set_ssid` on radio `radio`.
fn set_ssid(
    cx: &NativeCallContext,
    router_id: Dynamic,
    ssid: &str,
    passkey: &str,
    radio: i64,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let id = router_arg(&c, pos, &router_id)?;
    let radio = usize::try_from(radio)
        .map_err(|_| usage_error(pos, "the radio index must be 0 or more"))?;
    let d = helpers::ssid_diff(ssid, passkey, radio).map_err(err_at(&c, pos))?;
    patch(&c, pos, &id, &d)
}

/// `set_wan_static_ip`: the addresses checked first, then the router's firmware read, then the PATCH.
fn set_wan_static_ip(
    cx: &NativeCallContext,
    router_id: Dynamic,
    [ip, mask, gw]: [&str; 3],
    dns: &Array,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let id = router_arg(&c, pos, &router_id)?;
    let dns = strings(pos, dns, "DNS servers")?;
    helpers::check_static_wan(ip, mask, gw, &dns).map_err(err_at(&c, pos))?;
    let (_, version) = c.ncm.router_firmware(&id).map_err(err_at(&c, pos))?;
    let d = helpers::wan_static_ip_diff(&version, ip, mask, gw, &dns).map_err(err_at(&c, pos))?;
    patch(&c, pos, &id, &d)
}

/// `set_apn`, `set_ssid`, `set_lan_ip`, `set_wan_static_ip`: validate first, then resolve what is
/// needed, then PATCH.
fn register_router_changes(root: &mut Module) {
    functions! { root;
        /// Sets a manual APN on a router's LTE WAN rule, choosing `wan.rules` or `wan.rules2` and the `_id_` from the
        /// router's target firmware. Bad input is refused before any request.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::set_apn(r.id, "iot.example");
        /// ```
        fn set_apn(cx, router_id: Dynamic as "int|string", apn: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            set_apn(&cx, router_id, apn)
        }

        /// Sets the SSID and WPA passkey of radio 0's first network. SSID 1-32 bytes, passkey 8-63 characters;
        /// bad input is refused before any request.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::set_ssid(r.id, "Shop-WiFi", "correct horse");
        /// ```
        fn set_ssid(cx, router_id: Dynamic as "int|string", ssid: &str as "string", passkey: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            set_ssid(&cx, router_id, ssid, passkey, 0)
        }

        /// Sets the SSID and WPA passkey of the first network of radio `radio` (0: 2.4 GHz, 1: 5 GHz).
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::set_ssid(r.id, "Shop-WiFi", "correct horse", 1);
        /// ```
        fn set_ssid(cx, router_id: Dynamic as "int|string", ssid: &str as "string", passkey: &str as "string", radio: i64 as "int") -> RhaiResult<Dynamic> as "Map" {
            set_ssid(&cx, router_id, ssid, passkey, radio)
        }

        /// Sets the Primary LAN's address and netmask (addressed by its `_id_`).
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::set_lan_ip(r.id, "192.168.30.1", "255.255.255.0");
        /// ```
        fn set_lan_ip(cx, router_id: Dynamic as "int|string", ip: &str as "string", netmask: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            let (c, pos) = call(&cx)?;
            let id = router_arg(&c, pos, &router_id)?;
            let d = helpers::lan_ip_diff(ip, netmask).map_err(err_at(&c, pos))?;
            patch(&c, pos, &id, &d)
        }

        /// Gives the Ethernet WAN a static address through its WAN rule (`rules`/`rules2` by firmware).
        /// Firmware before 6.0 needs at least one DNS server.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::set_wan_static_ip(r.id, "172.19.9.30", "255.255.252.0", "172.19.8.1", ["172.21.21.50"]);
        /// ```
        fn set_wan_static_ip(cx, router_id: Dynamic as "int|string", ip: &str as "string", netmask: &str as "string", gateway: &str as "string", dns: Array as "Array") -> RhaiResult<Dynamic> as "Map" {
            set_wan_static_ip(&cx, router_id, [ip, netmask, gateway], &dns)
        }
    }
}

/// `add_user`: the user checked first, then put after the users of the router's target config.
fn add_user(
    cx: &NativeCallContext,
    router_id: Dynamic,
    user: &str,
    pw: &str,
    group: &str,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let id = router_arg(&c, pos, &router_id)?;
    helpers::check_user(user, pw, group).map_err(err_at(&c, pos))?;
    // The new user goes after the existing ones of the router's target config.
    let (fw, _) = c.ncm.router_firmware(&id).map_err(err_at(&c, pos))?;
    let default = c.ncm.default_config(&fw).map_err(err_at(&c, pos))?;
    let target = c.ncm.router_target(&id).map_err(err_at(&c, pos))?;
    let full =
        diff::apply(&default, &target).map_err(|i| rhai_error(pos, Error::diff(i), &c.redactor))?;
    let users = full.pointer("/system/users").and_then(|u| u.as_array());
    if users.is_some_and(|u| u.iter().any(|x| x["username"] == user)) {
        return Err(usage_error(
            pos,
            format!("router {id} already has a user named {user:?}"),
        ));
    }
    let d = helpers::user_diff(users.map(Vec::len).unwrap_or(0), user, pw, group)
        .map_err(err_at(&c, pos))?;
    patch(&c, pos, &id, &d)
}

/// `add_user` (a router's or a group's).
fn register_add_user(root: &mut Module) {
    functions! { root;
        /// Adds a local admin user after the router's existing users (password at least 8 characters).
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::add_user(r.id, "super", "SuperDuper1");
        /// ```
        fn add_user(cx, router_id: Dynamic as "int|string", username: &str as "string", password: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            add_user(&cx, router_id, username, password, "admin")
        }

        /// Adds a local user in group "admin" or "readonly".
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// ncm::add_user(r.id, "auditor", "Long-Passw0rd", "readonly");
        /// ```
        fn add_user(cx, router_id: Dynamic as "int|string", username: &str as "string", password: &str as "string", group: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            add_user(&cx, router_id, username, password, group)
        }
    }
}
