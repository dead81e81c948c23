//! The transport on networks as operators have them, against local servers only: the simulator
//! behind an HTTPS front whose certificate comes from a CA made at test time (HTTP/1.1 and
//! HTTP/2, or HTTP/2 only; gzip-encoded answers when asked), a local CONNECT proxy (with or
//! without credentials), and a certificate this machine cannot verify said in one line with
//! its fix, never retried.

use crate::common::*;
use fleetscript::sim::Simulator;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A CA made for this test, and the server certificates it signs.
struct Ca {
    pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl Ca {
    fn new() -> Ca {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "fleetscript test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A server certificate for `names`, valid now or expired years ago.
    fn leaf(
        &self,
        names: &[&str],
        expired: bool,
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
    }

    /// The CA certificate as a PEM file in `dir`.
    fn write(&self, dir: &Path) -> PathBuf {
        let p = dir.join("test-ca.pem");
        std::fs::write(&p, &self.pem).unwrap();
        p
    }
}

/// What the HTTPS front saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    http2: bool,
    asked_gzip: bool,
}

/// The simulator served over TLS on 127.0.0.1.
struct Front {
    /// `https://127.0.0.1:PORT/api/v2`
    base: String,
    /// TCP connections accepted (a handshake that fails counts too).
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    _runtime: tokio::runtime::Runtime,
}

#[derive(Clone, Copy)]
struct FrontOptions {
    /// Offer only `h2` by ALPN, and speak only HTTP/2.
    h2_only: bool,
    /// Answer gzip-encoded when the request accepts it.
    gzip: bool,
    names: &'static [&'static str],
    expired: bool,
}

const PLAIN: FrontOptions = FrontOptions {
    h2_only: false,
    gzip: false,
    names: &["127.0.0.1", "localhost"],
    expired: false,
};

fn https_front(sim: &Simulator, ca: &Ca, o: FrontOptions) -> Front {
    let (chain, key) = ca.leaf(o.names, o.expired);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    cfg.alpn_protocols = if o.h2_only {
        vec![b"h2".to_vec()]
    } else {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = fleetscript::sim::front::router(sim.state.clone());
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(vec![]));
    let (conns, log) = (connections.clone(), seen.clone());
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            conns.fetch_add(1, Ordering::SeqCst);
            let (acceptor, app, log) = (acceptor.clone(), app.clone(), log.clone());
            tokio::spawn(async move {
                // A client that does not trust the certificate ends here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(move |req| {
                    answer(app.clone(), log.clone(), o.gzip, req)
                });
                let b = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                let b = if o.h2_only { b.http2_only() } else { b };
                let _ = b
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    Front {
        base: format!("https://127.0.0.1:{port}/api/v2"),
        connections,
        seen,
        _runtime: runtime,
    }
}

/// The simulator's answer to one request, gzip-encoded when the front does that and the
/// request accepts it.
async fn answer(
    app: axum::Router,
    log: Arc<Mutex<Vec<Seen>>>,
    gzip: bool,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<axum::response::Response, std::convert::Infallible> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let asked_gzip = req
        .headers()
        .get("accept-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    log.lock().unwrap().push(Seen {
        http2: req.version() == hyper::Version::HTTP_2,
        asked_gzip,
    });
    let resp = app.oneshot(req).await?;
    if !(gzip && asked_gzip) {
        return Ok(resp);
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&bytes).unwrap();
    let packed = enc.finish().unwrap();
    assert!(packed.len() < bytes.len(), "a page compresses");
    parts
        .headers
        .insert("content-encoding", "gzip".parse().unwrap());
    parts.headers.remove("content-length");
    Ok(axum::response::Response::from_parts(
        parts,
        axum::body::Body::from(packed),
    ))
}

/// A CONNECT proxy on 127.0.0.1, asking for `credentials` when given; counts the tunnels it
/// opened and the requests it refused.
struct Proxy {
    url: String,
    tunnels: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

fn connect_proxy(credentials: Option<(&'static str, &'static str)>) -> Proxy {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let tunnels = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let (t, r) = (tunnels.clone(), refused.clone());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(client) = conn else { return };
            let (t, r) = (t.clone(), r.clone());
            std::thread::spawn(move || tunnel(client, credentials, &t, &r));
        }
    });
    Proxy {
        url,
        tunnels,
        refused,
    }
}

/// One CONNECT: the head read, the credentials checked, then bytes copied both ways.
fn tunnel(
    mut client: std::net::TcpStream,
    credentials: Option<(&str, &str)>,
    tunnels: &AtomicUsize,
    refused: &AtomicUsize,
) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap_or(0);
    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut auth = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("proxy-authorization") {
                auth = Some(v.trim().to_string());
            }
        }
    }
    if let Some((user, password)) = credentials {
        let want = format!("Basic {}", base64(&format!("{user}:{password}")));
        if auth.as_deref() != Some(want.as_str()) {
            refused.fetch_add(1, Ordering::SeqCst);
            let _ = client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n");
            return;
        }
    }
    let Ok(mut upstream) = std::net::TcpStream::connect(&target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    tunnels.fetch_add(1, Ordering::SeqCst);
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (mut back, mut to_client) = (upstream.try_clone().unwrap(), client);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut back, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut reader, &mut upstream);
    let _ = upstream.shutdown(std::net::Shutdown::Write);
}

fn base64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const COUNT_ROUTERS: &str = r#"ncm::routers::list(#{fields: ["id"]}).len()"#;

/// `run -e` counting the routers at `base` (the sandbox keys), with more arguments.
fn count_at(sim: &Simulator, base: &str, args: &[&str]) -> std::process::Command {
    let mut c = bin_for(sim);
    c.env("CP_BASE_URL", base)
        .args(["run", "-e", COUNT_ROUTERS]);
    c.args(args);
    c
}

#[test]
fn an_unknown_issuer_is_one_line_naming_the_host_the_reason_and_ca_file_and_is_not_retried() {
    let sim = sim(20);
    let ca = Ca::new();
    let front = https_front(&sim, &ca, PLAIN);
    let o = count_at(&sim, &front.base, &[]).output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "it will not fix itself: {out}");
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: cannot verify the TLS certificate of 127.0.0.1: unknown issuer")
            && err.contains("ca_file")
            && err.contains("--ca-file")
            && err.contains("SSL_CERT_FILE"),
        "{err}"
    );
    assert!(!err.contains("retry"), "{err}");
    assert_eq!(front.connections.load(Ordering::SeqCst), 1, "not retried");
    assert!(front.seen.lock().unwrap().is_empty());
}

#[test]
fn the_test_ca_is_trusted_from_ca_file_the_flag_and_ssl_cert_file() {
    let sim = sim(20);
    let ca = Ca::new();
    let front = https_front(&sim, &ca, PLAIN);
    let dir = tempfile::tempdir().unwrap();
    let pem = ca.write(dir.path());
    // --ca-file
    let o = count_at(&sim, &front.base, &["--ca-file", pem.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "20");
    // SSL_CERT_FILE
    let o = count_at(&sim, &front.base, &[])
        .env("SSL_CERT_FILE", &pem)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "20");
    // ca_file in a profile, relative to the config file's directory.
    let home = tempfile::tempdir().unwrap();
    let conf = home.path().join("fleetscript");
    std::fs::create_dir(&conf).unwrap();
    std::fs::copy(&pem, conf.join("corp-ca.pem")).unwrap();
    std::fs::write(
        conf.join("config.toml"),
        "[profiles.corp]\nca_file = \"corp-ca.pem\"\n",
    )
    .unwrap();
    let o = count_at(&sim, &front.base, &["--profile", "corp"])
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "20");
    let shown = bin()
        .env("XDG_CONFIG_HOME", home.path())
        .args(["config", "show", "--profile", "corp"])
        .output()
        .unwrap();
    assert!(
        text(&shown).contains("corp-ca.pem  (profile corp: ca_file)"),
        "{}",
        text(&shown)
    );
    // A CA file that is not one is a usage error before any request, naming where it was given.
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "hello\n").unwrap();
    let seen = front.connections.load(Ordering::SeqCst);
    let o = count_at(&sim, &front.base, &["--ca-file", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--ca-file") && text(&o).contains("no certificate"),
        "{}",
        text(&o)
    );
    assert_eq!(front.connections.load(Ordering::SeqCst), seen);
}

#[test]
fn through_a_connect_proxy_and_around_it_for_no_proxy() {
    let sim = sim(20);
    let ca = Ca::new();
    let front = https_front(&sim, &ca, PLAIN);
    let dir = tempfile::tempdir().unwrap();
    let pem = ca.write(dir.path());
    let proxy = connect_proxy(None);
    let ca_flag = ["--ca-file", pem.to_str().unwrap()];
    for var in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        let before = proxy.tunnels.load(Ordering::SeqCst);
        let o = count_at(&sim, &front.base, &ca_flag)
            .env(var, &proxy.url)
            .output()
            .unwrap();
        assert!(o.status.success(), "{var}: {}", text(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "20");
        assert!(
            proxy.tunnels.load(Ordering::SeqCst) > before,
            "{var}: through the proxy"
        );
    }
    // NO_PROXY by address, by CIDR and by name: straight to the server.
    let before = proxy.tunnels.load(Ordering::SeqCst);
    for no_proxy in [
        "127.0.0.1",
        "10.0.0.0/8, 127.0.0.0/8",
        "example.com,127.0.0.1",
    ] {
        let o = count_at(&sim, &front.base, &ca_flag)
            .env("HTTPS_PROXY", &proxy.url)
            .env("NO_PROXY", no_proxy)
            .output()
            .unwrap();
        assert!(o.status.success(), "{no_proxy}: {}", text(&o));
    }
    let o = count_at(
        &sim,
        &front.base.replace("127.0.0.1", "localhost"),
        &ca_flag,
    )
    .env("https_proxy", &proxy.url)
    .env("no_proxy", ".localhost,localhost")
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), before, "bypassed");
    // The profile's proxy takes the place of the environment's.
    let home = tempfile::tempdir().unwrap();
    let conf = home.path().join("fleetscript");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(
        conf.join("config.toml"),
        format!("[profiles.corp]\nproxy = \"{}\"\n", proxy.url),
    )
    .unwrap();
    let o = count_at(&sim, &front.base, &ca_flag)
        .args(["--profile", "corp"])
        .env("XDG_CONFIG_HOME", home.path())
        .env("HTTPS_PROXY", "http://127.0.0.1:1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), before + 1);
}

#[test]
fn proxy_credentials_work_and_never_show() {
    let sim = sim(20);
    let ca = Ca::new();
    let front = https_front(&sim, &ca, PLAIN);
    let dir = tempfile::tempdir().unwrap();
    let pem = ca.write(dir.path());
    let password = "Pr0xy-Secret!";
    let proxy = connect_proxy(Some(("ops", password)));
    let with = |pw: &str| proxy.url.replace("http://", &format!("http://ops:{pw}@"));
    let o = count_at(
        &sim,
        &front.base,
        &["--ca-file", pem.to_str().unwrap(), "-v"],
    )
    .env("HTTPS_PROXY", with("Pr0xy-Secret%21"))
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 1);
    assert!(!text(&o).contains("Pr0xy-Secret"), "{}", text(&o));
    // Wrong credentials: the proxy's 407 said, the password nowhere, not retried.
    let o = count_at(
        &sim,
        &front.base,
        &["--ca-file", pem.to_str().unwrap(), "-v"],
    )
    .env("HTTPS_PROXY", with("Wr0ng-Secret-99"))
    .output()
    .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("407") && out.contains("credentials"), "{out}");
    assert!(!out.contains("Wr0ng-Secret-99"), "{out}");
    assert_eq!(
        proxy.refused.load(Ordering::SeqCst),
        1,
        "not retried: {out}"
    );
    // config show names the proxy with its password masked.
    let o = bin()
        .env("HTTPS_PROXY", with("Pr0xy-Secret%21"))
        .args(["config", "show"])
        .output()
        .unwrap();
    let out = text(&o);
    assert!(
        out.contains("http://ops:****@127.0.0.1") && out.contains("(environment HTTPS_PROXY)"),
        "{out}"
    );
    assert!(!out.contains("Pr0xy-Secret"), "{out}");
}

#[test]
fn a_gzip_encoded_page_is_decoded() {
    let sim = sim(300);
    let ca = Ca::new();
    let front = https_front(
        &sim,
        &ca,
        FrontOptions {
            gzip: true,
            ..PLAIN
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let pem = ca.write(dir.path());
    let o = count_at(&sim, &front.base, &["--ca-file", pem.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "300");
    let seen = front.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one page, one request: {seen:?}");
    assert!(seen[0].asked_gzip, "{seen:?}");
}

#[test]
fn an_http2_only_server_is_served_and_verbose_says_so() {
    let sim = sim(20);
    let ca = Ca::new();
    let front = https_front(
        &sim,
        &ca,
        FrontOptions {
            h2_only: true,
            ..PLAIN
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let pem = ca.write(dir.path());
    let o = count_at(
        &sim,
        &front.base,
        &["--ca-file", pem.to_str().unwrap(), "-v"],
    )
    .output()
    .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "20");
    assert!(front.seen.lock().unwrap().iter().all(|s| s.http2));
    assert!(out.contains("-> HTTP/2 200 ("), "{out}");
    assert!(out.contains("calls: NCM 1 request, 0 retries"), "{out}");
}

#[test]
fn connections_are_kept_alive_across_the_run() {
    let sim = sim(20);
    let ca = Ca::new();
    let front = https_front(&sim, &ca, PLAIN);
    let dir = tempfile::tempdir().unwrap();
    let pem = ca.write(dir.path());
    let mut cfg = config_at(&front.base);
    cfg.set_ca_file(pem.clone(), "test".into());
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let before = front.connections.load(Ordering::SeqCst);
    let n = eval(
        &mut rt,
        r#"let ids = ncm::routers::list(#{fields: ["id"]}).map(|r| r.id);
           for id in ids { ncm::routers::get(id); }
           ids.len()"#,
    );
    assert_eq!(n.as_int().unwrap(), 20);
    assert_eq!(rt.ncm().transport().stats.requests(), 21);
    assert_eq!(
        front.connections.load(Ordering::SeqCst) - before,
        1,
        "21 requests over one connection"
    );
}

#[test]
fn a_name_mismatch_and_an_expired_certificate_say_so() {
    let sim = sim(5);
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let pem = ca.write(dir.path());
    for (o, why) in [
        (
            FrontOptions {
                names: &["api.example.net"],
                ..PLAIN
            },
            "name mismatch (the certificate is not for 127.0.0.1)",
        ),
        (
            FrontOptions {
                expired: true,
                ..PLAIN
            },
            "the certificate has expired",
        ),
    ] {
        let front = https_front(&sim, &ca, o);
        let mut cfg = config_at(&front.base);
        cfg.set_ca_file(pem.clone(), "test".into());
        let mut rt = fleetscript::Runtime::new(cfg).unwrap();
        let e = eval(
            &mut rt,
            "let e = (); try { ncm::routers::list(); } catch (x) { e = x; } e",
        )
        .try_cast::<rhai::Map>()
        .unwrap();
        assert_eq!(e["kind"].to_string(), "tls");
        assert_eq!(e["cause"].to_string(), "failure");
        let m = e["message"].to_string();
        assert!(m.contains(why), "{m}");
        assert_eq!(rt.ncm().transport().stats.requests(), 1, "not retried");
        assert_eq!(front.connections.load(Ordering::SeqCst), 1);
    }
}
