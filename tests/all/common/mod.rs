//! Shared helpers for integration tests: a simulator on 127.0.0.1:0, a runtime pointed at it
//! with millisecond retry delays, and the real binary with a clean environment.
#![allow(dead_code)]

use fleetscript::config::Config;
use fleetscript::http::RetryPolicy;
use fleetscript::sim::{sandbox_credentials, SimOptions, Simulator};
use fleetscript::Runtime;
use std::process::Command;
use std::time::Duration;

pub fn sim(routers: usize) -> Simulator {
    Simulator::start(SimOptions {
        routers,
        ..Default::default()
    })
    .expect("simulator starts")
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_millis(20),
        ..Default::default()
    }
}

pub fn config_for(sim: &Simulator) -> Config {
    let mut c = config_at(&sim.ncm_base_url());
    c.http.timeout = Duration::from_secs(20);
    c.ignitenet.base_url = sim.ignitenet_base_url();
    c.ignitenet.api_key = fleetscript::sim::SANDBOX_IGNITENET_KEY.into();
    c.ignitenet.retry_interval = Duration::from_millis(15);
    c.ignitenet.too_many_wait = Duration::from_millis(15);
    c
}

pub fn runtime_for(sim: &Simulator) -> Runtime {
    Runtime::new(config_for(sim)).expect("runtime")
}

/// Runs a script and returns its last value, panicking with the rendered error otherwise.
pub fn eval(rt: &mut Runtime, src: &str) -> rhai::Dynamic {
    match rt.run_source("test.rhai", src) {
        Ok(v) => v,
        Err(e) => panic!("script failed:\n{}", e.render()),
    }
}

/// Runs a script that must fail; returns the rendered error.
pub fn eval_err(rt: &mut Runtime, src: &str) -> String {
    match rt.run_source("test.rhai", src) {
        Ok(v) => panic!("script should have failed but returned {v:?}"),
        Err(e) => e.render(),
    }
}

/// The real binary, with no NCM/IgniteNet variables, profile or library path inherited from
/// the developer's shell.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fleetscript"));
    for k in [
        "CP_BASE_URL",
        "X_CP_API_ID",
        "X_CP_API_KEY",
        "X_ECM_API_ID",
        "X_ECM_API_KEY",
        "IGNITENET_API_KEY",
        "IGNITENET_BASE_URL",
        "FLEETSCRIPT_PROFILE",
        "FLEETSCRIPT_PATH",
        // Nor the trust store or proxies of the developer's network.
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        c.env_remove(k);
    }
    // No developer's profile or script library leaks into a test; journals a test leaves in
    // the state directory (each named after its simulator) stay under target/.
    c.env("XDG_CONFIG_HOME", "/nonexistent/fleetscript-test-config")
        .env("XDG_DATA_HOME", "/nonexistent/fleetscript-test-data")
        .env(
            "XDG_STATE_HOME",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fleetscript-state"),
        );
    c
}

/// Points the binary at a test simulator with the sandbox keys.
pub fn bin_for(sim: &Simulator) -> Command {
    let mut c = bin();
    let k = sandbox_credentials();
    c.env("CP_BASE_URL", sim.ncm_base_url())
        .env("X_CP_API_ID", k.cp_api_id)
        .env("X_CP_API_KEY", k.cp_api_key)
        .env("X_ECM_API_ID", k.ecm_api_id)
        .env("X_ECM_API_KEY", k.ecm_api_key)
        .env("IGNITENET_BASE_URL", sim.ignitenet_base_url())
        .env("IGNITENET_API_KEY", fleetscript::sim::SANDBOX_IGNITENET_KEY);
    c
}

/// The sandbox's NCM keys as request headers, for a request to the simulator that goes past
/// the client's checks.
pub fn sandbox_headers() -> reqwest::header::HeaderMap {
    let k = sandbox_credentials();
    let mut h = reqwest::header::HeaderMap::new();
    for (name, value) in [
        ("X-CP-API-ID", k.cp_api_id),
        ("X-CP-API-KEY", k.cp_api_key),
        ("X-ECM-API-ID", k.ecm_api_id),
        ("X-ECM-API-KEY", k.ecm_api_key),
    ] {
        h.insert(name, value.parse().expect("a header value"));
    }
    h
}

/// Runs a script for its effects.
pub fn run(rt: &mut Runtime, src: &str) {
    let _ = eval(rt, src);
}

/// A simulator with options (e.g. a short sync delay).
pub fn sim_with(opts: fleetscript::sim::SimOptions) -> Simulator {
    Simulator::start(opts).expect("simulator starts")
}

/// The API error of a failed call.
pub fn api_err<T: std::fmt::Debug>(r: fleetscript::Result<T>) -> fleetscript::error::ApiError {
    match r {
        Err(fleetscript::Error::Api(a)) => *a,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The id of the simulated firmware with this version (e.g. "5.4.0").
pub fn firmware_id(sim: &Simulator, version: &str) -> String {
    sim.records("firmwares")
        .into_iter()
        .find(|f| f["version"] == version)
        .unwrap_or_else(|| panic!("no firmware {version} in the simulated catalog"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// What a scripted hostile server answers to one request (the path and query it was asked).
pub enum Reply {
    /// Status, content type and body, sent whole.
    Full(u16, &'static str, Vec<u8>),
    /// Headers announcing `len` bytes, then `sent` of them, then silence until the client gives up.
    Stall { len: usize, sent: usize },
    /// Headers, then `len` bytes of JSON-ish filler streamed without a content-length.
    Endless { len: usize },
    /// HTTP 429 with `Retry-After: secs`.
    TooMany { retry_after: u64 },
}

/// A raw HTTP/1.1 server on 127.0.0.1:0 that answers every request with `reply(path)`; it
/// serves until the test ends. Returns its base URL (`http://127.0.0.1:PORT/api/v2`).
pub fn hostile_server(reply: impl Fn(&str) -> Reply + Send + Sync + 'static) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api/v2", listener.local_addr().unwrap());
    let reply = std::sync::Arc::new(reply);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let reply = reply.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    let ok = match reply(&path) {
                        Reply::Full(status, ct, body) => conn
                            .write_all(
                                format!(
                                    "HTTP/1.1 {status} X\r\ncontent-type: {ct}\r\ncontent-length: {}\r\n\r\n",
                                    body.len()
                                )
                                .as_bytes(),
                            )
                            .and_then(|_| conn.write_all(&body)),
                        Reply::Stall { len, sent } => {
                            let _ = conn.write_all(
                                format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n")
                                    .as_bytes(),
                            );
                            let _ = conn.write_all(&vec![b' '; sent]);
                            // Silent until the client gives up and closes.
                            let _ = std::io::Read::read(&mut conn, &mut [0u8; 1]);
                            return;
                        }
                        Reply::TooMany { retry_after } => conn.write_all(
                            format!(
                                "HTTP/1.1 429 Too Many Requests\r\nretry-after: {retry_after}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{{}}"
                            )
                            .as_bytes(),
                        ),
                        Reply::Endless { len } => {
                            let _ = conn.write_all(
                                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n",
                            );
                            let chunk = vec![b' '; 64 * 1024];
                            let mut left = len;
                            while left > 0 {
                                let n = left.min(chunk.len());
                                if conn.write_all(&chunk[..n]).is_err() {
                                    return;
                                }
                                left -= n;
                            }
                            return;
                        }
                    };
                    if ok.is_err() {
                        return;
                    }
                }
            });
        }
    });
    base
}

/// A config whose NCM client points at `base` with the sandbox keys and fast retries.
pub fn config_at(base: &str) -> Config {
    let mut c = Config {
        ncm_base_url: base.to_string(),
        ncm_credentials: sandbox_credentials(),
        ..Default::default()
    };
    c.http.retry = fast_retry();
    c
}

/// A runtime pointed at `base` (see [`config_at`]).
pub fn runtime_at(base: &str) -> Runtime {
    Runtime::new(config_at(base)).expect("runtime")
}

/// A finished command's stdout and stderr together.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The text of a shipped script (`scripts/NAME`).
pub fn script(name: &str) -> String {
    std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("scripts")
            .join(name),
    )
    .unwrap()
}

/// A runtime for a script run: writes allowed under `dir`, these `--arg`s.
pub fn script_runtime(sim: &Simulator, dir: &std::path::Path, args: &[(&str, &str)]) -> Runtime {
    let mut c: Config = config_for(sim);
    c.write_dirs = vec![dir.to_path_buf()];
    for (k, v) in args {
        c.args.insert(k.to_string(), v.to_string());
    }
    Runtime::new(c).unwrap()
}

/// Makes group 2001 exactly the first `n` routers, online and synched (see `stage_group`).
pub fn group_of(sim: &Simulator, n: usize) -> Vec<String> {
    sim.stage_group(2001, n)
}

/// The configuration manager (as stored) of router `rid`.
pub fn cm_of_router(sim: &Simulator, rid: &str) -> serde_json::Value {
    sim.records("configuration_managers")
        .into_iter()
        .find(|c| {
            c["router"]
                .as_str()
                .is_some_and(|u| u.ends_with(&format!("/routers/{rid}/")))
        })
        .expect("every simulated router has a configuration manager")
}

/// `fleetscript run apn_rollout` for group 2001 with APN `iot.example` and journal
/// `apn.journal`, run in `dir` against `sim`; add further `--arg`s before running it.
pub fn apn_rollout_in(sim: &Simulator, dir: &std::path::Path) -> Command {
    let mut c = bin_for(sim);
    c.current_dir(dir).args([
        "run",
        "apn_rollout",
        "--arg",
        "group=2001",
        "--arg",
        "apn=iot.example",
        "--arg",
        "journal=apn.journal",
    ]);
    c
}
