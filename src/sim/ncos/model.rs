//! What the simulator's products and firmware versions are made of, for their configurations:
//! the hardware a model has (Ethernet ports, PoE, Wi-Fi radios, modem slots, GPS, a serial
//! port) and what changes by firmware (`wan.rules` or `wan.rules2`, which lists carry `_id_`s,
//! the Wbond rule). Facts from ncos-config-notes.md §4 ("What changes by model", "wan.rules vs
//! wan.rules2"); where the notes give no number for a model the choice is marked (inference).

use crate::ncm::defaults::version_tuple;

/// The hardware of a product, as far as its configuration shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    pub name: &'static str,
    /// LAN ports besides the WAN port (`ethernet[]` has one more).
    pub lan_ports: u8,
    /// PSE (PoE) ports, the last LAN ports.
    pub poe_ports: u8,
    /// Wi-Fi radios: `wlan.radio[]` (0 = no `wlan` section).
    pub radios: u8,
    /// Modem slots: the modems a router of this model may have seen.
    pub modems: u8,
    pub gps: bool,
    pub serial: bool,
}

impl Model {
    /// A model's hardware, field by field in the order they are declared.
    const fn new(
        name: &'static str,
        lan_ports: u8,
        poe_ports: u8,
        radios: u8,
        modems: u8,
        gps: bool,
        serial: bool,
    ) -> Model {
        Model {
            name,
            lan_ports,
            poe_ports,
            radios,
            modems,
            gps,
            serial,
        }
    }
}

/// The models of the simulated catalog. The notes: "`ethernet[]` and `vlan[].ports`: the number
/// of ports. E3000 has 10 (1 WAN + 9 LAN, 4 PoE), and smaller models have 1–5"; "`wlan.radio[]`:
/// 0, 1 or 2 radios"; "Models without WiFi (e.g. some E300/L950/S-series variants)". The port,
/// radio and modem counts of each model are (inference); the MBR1400's four LAN ports are the
/// spec's own example ("an MBR1400 router running 5.4.0 firmware. The default vlan array").
///
/// In the order of [`Model::new`]: name, LAN ports, PoE ports, radios, modem slots, GPS, serial.
const MODELS: &[Model] = &[
    Model::new("MBR1400", 4, 0, 1, 2, false, false),
    Model::new("IBR900", 1, 0, 2, 2, true, true),
    Model::new("AER2200", 4, 0, 2, 2, true, false),
    Model::new("IBR1700", 4, 0, 2, 2, true, true),
    Model::new("E100", 1, 0, 2, 1, true, false),
    Model::new("E300", 4, 1, 0, 1, true, false),
];

/// The model of a product name; an unknown product is a two-radio, four-port router.
pub fn model(product: &str) -> Model {
    MODELS
        .iter()
        .copied()
        .find(|m| m.name == product)
        .unwrap_or(Model::new("IBR900", 4, 0, 2, 1, true, false))
}

/// A firmware version, for what its configuration tree holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Firmware(pub u32, pub u32, pub u32);

impl Firmware {
    pub fn parse(version: &str) -> Firmware {
        let (a, b, c) = version_tuple(version);
        Firmware(a, b, c)
    }

    /// `wan.rules2` (6.0 and later) rather than `wan.rules`: "Treat firmware 6.x and later as
    /// rules2-based" (notes §4, an inference the notes make; the spec's examples say the same).
    pub fn rules2(self) -> bool {
        self.0 >= 6
    }

    /// NCOS 7: the sections of the 7.x DTD that 5.x and 6.x never had (containers, IoT, SD-WAN,
    /// split DNS, ...) and `_id_`s on `vlan[].ports` (the spec's 5.4.0 example has none; the
    /// 7.25 DTD has them). (inference: no DTD of any other version is public)
    pub fn ncos7(self) -> bool {
        self.0 >= 7
    }

    /// The Wbond rule (`rules2` entry 6 of the 7.25 DTD). The 7.22.60 capture's router-added
    /// modem rule is entry 6, so that firmware had six default rules: Wbond came later; 7.24 is
    /// (inference).
    pub fn wbond(self) -> bool {
        self >= Firmware(7, 24, 0)
    }

    /// `system.minimum_tls_version` defaults to TLS 1.3 in 7.25; (inference) from 7.23 on.
    pub fn tls13(self) -> bool {
        self >= Firmware(7, 23, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_features_follow_the_version() {
        assert!(!Firmware::parse("5.4.0").rules2());
        assert!(Firmware::parse("6.1.0").rules2() && !Firmware::parse("6.1.0").ncos7());
        assert!(!Firmware::parse("7.22.60").wbond());
        assert!(Firmware::parse("7.24.10").wbond());
        assert_eq!(model("E300").radios, 0);
        assert_eq!(model("MBR1400").lan_ports, 4);
        assert_eq!(model("nothing").radios, 2);
    }
}
