//! `ncm::` configuration helpers for scripts: read/patch/put a router's config by router id,
//! resume sync, everyday changes (APN, SSID, LAN IP, static WAN IP, users), their pure diff
//! builders (bulk writes are in `ncm_bulk`, backups and restore in `ncm_backup`).

use super::diff::diff_arg;
use super::router_arg;
use super::{doc, ret, rhai_error, usage_error, RhaiResult, ScriptContext};
use crate::diff::{self, Diff};
use crate::error::Error;
use crate::ncm::helpers;
use rhai::{Array, Dynamic, FuncRegistration, Module, NativeCallContext, Position};
use std::sync::Arc;

use super::err_at as err;

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

pub fn register(root: &mut Module, ctx: &Arc<ScriptContext>) {
    register_config_manager(root, ctx);
    register_builders(root);
    register_router_changes(root, ctx);
    register_add_user(root, ctx);
}

/// `router_config`, `patch_router_config`, `put_router_config`, `resume_sync`.
fn register_config_manager(root: &mut Module, ctx: &Arc<ScriptContext>) {
    let c = ctx.clone();
    FuncRegistration::new("router_config")
        .with_comments([doc("A router's configuration manager (its id is not the router id): configuration, target, actual,\npending, version_number, synched, suspended.", "let cm = ncm::router_config(42); print(cm.synched);")])
        .with_params_info(["router_id: int|string", "Map"])
        .set_into_module(root, move |cx: NativeCallContext, id: Dynamic| -> RhaiResult<Dynamic> {
            let id = router_arg(&c, cx.call_position(), &id)?;
            c.ncm.router_config(&id).map(ret).map_err(err(&c, cx.call_position()))
        });
    let c = ctx.clone();
    FuncRegistration::new("patch_router_config")
        .with_comments([doc(
            "PATCHes a diff into a router's individual config: merges, cannot remove. Printed, not sent, under --dry-run.",
            "ncm::patch_router_config(42, [#{system: #{gps: #{enabled: true}}}, []]);",
        )])
        .with_params_info(["router_id: int|string", "diff: Array", "Map"])
        .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, d: Dynamic| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let (id, d) = (router_arg(&c, pos, &id)?, diff_arg(pos, &d)?);
            c.ncm.patch_router_config(&id, &d).map(ret).map_err(err(&c, pos))
        });
    for with_options in [false, true] {
        let c = ctx.clone();
        let f =
            move |pos: Position, id: Dynamic, d: Dynamic, o: rhai::Map| -> RhaiResult<Dynamic> {
                let (id, d) = (router_arg(&c, pos, &id)?, diff_arg(pos, &d)?);
                let drop_secrets =
                    super::flag_option(pos, "put_router_config", &o, "drop_secrets")?;
                c.ncm
                    .put_router_config(&id, &d, drop_secrets)
                    .map(ret)
                    .map_err(err(&c, pos))
            };
        let reg = FuncRegistration::new("put_router_config");
        if with_options {
            reg.with_comments([doc("`put_router_config` with options: `drop_secrets: true` allows a PUT that drops the router's own secrets.", "ncm::put_router_config(42, wanted, #{drop_secrets: true});")])
                .with_params_info(["router_id: int|string", "diff: Array", "options: Map", "Map"])
                .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, d: Dynamic, o: rhai::Map| f(cx.call_position(), id, d, o));
        } else {
            reg.with_comments([doc("Makes a router's individual config the given one by the smallest write that never loses a stored secret:\na PATCH when nothing but the router's own secrets would be removed (they stay), else a PUT (whatever the diff does\nnot mention is unassigned). A PUT that would drop a secret the router holds is refused, naming each path\n(pass #{drop_secrets: true} to allow it). \"*\" is never sent. Printed, not sent, under --dry-run.", "ncm::put_router_config(42, [#{system: #{gps: #{enabled: true}}}, []]);")])
                .with_params_info(["router_id: int|string", "diff: Array", "Map"])
                .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, d: Dynamic| f(cx.call_position(), id, d, rhai::Map::new()));
        }
    }
    let c = ctx.clone();
    FuncRegistration::new("resume_sync")
        .with_comments([doc("Resumes config sync of a router whose sync was suspended (only works while it is online).", "ncm::resume_sync(42);")])
        .with_params_info(["router_id: int|string", "Map"])
        .set_into_module(root, move |cx: NativeCallContext, id: Dynamic| -> RhaiResult<Dynamic> {
            let id = router_arg(&c, cx.call_position(), &id)?;
            c.ncm.resume_sync(&id).map(ret).map_err(err(&c, cx.call_position()))
        });
}

/// `apn_diff`, `ssid_diff`, `lan_ip_diff`: pure builders, no request.
fn register_builders(root: &mut Module) {
    // Pure builders: no request.
    FuncRegistration::new("apn_diff")
        .with_comments([doc("The diff setting a manual APN on the LTE WAN rule for a firmware version (`wan.rules` before 6.0,\n`wan.rules2` from 6.0, with their default `_id_`s). Refuses an empty or malformed APN.", "let d = ncm::apn_diff(\"7.22.60\", \"iot.example\");")])
        .with_params_info(["firmware: string", "apn: string", "Array"])
        .set_into_module(root, |cx: NativeCallContext, fw: &str, apn: &str| -> RhaiResult<Dynamic> {
            helpers::apn_diff(fw, apn).map(|d| ret(d.to_value())).map_err(|e| rhai_error(cx.call_position(), e, &Default::default()))
        });
    FuncRegistration::new("ssid_diff")
        .with_comments([doc("The diff setting the SSID and WPA passkey of radio 0's first network. SSID 1-32 bytes, passkey 8-63 characters.", "let d = ncm::ssid_diff(\"Shop-WiFi\", \"correct horse\");")])
        .with_params_info(["ssid: string", "passkey: string", "Array"])
        .set_into_module(root, |cx: NativeCallContext, ssid: &str, key: &str| -> RhaiResult<Dynamic> {
            helpers::ssid_diff(ssid, key, 0).map(|d| ret(d.to_value())).map_err(|e| rhai_error(cx.call_position(), e, &Default::default()))
        });
    FuncRegistration::new("lan_ip_diff")
        .with_comments([doc(
            "The diff setting the Primary LAN's IPv4 address and netmask.",
            "let d = ncm::lan_ip_diff(\"192.168.30.1\", \"255.255.255.0\");",
        )])
        .with_params_info(["ip: string", "netmask: string", "Array"])
        .set_into_module(
            root,
            |cx: NativeCallContext, ip: &str, mask: &str| -> RhaiResult<Dynamic> {
                helpers::lan_ip_diff(ip, mask)
                    .map(|d| ret(d.to_value()))
                    .map_err(|e| rhai_error(cx.call_position(), e, &Default::default()))
            },
        );
}

/// `set_apn`, `set_ssid`, `set_lan_ip`, `set_wan_static_ip`: validate first, then resolve what is
/// needed, then PATCH.
fn register_router_changes(root: &mut Module, ctx: &Arc<ScriptContext>) {
    // Single-router changes: validate first, then resolve what is needed, then PATCH.
    let c = ctx.clone();
    FuncRegistration::new("set_apn")
        .with_comments([doc("Sets a manual APN on a router's LTE WAN rule, choosing `wan.rules` or `wan.rules2` and the `_id_` from the\nrouter's target firmware. Bad input is refused before any request.", "ncm::set_apn(42, \"iot.example\");")])
        .with_params_info(["router_id: int|string", "apn: string", "Map"])
        .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, apn: &str| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let id = router_arg(&c, pos, &id)?;
            helpers::check_apn(apn.trim()).map_err(err(&c, pos))?;
            let (_, version) = c.ncm.router_firmware(&id).map_err(err(&c, pos))?;
            let d = helpers::apn_diff(&version, apn).map_err(err(&c, pos))?;
            c.ncm.patch_router_config(&id, &d).map(ret).map_err(err(&c, pos))
        });
    for with_radio in [false, true] {
        let c = ctx.clone();
        let f = move |pos: Position,
                      id: Dynamic,
                      ssid: &str,
                      key: &str,
                      radio: i64|
              -> RhaiResult<Dynamic> {
            let id = router_arg(&c, pos, &id)?;
            if radio < 0 {
                return Err(usage_error(pos, "the radio index must be 0 or more"));
            }
            let d = helpers::ssid_diff(ssid, key, radio as usize).map_err(err(&c, pos))?;
            c.ncm
                .patch_router_config(&id, &d)
                .map(ret)
                .map_err(err(&c, pos))
        };
        let reg = FuncRegistration::new("set_ssid");
        if with_radio {
            reg.with_comments([doc("Sets the SSID and WPA passkey of the first network of radio `radio` (0: 2.4 GHz, 1: 5 GHz).", "ncm::set_ssid(42, \"Shop-WiFi\", \"correct horse\", 1);")])
                .with_params_info(["router_id: int|string", "ssid: string", "passkey: string", "radio: int", "Map"])
                .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, ssid: &str, key: &str, radio: i64| f(cx.call_position(), id, ssid, key, radio));
        } else {
            reg.with_comments([doc("Sets the SSID and WPA passkey of radio 0's first network. SSID 1-32 bytes, passkey 8-63 characters;\nbad input is refused before any request.", "ncm::set_ssid(42, \"Shop-WiFi\", \"correct horse\");")])
                .with_params_info(["router_id: int|string", "ssid: string", "passkey: string", "Map"])
                .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, ssid: &str, key: &str| f(cx.call_position(), id, ssid, key, 0));
        }
    }
    let c = ctx.clone();
    FuncRegistration::new("set_lan_ip")
        .with_comments([doc(
            "Sets the Primary LAN's address and netmask (addressed by its `_id_`).",
            "ncm::set_lan_ip(42, \"192.168.30.1\", \"255.255.255.0\");",
        )])
        .with_params_info([
            "router_id: int|string",
            "ip: string",
            "netmask: string",
            "Map",
        ])
        .set_into_module(
            root,
            move |cx: NativeCallContext,
                  id: Dynamic,
                  ip: &str,
                  mask: &str|
                  -> RhaiResult<Dynamic> {
                let pos = cx.call_position();
                let id = router_arg(&c, pos, &id)?;
                let d = helpers::lan_ip_diff(ip, mask).map_err(err(&c, pos))?;
                c.ncm
                    .patch_router_config(&id, &d)
                    .map(ret)
                    .map_err(err(&c, pos))
            },
        );
    let c = ctx.clone();
    FuncRegistration::new("set_wan_static_ip")
        .with_comments([doc("Gives the Ethernet WAN a static address through its WAN rule (`rules`/`rules2` by firmware).\nFirmware before 6.0 needs at least one DNS server.", "ncm::set_wan_static_ip(42, \"172.19.9.30\", \"255.255.252.0\", \"172.19.8.1\", [\"172.21.21.50\"]);")])
        .with_params_info(["router_id: int|string", "ip: string", "netmask: string", "gateway: string", "dns: Array", "Map"])
        .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, ip: &str, mask: &str, gw: &str, dns: Array| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let id = router_arg(&c, pos, &id)?;
            let dns = strings(pos, &dns, "DNS servers")?;
            helpers::check_static_wan(ip, mask, gw, &dns).map_err(err(&c, pos))?;
            let (_, version) = c.ncm.router_firmware(&id).map_err(err(&c, pos))?;
            let d = helpers::wan_static_ip_diff(&version, ip, mask, gw, &dns).map_err(err(&c, pos))?;
            c.ncm.patch_router_config(&id, &d).map(ret).map_err(err(&c, pos))
        });
}

/// `add_user` (a router's or a group's).
fn register_add_user(root: &mut Module, ctx: &Arc<ScriptContext>) {
    for with_group in [false, true] {
        let c = ctx.clone();
        let f = move |pos: Position,
                      id: Dynamic,
                      user: &str,
                      pw: &str,
                      group: &str|
              -> RhaiResult<Dynamic> {
            let id = router_arg(&c, pos, &id)?;
            helpers::user_diff(1, user, pw, group).map_err(err(&c, pos))?;
            // The new user goes after the existing ones of the router's target config.
            let (fw, _) = c.ncm.router_firmware(&id).map_err(err(&c, pos))?;
            let default = c.ncm.default_config(&fw).map_err(err(&c, pos))?;
            let cm = c.ncm.router_config(&id).map_err(err(&c, pos))?;
            let target = Diff::from_value(&cm["target"]).unwrap_or_default();
            let full = diff::apply(&default, &target)
                .map_err(|i| rhai_error(pos, Error::diff(i), &c.redactor))?;
            let users = full
                .pointer("/system/users")
                .and_then(|u| u.as_array())
                .map(Vec::len)
                .unwrap_or(0);
            if full
                .pointer("/system/users")
                .and_then(|u| u.as_array())
                .is_some_and(|u| u.iter().any(|x| x["username"] == user))
            {
                return Err(usage_error(
                    pos,
                    format!("router {id} already has a user named {user:?}"),
                ));
            }
            let d = helpers::user_diff(users, user, pw, group).map_err(err(&c, pos))?;
            c.ncm
                .patch_router_config(&id, &d)
                .map(ret)
                .map_err(err(&c, pos))
        };
        let reg = FuncRegistration::new("add_user");
        if with_group {
            reg.with_comments([doc(
                "Adds a local user in group \"admin\" or \"readonly\".",
                "ncm::add_user(42, \"auditor\", \"Long-Passw0rd\", \"readonly\");",
            )])
            .with_params_info([
                "router_id: int|string",
                "username: string",
                "password: string",
                "group: string",
                "Map",
            ])
            .set_into_module(
                root,
                move |cx: NativeCallContext, id: Dynamic, u: &str, p: &str, g: &str| {
                    f(cx.call_position(), id, u, p, g)
                },
            );
        } else {
            reg.with_comments([doc("Adds a local admin user after the router's existing users (password at least 8 characters).", "ncm::add_user(42, \"super\", \"SuperDuper1\");")])
                .with_params_info(["router_id: int|string", "username: string", "password: string", "Map"])
                .set_into_module(root, move |cx: NativeCallContext, id: Dynamic, u: &str, p: &str| f(cx.call_position(), id, u, p, "admin"));
        }
    }

    super::ncm_bulk::register(root, ctx);
    super::ncm_backup::register(root, ctx);
}
