//! NCM config domain facts about firmware defaults: the spec's default `_id_`s the config
//! helpers address (`lan`'s Primary and Guest LAN, the Ethernet and LTE WAN rules) and which
//! firmware uses `wan.rules` (before 6.0) or `wan.rules2` (6.0 on). The default configuration
//! trees themselves are served by NCM (`firmwares/<id>/default_configuration/`); the simulator
//! generates its own (`sim::ncos`).

pub const PRIMARY_LAN_ID: &str = "00000000-0d93-319d-8220-4a1fb0372b51";
pub const GUEST_LAN_ID: &str = "00000001-0d93-319d-8220-4a1fb0372b51";
/// Firmware 5.x `wan.rules`: Ethernet WAN and LTE modem rules.
pub const RULES_ETHERNET_ID: &str = "00000001-dea3-3ccd-a78d-e0196084396f";
pub const RULES_LTE_ID: &str = "00000002-dea3-3ccd-a78d-e0196084396f";
/// Firmware 6.0+ `wan.rules2`: Ethernet WAN and LTE modem rules.
pub const RULES2_ETHERNET_ID: &str = "00000000-a81d-3590-93ca-8b1fcfeb8e14";
pub const RULES2_LTE_ID: &str = "00000002-a81d-3590-93ca-8b1fcfeb8e14";

/// `(major, minor, patch)` of a firmware version such as `7.22.60`.
pub fn version_tuple(v: &str) -> (u32, u32, u32) {
    let mut it = v.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

/// Does this firmware use `wan.rules2` (6.0 and later) rather than `wan.rules`?
pub fn uses_rules2(version: &str) -> bool {
    version_tuple(version).0 >= 6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_picks_rules_or_rules2() {
        assert!(!uses_rules2("5.4.0"));
        assert!(uses_rules2("6.1.0") && uses_rules2("7.22.60"));
        assert_eq!(version_tuple("7.22.60"), (7, 22, 60));
        assert_eq!(version_tuple("7.x"), (7, 0, 0));
    }
}
