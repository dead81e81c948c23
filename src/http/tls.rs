//! Trust and proxies of the transport: the extra roots of `ca_file` / `--ca-file` /
//! `SSL_CERT_FILE` (read and checked when the run starts, trusted besides the platform's store),
//! the proxy of a profile (checked, shown without its password), and what a failed TLS
//! handshake becomes: one line naming the host, the reason and the fix.

use crate::error::{Error, Result};
use std::path::PathBuf;

/// A PEM file of roots to trust besides the platform's, and where it was given (`profile
/// prod: ca_file`, `--ca-file`, `SSL_CERT_FILE`), for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFile {
    pub path: PathBuf,
    pub origin: String,
}

/// The certificates of a CA file: at least one, or an error naming the file and where it came
/// from (a usage error: found before any request).
pub fn read_ca_file(f: &CaFile) -> Result<Vec<reqwest::Certificate>> {
    let named = || format!("{} {}", f.origin, f.path.display());
    let bytes = std::fs::read(&f.path)
        .map_err(|e| Error::Config(format!("{}: cannot read it: {e}", named())))?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes)
        .map_err(|e| Error::Config(format!("{}: not a PEM certificate file: {e}", named())))?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "{}: no certificate in it (expected PEM blocks starting -----BEGIN CERTIFICATE-----)",
            named()
        )));
    }
    Ok(certs)
}

/// A proxy URL, checked: `http://` or `https://`, with a host (credentials may be in it:
/// `http://user:password@proxy:3128`).
pub fn check_proxy(url: &str) -> Result<url::Url> {
    let u = url::Url::parse(url.trim()).map_err(|e| {
        Error::Config(format!(
            "proxy {:?} is not a URL ({e}); expected e.g. http://proxy.example:3128",
            shown_text(url)
        ))
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(Error::Config(format!(
            "proxy {}: expected an http:// or https:// URL with a host, e.g. http://proxy.example:3128",
            shown(&u)
        )));
    }
    Ok(u)
}

/// A proxy URL as it may be shown: its password (if any) as `****`.
pub fn shown(u: &url::Url) -> String {
    let mut u = u.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("****"));
    }
    u.as_str().trim_end_matches('/').to_string()
}

/// A proxy setting as it may be shown, parsed or not: anything between `://` and the last `@`
/// (the credentials) masked when it is not a URL.
pub fn shown_text(proxy: &str) -> String {
    match url::Url::parse(proxy.trim()) {
        Ok(u) => shown(&u),
        Err(_) => match (proxy.find("://"), proxy.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}****{}", &proxy[..s + 3], &proxy[at..]),
            _ => proxy.to_string(),
        },
    }
}

/// The password of a proxy URL (percent-decoded), to mask it wherever it might show.
pub fn proxy_password(proxy: &str) -> Option<String> {
    let u = url::Url::parse(proxy.trim()).ok()?;
    let p = u.password()?;
    let decoded = percent_decode(p);
    Some(decoded).filter(|p| !p.is_empty())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The proxy variables of the environment, as curl reads them, upper case first.
pub const PROXY_VARIABLES: [&str; 3] = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"];

/// The proxy the environment names for `scheme` (`https`: `HTTPS_PROXY`, else `ALL_PROXY`;
/// `http`: `HTTP_PROXY`, else `ALL_PROXY`; each upper case, then lower case) and its variable.
pub fn env_proxy(scheme: &str) -> Option<(String, String)> {
    let first = if scheme == "https" {
        "HTTPS_PROXY"
    } else {
        "HTTP_PROXY"
    };
    [first, "ALL_PROXY"].iter().find_map(|var| {
        [var.to_string(), var.to_ascii_lowercase()]
            .into_iter()
            .find_map(|v| {
                std::env::var(&v)
                    .ok()
                    .filter(|x| !x.trim().is_empty())
                    .map(|x| (v, x))
            })
    })
}

/// Why a TLS handshake failed, in words, and what fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFailure {
    pub reason: String,
    pub fix: String,
}

/// The fix for a certificate this machine does not trust.
const CA_FIX: &str = "if a TLS-inspecting proxy or a private CA signs it, give that CA's certificate (a PEM file) with ca_file in the profile, --ca-file FILE or SSL_CERT_FILE";

/// The TLS failure somewhere in an error's chain of causes, if that is what it is.
pub fn tls_failure(e: &(dyn std::error::Error + 'static), host: &str) -> Option<TlsFailure> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(describe(r, host));
        }
        // An I/O error hides the error it wraps from `source()` (the connector wraps the TLS
        // stream's I/O error in another): look inside instead.
        cur = match err.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => err.source(),
            },
            None => err.source(),
        };
    }
    None
}

/// A rustls error as an operator reads it.
fn describe(e: &rustls::Error, host: &str) -> TlsFailure {
    use rustls::CertificateError as C;
    let t = |reason: &str, fix: &str| TlsFailure {
        reason: reason.to_string(),
        fix: fix.to_string(),
    };
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => t(
                "unknown issuer (it is not signed by a CA this machine trusts)",
                CA_FIX,
            ),
            C::Expired | C::ExpiredContext { .. } => t(
                "the certificate has expired",
                "check this machine's clock; if it is right, the certificate must be renewed by whoever runs the server (or the TLS-inspecting proxy in between)",
            ),
            C::NotValidYet | C::NotValidYetContext { .. } => t(
                "the certificate is not valid yet",
                "check this machine's clock",
            ),
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure {
                reason: format!("name mismatch (the certificate is not for {host})"),
                fix: format!("check the host name of the base URL; {CA_FIX}"),
            },
            C::Revoked => t(
                "the certificate has been revoked",
                "the server's certificate must be replaced by whoever runs it",
            ),
            other => TlsFailure {
                reason: format!("the certificate cannot be verified ({other:?})"),
                fix: CA_FIX.to_string(),
            },
        },
        rustls::Error::AlertReceived(alert) => TlsFailure {
            reason: format!("the server ended the TLS handshake ({alert:?})"),
            fix: "check the base URL, and whether a proxy or firewall in between blocks it"
                .to_string(),
        },
        other => TlsFailure {
            reason: format!("the TLS handshake failed ({other})"),
            fix: format!("check the base URL; {CA_FIX}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_password_is_never_shown() {
        let u = check_proxy("http://ops:s3cret-Pa%40ss@proxy.example:3128").unwrap();
        assert_eq!(shown(&u), "http://ops:****@proxy.example:3128");
        assert_eq!(
            proxy_password("http://ops:s3cret-Pa%40ss@proxy.example:3128").as_deref(),
            Some("s3cret-Pa@ss")
        );
        assert_eq!(
            shown_text("http://ops:pw@[bad"),
            "http://****@[bad",
            "not a URL: the credentials are masked all the same"
        );
        assert!(check_proxy("socks5://proxy:1080")
            .unwrap_err()
            .to_string()
            .contains("http:// or https://"));
        let e = check_proxy("http://ops:hunter2@").unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn certificate_errors_say_why_and_what_fixes_them() {
        use rustls::CertificateError as C;
        let f = |c| describe(&rustls::Error::InvalidCertificate(c), "api.example");
        assert!(f(C::UnknownIssuer).reason.contains("unknown issuer"));
        assert!(f(C::UnknownIssuer).fix.contains("ca_file"));
        assert!(f(C::Expired).reason.contains("expired"));
        assert!(f(C::NotValidForName).reason.contains("not for api.example"));
        assert!(f(C::NotValidForName).fix.contains("ca_file"));
        // Found inside an I/O error inside another, as the connector reports it.
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(C::UnknownIssuer),
        );
        let io = std::io::Error::other(io);
        assert!(tls_failure(&io, "x").is_some());
        let plain = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(tls_failure(&plain, "x").is_none());
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused_by_name() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("ca.pem");
        std::fs::write(&p, "not a certificate\n").unwrap();
        let f = CaFile {
            path: p.clone(),
            origin: "--ca-file".into(),
        };
        let e = read_ca_file(&f).unwrap_err().to_string();
        assert!(
            e.contains("--ca-file") && e.contains("no certificate"),
            "{e}"
        );
        let missing = CaFile {
            path: t.path().join("nope.pem"),
            origin: "SSL_CERT_FILE".into(),
        };
        let e = read_ca_file(&missing).unwrap_err().to_string();
        assert!(
            e.contains("SSL_CERT_FILE") && e.contains("cannot read"),
            "{e}"
        );
    }
}
