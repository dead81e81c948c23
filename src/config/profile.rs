//! One profile of `config.toml`, read by the settings table: every key a setting a profile may
//! set (an unknown one is refused, naming the ones there are), its value read as the setting's
//! kind (text, number, `true`/`false`). TOML's own errors say where in the file.

use crate::settings::{self, Kind};
use serde::de::{Deserializer, Error as _, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A value as written (in a profile, at the prompt), before it is checked against its setting.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Written {
    /// A value typed as text (the REPL's `:set`) read as `kind` takes it.
    pub fn parse(kind: Kind, text: &str) -> std::result::Result<Written, String> {
        let t = text.trim();
        match kind {
            Kind::Number => t
                .parse()
                .map(Written::Number)
                .map_err(|_| format!("expected a number, not {t:?}")),
            Kind::Bool => t
                .parse()
                .map(Written::Bool)
                .map_err(|_| format!("expected true or false, not {t:?}")),
            _ => Ok(Written::Text(t.trim_matches('"').to_string())),
        }
    }
}

/// One profile: the settings it gives, by their name in the settings table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub values: BTreeMap<&'static str, Written>,
}

impl Profile {
    /// A text setting's value, as written.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.values.get(key) {
            Some(Written::Text(t)) => Some(t),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Profile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(ProfileVisitor)
    }
}

struct ProfileVisitor;

impl<'de> Visitor<'de> for ProfileVisitor {
    type Value = Profile;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a table of settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Profile, A::Error> {
        let mut p = Profile::default();
        while let Some(key) = map.next_key::<String>()? {
            let Some(s) = settings::setting(&key).filter(|s| s.profile) else {
                return Err(A::Error::unknown_field(&key, settings::profile_keys()));
            };
            let v = match s.kind {
                Kind::Number => Written::Number(map.next_value()?),
                Kind::Bool => Written::Bool(map.next_value()?),
                Kind::Text | Kind::Secret | Kind::Path | Kind::Proxy => {
                    Written::Text(map.next_value()?)
                }
            };
            if p.values.insert(s.name, v).is_some() {
                return Err(A::Error::duplicate_field(s.name));
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<Profile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn every_profile_key_of_the_table_is_read_as_its_kind() {
        for s in settings::SETTINGS.iter().filter(|s| s.profile) {
            let value = match s.kind {
                Kind::Number => "8",
                Kind::Bool => "true",
                _ => "\"text-value\"",
            };
            let p = parse(&format!("{} = {value}", s.name)).unwrap();
            assert_eq!(p.values.len(), 1, "{}", s.name);
            let ok = matches!(
                (s.kind, &p.values[s.name]),
                (Kind::Number, Written::Number(n)) if *n == 8.0
            ) || matches!(
                (s.kind, &p.values[s.name]),
                (Kind::Bool, Written::Bool(true))
            ) || p.text(s.name) == Some("text-value");
            assert!(ok, "{}: {:?}", s.name, p.values);
        }
    }

    #[test]
    fn unknown_keys_and_wrong_kinds_are_refused_with_the_known_keys() {
        let e = parse("concurency = 8").unwrap_err();
        assert!(
            e.contains("concurency") && e.contains("page_concurrency"),
            "{e}"
        );
        let e = parse("timeout = \"fast\"").unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
        let e = parse("read_only = 1").unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
        // Flag-only settings are no profile keys.
        assert!(parse("max_memory = 64").is_err());
    }

    #[test]
    fn typed_values_are_read_as_their_kind() {
        assert_eq!(
            Written::parse(Kind::Number, " 2.5 "),
            Ok(Written::Number(2.5))
        );
        assert!(Written::parse(Kind::Number, "fast").is_err());
        assert_eq!(Written::parse(Kind::Bool, "true"), Ok(Written::Bool(true)));
        assert!(Written::parse(Kind::Bool, "yes").is_err());
        assert_eq!(
            Written::parse(Kind::Proxy, "\"http://p:3128\""),
            Ok(Written::Text("http://p:3128".into()))
        );
    }
}
