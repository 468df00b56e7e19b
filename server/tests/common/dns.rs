//! A real DNS server for tests: `end2end/support/dns.py` (PyPI dnslib, in
//! the tools' venv that `.ci/install` makes), answering from a zone file
//! the test rewrites to change a record.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct DnsServer {
    child: Child,
    pub port: u16,
    zone: tempfile::NamedTempFile,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DnsServer {
    /// Serves `zone` (name → `{"a": [..]}` or `{"cname": ".."}`); `None`
    /// where the tools' Python is missing (in CI that is a failure).
    pub fn start(zone: serde_json::Value) -> Option<DnsServer> {
        let home = std::env::var("HOME").unwrap_or_default();
        let python = format!("{home}/.cache/tenantry/venv/bin/python");
        let usable = Command::new(&python)
            .args(["-c", "import dnslib"])
            .status()
            .is_ok_and(|s| s.success());
        if !usable {
            assert!(
                std::env::var("CI").is_err(),
                "CI must install dnslib in {python} (.ci/install)"
            );
            return None;
        }
        let zone_file = tempfile::NamedTempFile::new().expect("zone file");
        std::fs::write(zone_file.path(), zone.to_string()).expect("zone");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/support/dns.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(zone_file.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the DNS server starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("the DNS server says its port")
                .expect("line");
            if let Some(p) = line.strip_prefix("listening ") {
                break p.trim().parse().expect("port");
            }
        };
        // Whatever it logs of each question goes nowhere.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Some(DnsServer {
            child,
            port,
            zone: zone_file,
        })
    }

    /// Answers from `zone` from now on.
    pub fn set_zone(&self, zone: serde_json::Value) {
        std::fs::write(self.zone.path(), zone.to_string()).expect("zone");
    }

    pub fn address(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}
